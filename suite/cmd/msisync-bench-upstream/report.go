package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Goals of docs/upstream.md, Bench.
const (
	rateGoalPct       = 90.0
	callsPer1000Goal  = 3.5
	callsPer1000Floor = 1000.0 / listMax
)

// result is what one bench run measured.
type result struct {
	records, runs  int
	elapsed        time.Duration // T: first run accepted → 0 pending
	submit, apply  time.Duration // first run accepted → all submitted, all applied locally
	startup, calls []call        // the proxy's calls before the submission, and all of them
	maxInFlight    int
	status         upstreamStatus
	held           recordCounts
}

// rate is records delivered per second.
func (r result) rate() float64 { return float64(r.records) / r.elapsed.Seconds() }

// print writes the report.
func (r result) print(w io.Writer) {
	rate, capRate := r.rate(), capRecordsPerSecond()
	per1000 := float64(len(r.calls)) * 1000 / float64(r.records)
	byKey := counts(r.calls)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "msisync bench — upstream mode: forwarding suite → counting proxy → upstream suite, Marketo limits %d calls/%s, %d at once\n",
		limitCalls, limitWindow, limitConc)
	fmt.Fprintf(w, "  records          %d in %d sync runs; submitted in %.1f s, applied locally in %.1f s (%.0f records/s)\n",
		r.records, r.runs, r.submit.Seconds(), r.apply.Seconds(), float64(r.records)/r.apply.Seconds())
	fmt.Fprintf(w, "  delivered        %d records in T = %.1f s (first run accepted → GET /v1/upstream 0 pending, in flight, waiting)\n",
		r.status.sum(func(q upstreamQueue) int64s { return q.Delivered }), r.elapsed.Seconds())
	fmt.Fprintf(w, "  records/s        %9.0f against the cap %.0f (%d calls/%s × %d) = %.1f %%   goal ≥ %.0f %%: %s\n",
		rate, capRate, limitCalls, limitWindow, listMax, 100*rate/capRate, rateGoalPct, met(100*rate/capRate >= rateGoalPct))
	fmt.Fprintf(w, "  calls/1,000 rec  %9.2f (%d proxy calls, all included; floor %.2f)   goal ≤ %.1f: %s\n",
		per1000, len(r.calls), callsPer1000Floor, callsPer1000Goal, met(per1000 <= callsPer1000Goal))
	fmt.Fprintf(w, "  calls by path   ")
	for _, k := range sortedKeys(byKey) {
		fmt.Fprintf(w, " %s %d;", k, byKey[k])
	}
	fmt.Fprintf(w, "\n                   of which %d at start-up before any record (%s)\n", len(r.startup), strings.Join(keyList(counts(r.startup)), ", "))
	fmt.Fprintf(w, "  limits at proxy  at most %d calls in any %s (limit %d, token calls not counted), %d at once (limit %d); forwarder: %d sent, %d retries, %d failed\n",
		maxInWindow(r.calls, limitWindow), limitWindow, limitCalls, r.maxInFlight, limitConc, r.status.Calls.Sent, r.status.Calls.Retries, r.status.Calls.Failed)
	if span := minSpan(r.calls, limitCalls); span > 0 {
		fmt.Fprintf(w, "                   shortest time from a call to the %dth after it, as the proxy saw them: %.3f s (the window is %s)\n",
			limitCalls, span.Seconds(), limitWindow)
	}
	r.printUpstream(w, rate)
	estimateInitialLoad().print(w, rate)
	fmt.Fprintf(w, "  upstream holds   %s = %d of %d records: %s\n", r.held, r.held.total(), r.records, equal(r.held.total() == int64(r.records)))
}

// printUpstream writes the upstream's own ingest rate: the records over the time its
// write calls took, one at a time and at the concurrency allowed.
func (r result) printUpstream(w io.Writer, rate float64) {
	var busy time.Duration
	writes := 0
	for _, c := range r.calls {
		if isWrite(c) {
			busy += c.end.Sub(c.start)
			writes++
		}
	}
	if writes == 0 || busy <= 0 {
		fmt.Fprintf(w, "  upstream ingest  no write calls seen\n")
		return
	}
	one := float64(r.records) / busy.Seconds()
	all := one * float64(limitConc)
	fmt.Fprintf(w, "  upstream ingest  %9.0f records/s per connection (%d write calls, %.1f s in all, %s each on average) → %.0f records/s at %d at once\n",
		one, writes, busy.Seconds(), (busy / time.Duration(writes)).Round(time.Millisecond), all, limitConc)
	switch {
	case all < capRecordsPerSecond():
		fmt.Fprintf(w, "                   the upstream, not the forwarder, bounds the delivery rate\n")
	case rate < capRecordsPerSecond()*rateGoalPct/100 && r.apply > r.elapsed*9/10:
		fmt.Fprintf(w, "                   the forwarding suite's local apply (%.0f records/s), not the forwarder, bounds the delivery rate\n",
			float64(r.records)/r.apply.Seconds())
	default:
		fmt.Fprintf(w, "                   the upstream is not the bottleneck\n")
	}
}

// check fails unless the upstream holds every record of the mix and nothing was skipped.
func (r result) check(m *mix) error {
	want := recordCounts{
		SalesPersons: int64s(len(m.salesPersons)), Companies: int64s(len(m.companies)), Leads: int64s(len(m.leads)),
		Opportunities: int64s(len(m.opportunities)), OpportunityRoles: int64s(len(m.roles)),
	}
	if r.held != want {
		return fmt.Errorf("the upstream holds %s; the run sent %s\nGET /v1/upstream: %s", r.held, want, r.status.raw)
	}
	if s := r.status.sum(func(q upstreamQueue) int64s { return q.Skipped }); s != 0 {
		return fmt.Errorf("the upstream skipped %d records; GET /v1/upstream: %s", s, r.status.raw)
	}
	return nil
}

// keyList lists a count map as "key n" items.
func keyList(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, fmt.Sprintf("%s %d", k, m[k]))
	}
	return out
}

// met words a goal check.
func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// equal words the final comparison.
func equal(ok bool) string {
	if ok {
		return "equal"
	}
	return "NOT EQUAL"
}
