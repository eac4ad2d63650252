package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// readLead is a lead as a query returns it.
type readLead struct {
	ExternalPersonID  string `json:"externalPersonId"`
	Email             string `json:"email"`
	ExternalCompanyID string `json:"externalCompanyId"`
}

// queryLeads reads the leads of want (at most 300) by externalPersonId through POST
// …?_method=GET, sending each id in a random letter case, and returns them by match key.
// call makes the call and classifies its answer; err is for a successful answer that does
// not make sense.
func queryLeads(ctx context.Context, c *suiteproc.Client, want map[string]acked, rng *rand.Rand,
	call func(func() (int, []byte, error)) answer) (answer, map[string][]readLead, error) {
	ids := make([]string, 0, len(want))
	for _, l := range want {
		ids = append(ids, recase(rng, l.id))
	}
	form := url.Values{
		"filterType":   {"externalPersonId"},
		"filterValues": {strings.Join(ids, ",")},
		"fields":       {leadFields},
	}
	a := call(func() (int, []byte, error) { return c.CallQuery(ctx, leadsPath, form) })
	if !a.ok() {
		return a, nil, nil
	}
	var env struct {
		Result     []readLead `json:"result"`
		MoreResult bool       `json:"moreResult"`
	}
	if err := json.Unmarshal(a.raw, &env); err != nil {
		return a, nil, fmt.Errorf("answer is not a Marketo envelope: %v: %s", err, suiteproc.Snippet(a.raw))
	}
	if env.MoreResult {
		return a, nil, fmt.Errorf("moreResult true for %d externalPersonIds", len(ids))
	}
	got := make(map[string][]readLead, len(env.Result))
	for _, r := range env.Result {
		k := suiteproc.Key(r.ExternalPersonID)
		got[k] = append(got[k], r)
	}
	return a, got, nil
}

// compare lists how got differs from want: missing, duplicated, stale and unasked leads.
func compare(want map[string]acked, got map[string][]readLead) []string {
	var problems []string
	for k, l := range want {
		rs := got[k]
		switch {
		case len(rs) == 0:
			problems = append(problems, fmt.Sprintf("lead %s (last email %s) is missing", l.id, l.email))
		case len(rs) > 1:
			problems = append(problems, fmt.Sprintf("lead %s was returned %d times", l.id, len(rs)))
		case rs[0].Email != l.email || suiteproc.Key(rs[0].ExternalCompanyID) != l.companyKey:
			problems = append(problems, fmt.Sprintf("lead %s has email %s, company %s; last acknowledged %s, %s",
				l.id, rs[0].Email, rs[0].ExternalCompanyID, l.email, l.companyKey))
		}
	}
	for k, rs := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, fmt.Sprintf("lead %s was returned but not asked for", rs[0].ExternalPersonID))
		}
	}
	slices.Sort(problems)
	return problems
}

// checkResult is the final consistency check.
type checkResult struct {
	acknowledged int      // distinct leads acknowledged
	found        int      // of those, read back exactly once
	consistent   int      // of those, with the last acknowledged email and company
	problems     int      // missing, duplicated, stale or unasked leads
	examples     []string // some of them
	queries      int      // query calls made
	refused      int      // of those, refused by a limit and repeated
	stats        *stats   // the check's calls
}

// checkAll reads back every lead any worker acknowledged, 300 at a time, repeating calls
// refused by a limit, and compares each with its last acknowledged state.
func checkAll(ctx context.Context, c *suiteproc.Client, workers []*worker) (checkResult, error) {
	var keys []string
	all := map[string]acked{}
	for _, w := range workers {
		for _, k := range w.keys {
			if _, dup := all[k]; dup {
				return checkResult{}, fmt.Errorf("two workers wrote lead %s; the key space must be partitioned", k)
			}
			all[k] = w.leads[k]
			keys = append(keys, k)
		}
	}
	res := checkResult{acknowledged: len(all), stats: newStats()}
	rng := rand.New(rand.NewPCG(1, 2))
	for start := 0; start < len(keys); {
		part := keys[start:min(start+suiteproc.BatchSize, len(keys))]
		want := make(map[string]acked, len(part))
		for _, k := range part {
			want[k] = all[k]
		}
		a, got, err := queryLeads(ctx, c, want, rng, func(send func() (int, []byte, error)) answer {
			res.queries++
			a := classify(send())
			res.stats.record(kindReadBack, a, 0)
			return a
		})
		switch {
		case ctx.Err() != nil:
			return res, ctx.Err()
		case a.refused():
			res.refused++
			backoff(ctx, rng)
			continue
		case !a.ok():
			return res, fmt.Errorf("check: reading back leads: %s", a.describe())
		case err != nil:
			return res, fmt.Errorf("check: reading back leads: %w", err)
		}
		problems := compare(want, got)
		res.problems += len(problems)
		for _, p := range problems {
			res.stats.sample(&res.examples, p)
		}
		for k, l := range want {
			if rs := got[k]; len(rs) == 1 {
				res.found++
				if rs[0].Email == l.email && suiteproc.Key(rs[0].ExternalCompanyID) == l.companyKey {
					res.consistent++
				}
			}
		}
		start += len(part)
	}
	return res, nil
}

// setup syncs the sales persons, then the companies, repeating calls refused by a limit.
func setup(ctx context.Context, c *suiteproc.Client, d *suiteproc.Dataset) error {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, step := range []struct {
		path string
		jobs func() ([]suiteproc.Job, error)
	}{
		{"/rest/v1/salespersons.json", func() ([]suiteproc.Job, error) { return suiteproc.EncodeBatches(d.SalesPersons, "") }},
		{"/rest/v1/companies.json", func() ([]suiteproc.Job, error) { return suiteproc.EncodeBatches(d.Companies, "") }},
	} {
		jobs, err := step.jobs()
		if err != nil {
			return err
		}
		for _, j := range jobs {
			for {
				a := classify(c.CallJSON(ctx, step.path, j.Body))
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if a.refused() {
					backoff(ctx, rng)
					continue
				}
				if !a.ok() {
					return fmt.Errorf("setup: POST %s: %s", step.path, a.describe())
				}
				var env suiteproc.Envelope
				if err := json.Unmarshal(a.raw, &env); err != nil || len(env.Result) != j.Records {
					return fmt.Errorf("setup: POST %s: %d results for %d records: %s", step.path, len(env.Result), j.Records, suiteproc.Snippet(a.raw))
				}
				for _, r := range env.Result {
					if r.Status != "created" && r.Status != "updated" {
						return fmt.Errorf("setup: POST %s: a record was not written: %s", step.path, suiteproc.SkipReason(r))
					}
				}
				break
			}
		}
	}
	return nil
}
