package main

import (
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
	"strings"
	"sync"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// Credentials of the API client the suite creates at start-up.
const (
	benchClientID     = "msisync-bench"
	benchClientSecret = "msisync-bench-secret-0123456789"
)

// pprofAddrVar is where a profiling build of the suite serves net/http/pprof. The normal
// suite binary ignores it.
const pprofAddrVar = "MSISYNC_BENCH_PPROF_ADDR"

// client is the REST client with the bench's phases.
type client struct {
	*suiteproc.Client
}

// writeStats is the timing of a write phase.
type writeStats struct {
	rows             int
	created, updated int
	elapsed          time.Duration
	batches          suiteproc.Latencies
}

// rate is rows per second.
func (w writeStats) rate() float64 {
	if w.elapsed <= 0 {
		return 0
	}
	return float64(w.rows) / w.elapsed.Seconds()
}

// runJobs sends jobs to path with workers concurrent clients and checks every result: a
// failed request stops the phase; skipped records are listed, and fail the phase once it
// is over.
func (c *client) runJobs(ctx context.Context, path string, jobs []suiteproc.Job, workers int) (writeStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan suiteproc.Job)
	var mu sync.Mutex
	var firstErr error
	stats := writeStats{batches: make(suiteproc.Latencies, 0, len(jobs))}
	skipped := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for j := range work {
				t0 := time.Now()
				out, err := c.Sync(ctx, path, j.Body, j.Records)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
				} else {
					stats.batches = append(stats.batches, d)
					stats.rows += j.Records
					stats.created += out.Created
					stats.updated += out.Updated
					for r, n := range out.Skipped {
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
func (c *client) syncSetup(ctx context.Context, d *suiteproc.Dataset, workers int) error {
	jobs, err := suiteproc.EncodeBatches(d.SalesPersons, "")
	if err != nil {
		return err
	}
	if _, err := c.runJobs(ctx, "/rest/v1/salespersons.json", jobs, workers); err != nil {
		return fmt.Errorf("syncing sales persons: %w", err)
	}
	if jobs, err = suiteproc.EncodeBatches(d.Companies, ""); err != nil {
		return err
	}
	if _, err := c.runJobs(ctx, "/rest/v1/companies.json", jobs, workers); err != nil {
		return fmt.Errorf("syncing companies: %w", err)
	}
	return nil
}

// syncLeads times the leads phase. The requests are encoded before the clock starts.
func (c *client) syncLeads(ctx context.Context, leads []suiteproc.Lead, workers int) (writeStats, error) {
	jobs, err := suiteproc.EncodeBatches(leads, "externalPersonId")
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
func (c *client) readBack(ctx context.Context, leads []suiteproc.Lead, n int, seed uint64) (suiteproc.Latencies, error) {
	rng := rand.New(rand.NewPCG(seed, 0x7265616462))
	out := make(suiteproc.Latencies, 0, n)
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
		}
		t0 := time.Now()
		raw, err := c.Query(ctx, "/rest/v1/leads.json", form)
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
func pickLeads(rng *rand.Rand, leads []suiteproc.Lead, n int) []suiteproc.Lead {
	seen := make(map[int]bool, n)
	out := make([]suiteproc.Lead, 0, n)
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
func checkReadBack(raw []byte, want []suiteproc.Lead) error {
	var env struct {
		Success bool `json:"success"`
		Result  []struct {
			Email     string `json:"email"`
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"result"`
		Errors     []suiteproc.MarketoError `json:"errors"`
		MoreResult bool                     `json:"moreResult"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("answer is not a Marketo envelope: %v: %s", err, suiteproc.Snippet(raw))
	}
	if !env.Success {
		return suiteproc.APIError(suiteproc.QueryPath("/rest/v1/leads.json"), env.Errors)
	}
	if len(env.Result) != len(want) || env.MoreResult {
		return fmt.Errorf("%d leads returned (moreResult %t) for %d externalPersonIds", len(env.Result), env.MoreResult, len(want))
	}
	byEmail := make(map[string]suiteproc.Lead, len(want))
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
			p.err = fmt.Errorf("pprof answered HTTP %d: %s", resp.StatusCode, suiteproc.Snippet(p.data))
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
