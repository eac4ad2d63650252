package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// int64s reads a grpc-gateway int64: a JSON string, absent when zero.
type int64s int64

// UnmarshalJSON takes "12" or 12.
func (n *int64s) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	*n = int64s(v)
	return err
}

// upstreamQueue is one object of GET /v1/upstream.
type upstreamQueue struct {
	Object    string `json:"object"`
	Pending   int64s `json:"pending"`
	InFlight  int64s `json:"inFlight"`
	Waiting   int64s `json:"waiting"`
	Skipped   int64s `json:"skipped"`
	Delivered int64s `json:"delivered"`
}

// upstreamStatus is the part of GET /v1/upstream the bench reads.
type upstreamStatus struct {
	Mode      string          `json:"mode"`
	Objects   []upstreamQueue `json:"objects"`
	LastError string          `json:"lastError"`
	Paused    string          `json:"pausedReason"`
	Calls     struct {
		UsedToday int64s `json:"usedToday"`
		Sent      int64s `json:"sent"`
		Retries   int64s `json:"retries"`
		Failed    int64s `json:"failed"`
	} `json:"calls"`
	raw []byte
}

// settled reports whether nothing is left to deliver.
func (s upstreamStatus) settled() bool {
	if len(s.Objects) == 0 {
		return false
	}
	for _, q := range s.Objects {
		if q.Pending != 0 || q.InFlight != 0 || q.Waiting != 0 {
			return false
		}
	}
	return true
}

// sum adds one field over the objects.
func (s upstreamStatus) sum(f func(upstreamQueue) int64s) int64 {
	var n int64
	for _, q := range s.Objects {
		n += int64(f(q))
	}
	return n
}

// getUpstream reads GET /v1/upstream.
func getUpstream(ctx context.Context, c *suiteproc.Client) (upstreamStatus, error) {
	var s upstreamStatus
	raw, err := c.Do(ctx, http.MethodGet, "/v1/upstream", "", nil)
	if err != nil {
		return s, fmt.Errorf("GET /v1/upstream: %w", err)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, fmt.Errorf("GET /v1/upstream: %v: %s", err, suiteproc.Snippet(raw))
	}
	s.raw = raw
	return s, nil
}

// waitSettled polls GET /v1/upstream until every object has 0 pending, in flight and
// waiting, and returns that answer and when it was seen. It gives up when nothing was
// delivered for stall, returning the last answer.
func waitSettled(ctx context.Context, c *suiteproc.Client, stall time.Duration) (upstreamStatus, time.Time, error) {
	var last int64 = -1
	moved := time.Now()
	for {
		s, err := getUpstream(ctx, c)
		if err != nil {
			return s, time.Time{}, err
		}
		now := time.Now()
		if s.settled() {
			return s, now, nil
		}
		if d := s.sum(func(q upstreamQueue) int64s { return q.Delivered }); d != last {
			last, moved = d, now
		} else if now.Sub(moved) > stall {
			return s, now, fmt.Errorf("the forwarder delivered nothing for %s and has not settled; GET /v1/upstream:\n%s", stall, s.raw)
		}
		select {
		case <-ctx.Done():
			return s, now, fmt.Errorf("%w; last GET /v1/upstream:\n%s", ctx.Err(), s.raw)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// recordCounts is GET /v1/counts.
type recordCounts struct {
	SalesPersons     int64s `json:"salesPersons"`
	Companies        int64s `json:"companies"`
	Leads            int64s `json:"leads"`
	Opportunities    int64s `json:"opportunities"`
	OpportunityRoles int64s `json:"opportunityRoles"`
}

// total adds the counts.
func (r recordCounts) total() int64 {
	return int64(r.SalesPersons + r.Companies + r.Leads + r.Opportunities + r.OpportunityRoles)
}

// String lists the counts.
func (r recordCounts) String() string {
	return fmt.Sprintf("%d sales persons, %d companies, %d leads, %d opportunities, %d roles",
		r.SalesPersons, r.Companies, r.Leads, r.Opportunities, r.OpportunityRoles)
}

// getCounts reads GET /v1/counts.
func getCounts(ctx context.Context, c *suiteproc.Client) (recordCounts, error) {
	var r recordCounts
	raw, err := c.Do(ctx, http.MethodGet, "/v1/counts", "", nil)
	if err != nil {
		return r, fmt.Errorf("GET /v1/counts: %w", err)
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return r, fmt.Errorf("GET /v1/counts: %v: %s", err, suiteproc.Snippet(raw))
	}
	return r, nil
}
