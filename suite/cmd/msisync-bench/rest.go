package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// client talks to the suite's REST gateway with a bearer token.
type client struct {
	base  string
	http  *http.Client
	token string
}

// newClient returns a client that keeps a connection per concurrent caller alive and never
// uses a proxy.
func newClient(base string, conns int) *client {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns + 4,
		MaxIdleConnsPerHost: conns + 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

// authenticate gets an access token with the bench client's credentials.
func (c *client) authenticate(ctx context.Context) error {
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {benchClientID}, "client_secret": {benchClientSecret}}
	raw, err := c.do(ctx, http.MethodGet, "/identity/oauth/token?"+q.Encode(), "", nil)
	if err != nil {
		return fmt.Errorf("getting a token: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" {
		return fmt.Errorf("getting a token: no access_token in %s", snippet(raw))
	}
	c.token = tok.AccessToken
	return nil
}

// do sends one request and returns the body of an HTTP 200 answer.
func (c *client) do(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, snippet(raw))
	}
	return raw, nil
}

// marketoError is a response-level or record-level Marketo error.
type marketoError struct {
	Code    code   `json:"code"`
	Message string `json:"message"`
}

// code is a Marketo code, sent as a string but accepted as a number too.
type code string

// UnmarshalJSON implements json.Unmarshaler.
func (c *code) UnmarshalJSON(b []byte) error {
	*c = code(strings.Trim(string(b), `"`))
	return nil
}

// envelope is the Marketo response envelope of a sync call.
type envelope struct {
	Success bool `json:"success"`
	Result  []struct {
		ID      *int64         `json:"id"`
		Status  string         `json:"status"`
		Reasons []marketoError `json:"reasons"`
	} `json:"result"`
	Errors []marketoError `json:"errors"`
}

// apiError says that a whole request failed with a Marketo error.
func apiError(path string, errs []marketoError) error {
	if len(errs) == 0 {
		return fmt.Errorf("POST %s: success false without errors", path)
	}
	e := errs[0]
	hint := ""
	if e.Code == "610" {
		hint = " (610: the gateway found no implementation for this endpoint — is its service finished?)"
	}
	return fmt.Errorf("POST %s: Marketo error %s %q%s", path, e.Code, e.Message, hint)
}

// batchOutcome counts the results of one sync request.
type batchOutcome struct {
	created, updated int
	skipped          map[string]int // "code message" → count
}

// sync posts one pre-encoded sync request and checks that it succeeded with one result per
// record; skipped records are counted, not failed.
func (c *client) sync(ctx context.Context, path string, body []byte, records int) (batchOutcome, error) {
	raw, err := c.do(ctx, http.MethodPost, path, "application/json", body)
	if err != nil {
		return batchOutcome{}, fmt.Errorf("POST %s: %w", path, err)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return batchOutcome{}, fmt.Errorf("POST %s: answer is not a Marketo envelope: %v: %s", path, err, snippet(raw))
	}
	if !env.Success {
		return batchOutcome{}, apiError(path, env.Errors)
	}
	if len(env.Result) != records {
		return batchOutcome{}, fmt.Errorf("POST %s: %d results for %d records", path, len(env.Result), records)
	}
	out := batchOutcome{skipped: map[string]int{}}
	for _, r := range env.Result {
		switch r.Status {
		case "created":
			out.created++
		case "updated":
			out.updated++
		default:
			reason := r.Status
			for _, rs := range r.Reasons {
				reason += fmt.Sprintf(" %s %q", rs.Code, rs.Message)
			}
			out.skipped[reason]++
		}
	}
	return out, nil
}

// writeStats is the timing of a write phase.
type writeStats struct {
	rows             int
	created, updated int
	elapsed          time.Duration
	batches          latencies
}

// rate is rows per second.
func (w writeStats) rate() float64 {
	if w.elapsed <= 0 {
		return 0
	}
	return float64(w.rows) / w.elapsed.Seconds()
}

// syncRequest is the body of a sync call.
type syncRequest[T any] struct {
	Action      string `json:"action"`
	LookupField string `json:"lookupField,omitempty"`
	Input       []T    `json:"input"`
}

// encodeBatches encodes records as sync requests of at most batchSize records each.
func encodeBatches[T any](records []T, lookupField string) ([]job, error) {
	var jobs []job
	for start := 0; start < len(records); start += batchSize {
		part := records[start:min(start+batchSize, len(records))]
		body, err := json.Marshal(syncRequest[T]{Action: "createOrUpdate", LookupField: lookupField, Input: part})
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, job{body: body, records: len(part)})
	}
	return jobs, nil
}

// job is one encoded sync request.
type job struct {
	body    []byte
	records int
}

// runJobs sends jobs to path with workers concurrent clients and checks every result: a
// failed request stops the phase; skipped records are listed, and fail the phase once it
// is over.
func (c *client) runJobs(ctx context.Context, path string, jobs []job, workers int) (writeStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan job)
	var mu sync.Mutex
	var firstErr error
	stats := writeStats{batches: make(latencies, 0, len(jobs))}
	skipped := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for j := range work {
				t0 := time.Now()
				out, err := c.sync(ctx, path, j.body, j.records)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
				} else {
					stats.batches = append(stats.batches, d)
					stats.rows += j.records
					stats.created += out.created
					stats.updated += out.updated
					for r, n := range out.skipped {
						skipped[r] += n
					}
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, j := range jobs {
		select {
		case work <- j:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	stats.elapsed = time.Since(start)
	if firstErr != nil {
		return stats, firstErr
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	if len(skipped) > 0 {
		total := 0
		reasons := make([]string, 0, len(skipped))
		for r, n := range skipped {
			total += n
			reasons = append(reasons, fmt.Sprintf("  %6d × %s", n, r))
		}
		slices.Sort(reasons)
		return stats, fmt.Errorf("POST %s: %d of %d records were not written:\n%s", path, total, stats.rows, strings.Join(reasons, "\n"))
	}
	return stats, nil
}

// syncSetup syncs the sales persons, then the companies that reference them.
func (c *client) syncSetup(ctx context.Context, d *dataset, workers int) error {
	jobs, err := encodeBatches(d.salesPersons, "")
	if err != nil {
		return err
	}
	if _, err := c.runJobs(ctx, "/rest/v1/salespersons.json", jobs, workers); err != nil {
		return fmt.Errorf("syncing sales persons: %w", err)
	}
	if jobs, err = encodeBatches(d.companies, ""); err != nil {
		return err
	}
	if _, err := c.runJobs(ctx, "/rest/v1/companies.json", jobs, workers); err != nil {
		return fmt.Errorf("syncing companies: %w", err)
	}
	return nil
}

// syncLeads times the leads phase. The requests are encoded before the clock starts.
func (c *client) syncLeads(ctx context.Context, leads []lead, workers int) (writeStats, error) {
	jobs, err := encodeBatches(leads, "externalPersonId")
	if err != nil {
		return writeStats{}, err
	}
	stats, err := c.runJobs(ctx, "/rest/v1/leads.json", jobs, workers)
	if err != nil {
		return stats, fmt.Errorf("syncing leads: %w", err)
	}
	if stats.created+stats.updated != len(leads) {
		return stats, fmt.Errorf("syncing leads: %d created and %d updated of %d", stats.created, stats.updated, len(leads))
	}
	return stats, nil
}

// readBackWarmup is how many read-backs run untimed first.
const readBackWarmup = 5

// readBack times reads of batchSize random leads by externalPersonId (in the mixed case they
// were sent in) through POST …?_method=GET with a form body, one at a time, and checks that
// each returns exactly those leads with their emails and names.
func (c *client) readBack(ctx context.Context, leads []lead, n int, seed uint64) (latencies, error) {
	rng := rand.New(rand.NewPCG(seed, 0x7265616462))
	out := make(latencies, 0, n)
	for i := range readBackWarmup + n {
		picked := pickLeads(rng, leads, batchSize)
		ids := make([]string, len(picked))
		for k, l := range picked {
			ids[k] = l.ExternalPersonID
		}
		form := url.Values{
			"filterType":   {"externalPersonId"},
			"filterValues": {strings.Join(ids, ",")},
			"fields":       {"email,firstName,lastName"},
		}.Encode()
		t0 := time.Now()
		raw, err := c.do(ctx, http.MethodPost, "/rest/v1/leads.json?_method=GET", "application/x-www-form-urlencoded", []byte(form))
		d := time.Since(t0)
		if err != nil {
			return nil, fmt.Errorf("reading back leads: %w", err)
		}
		if err := checkReadBack(raw, picked); err != nil {
			return nil, fmt.Errorf("reading back leads: %w", err)
		}
		if i >= readBackWarmup {
			out = append(out, d)
		}
	}
	return out, nil
}

// pickLeads returns n distinct random leads.
func pickLeads(rng *rand.Rand, leads []lead, n int) []lead {
	seen := make(map[int]bool, n)
	out := make([]lead, 0, n)
	for len(out) < n {
		i := rng.IntN(len(leads))
		if !seen[i] {
			seen[i] = true
			out = append(out, leads[i])
		}
	}
	return out
}

// checkReadBack checks a lead query answer against the leads asked for.
func checkReadBack(raw []byte, want []lead) error {
	var env struct {
		Success bool `json:"success"`
		Result  []struct {
			Email     string `json:"email"`
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"result"`
		Errors     []marketoError `json:"errors"`
		MoreResult bool           `json:"moreResult"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("answer is not a Marketo envelope: %v: %s", err, snippet(raw))
	}
	if !env.Success {
		return apiError("/rest/v1/leads.json?_method=GET", env.Errors)
	}
	if len(env.Result) != len(want) || env.MoreResult {
		return fmt.Errorf("%d leads returned (moreResult %t) for %d externalPersonIds", len(env.Result), env.MoreResult, len(want))
	}
	byEmail := make(map[string]lead, len(want))
	for _, l := range want {
		byEmail[l.Email] = l
	}
	for _, r := range env.Result {
		l, ok := byEmail[r.Email]
		if !ok || r.FirstName != l.FirstName || r.LastName != l.LastName {
			return fmt.Errorf("unexpected lead %s %s <%s> in the answer", r.FirstName, r.LastName, r.Email)
		}
		delete(byEmail, r.Email)
	}
	return nil
}

// latencies are measured durations.
type latencies []time.Duration

// percentile returns the nearest-rank p-th percentile (0 when empty).
func (l latencies) percentile(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s)) + 0.999999)
	return s[min(max(rank, 1), len(s))-1]
}

// max returns the longest duration.
func (l latencies) max() time.Duration {
	if len(l) == 0 {
		return 0
	}
	return slices.Max(l)
}

// snippet shortens a response body for an error message.
func snippet(b []byte) string {
	const n = 400
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// profiler fetches a CPU profile from a profiling build of the suite.
type profiler struct {
	done chan struct{}
	data []byte
	err  error
}

// startProfile starts fetching a CPU profile of secs seconds from the pprof server at addr.
func startProfile(ctx context.Context, addr string, secs int) *profiler {
	p := &profiler{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			p.err = err
			return
		}
		hc := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: time.Duration(secs+30) * time.Second}
		resp, err := hc.Do(req)
		if err != nil {
			p.err = fmt.Errorf("the suite binary serves no pprof on %s=%s (%v); build a profiling copy of suite/cmd/msisync", pprofAddrVar, addr, err)
			return
		}
		defer resp.Body.Close()
		p.data, p.err = io.ReadAll(resp.Body)
		if p.err == nil && resp.StatusCode != http.StatusOK {
			p.err = fmt.Errorf("pprof answered HTTP %d: %s", resp.StatusCode, snippet(p.data))
		}
	}()
	return p
}

// save waits for the profile and writes it to path.
func (p *profiler) save(path string) error {
	fmt.Println("waiting for the CPU profile to complete")
	<-p.done
	if p.err != nil {
		return p.err
	}
	if len(p.data) == 0 {
		return errors.New("empty CPU profile")
	}
	return os.WriteFile(path, p.data, 0o644)
}
