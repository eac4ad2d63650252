package main

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// report is everything the run measured.
type report struct {
	opts       options
	dataDir    string
	setup      time.Duration
	elapsed    time.Duration // the load phase
	drain      time.Duration
	checkTime  time.Duration
	stats      *stats // the load phase
	drainStats *stats // the drain after it
	check      checkResult
}

// reads are the kinds whose records are read, not written.
func reads(k kind) bool { return k == kindLeadQuery || k == kindReadBack }

// print writes the report to stdout.
func (r *report) print() {
	o, s, ds := r.opts, r.stats, r.drainStats
	secs := r.elapsed.Seconds()
	calls, ok, refused := s.totals()
	written, read := 0, 0
	for k, ks := range s.kinds {
		if reads(kind(k)) {
			read += ks.records
		} else {
			written += ks.records
		}
	}
	fmt.Println()
	fmt.Printf("msisync load — all-in-one suite on SQLite, %d clients sharing one API client, loopback only\n", o.clients)
	fmt.Printf("  machine            %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("  limits             %s\n", o.limitsText())
	fmt.Printf("  setup              %d sales persons, %d companies synced in %s\n", o.salesPersons, o.companies, r.setup.Round(time.Millisecond))
	fmt.Printf("  run                %s (-duration %s), seed %d\n", r.elapsed.Round(time.Millisecond), o.duration, o.seed)
	fmt.Printf("  calls              %d (%.1f/s), %d accepted (%.1f/s), %s refused\n", calls, float64(calls)/secs, ok, float64(ok)/secs, countsText(refused, "none"))
	fmt.Printf("  records            %d written (%.0f/s), %d read (%.0f/s)\n", written, float64(written)/secs, read, float64(read)/secs)
	fmt.Printf("  %-19s %6s %6s %5s %5s %5s %8s %10s %10s %10s %10s\n", "by kind", "calls", "ok", "606", "615", "other", "records", "p50", "p95", "p99", "max")
	for k, ks := range s.kinds {
		other := ks.failed
		for c, n := range ks.refused {
			if c != string(suiteproc.CodeRateLimit) && c != string(suiteproc.CodeConcurrency) {
				other += n
			}
		}
		fmt.Printf("    %-17s %6d %6d %5d %5d %5d %8d %10s %10s %10s %10s\n", kindNames[k], ks.calls, ks.ok,
			ks.refused[string(suiteproc.CodeRateLimit)], ks.refused[string(suiteproc.CodeConcurrency)], other, ks.records,
			suiteproc.Ms(ks.lat.Percentile(50)), suiteproc.Ms(ks.lat.Percentile(95)), suiteproc.Ms(ks.lat.Percentile(99)), suiteproc.Ms(ks.lat.Max()))
	}
	fmt.Printf("                     (latency of accepted calls; records: written or read)\n")
	statuses := map[string]int{}
	for st, n := range s.statuses {
		key := strconv.Itoa(st)
		if st == 0 {
			key = "no answer"
		}
		statuses[key] = n
	}
	fmt.Printf("  HTTP statuses      %s\n", countsText(statuses, "none"))
	fmt.Printf("  Marketo errors     %s (606: rate limit, 607: daily quota, 615: concurrency)\n", countsText(s.codes, "none"))
	fmt.Printf("  606 / 615          %d / %d\n", s.codes[string(suiteproc.CodeRateLimit)], s.codes[string(suiteproc.CodeConcurrency)])
	fmt.Printf("  5xx answers        %d  (must be 0: %s)\n", s.serverErr, okText(s.serverErr == 0))
	fmt.Printf("  no answer          %d\n", s.noAnswer)
	fmt.Printf("  other failures     %d\n", s.nFailures)
	for _, f := range s.failures {
		fmt.Printf("                       %s\n", f)
	}
	fmt.Printf("  skipped records    %s\n", countsText(s.skips, "none"))
	for _, f := range s.skipEx {
		fmt.Printf("                       %s\n", f)
	}
	dcalls, dok, drefused := ds.totals()
	fmt.Printf("  lead batch resends %d during the run (refused or unanswered batches sent again), %d after it\n", s.resent, ds.resent)
	fmt.Printf("                     (drain: %d calls, %d accepted, %s refused, %d 5xx, in %s)\n", dcalls, dok, countsText(drefused, "none"), ds.serverErr, r.drain.Round(time.Millisecond))
	fmt.Printf("  live read-backs    %d leads compared during the run, %d not as last acknowledged\n", s.liveRead, s.liveBad)
	for _, f := range s.liveBadEx {
		fmt.Printf("                       %s\n", f)
	}
	c := r.check
	fmt.Printf("  consistency        %d distinct leads acknowledged, %d found by externalPersonId, %d with the last\n", c.acknowledged, c.found, c.consistent)
	fmt.Printf("                     acknowledged email and company; %d lost or inconsistent: %s\n", c.acknowledged-c.consistent, okText(c.problems == 0 && c.consistent == c.acknowledged))
	for _, f := range c.examples {
		fmt.Printf("                       %s\n", f)
	}
	fmt.Printf("                     (%d queries of ≤ %d in %s, %d refused and repeated)\n", c.queries, suiteproc.BatchSize, r.checkTime.Round(time.Millisecond), c.refused)
	if o.keepData {
		fmt.Printf("  data kept in       %s\n", r.dataDir)
	}
}

// problems lists why the run failed.
func (r *report) problems() []string {
	s, ds, c := r.stats, r.drainStats, r.check
	var out []string
	if n := s.serverErr + ds.serverErr + c.stats.serverErr; n > 0 {
		out = append(out, fmt.Sprintf("%d 5xx answers", n))
	}
	if n := s.noAnswer + ds.noAnswer; n > 0 {
		out = append(out, fmt.Sprintf("%d calls without an answer", n))
	}
	if n := s.nFailures + ds.nFailures; n > 0 {
		out = append(out, fmt.Sprintf("%d unexpected failures", n))
	}
	if n := countSum(s.skips) + countSum(ds.skips); n > 0 {
		out = append(out, fmt.Sprintf("%d skipped records", n))
	}
	if s.liveBad > 0 {
		out = append(out, fmt.Sprintf("%d inconsistent leads during the run", s.liveBad))
	}
	if c.problems > 0 || c.consistent != c.acknowledged {
		out = append(out, fmt.Sprintf("%d of %d acknowledged leads lost or inconsistent (%d problems)", c.acknowledged-c.consistent, c.acknowledged, c.problems))
	}
	return out
}

// countsText words counts as "key × n, …" in key order.
func countsText(m map[string]int, none string) string {
	if len(m) == 0 {
		return none
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s × %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// countSum adds the counts.
func countSum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// okText words a check.
func okText(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAILED"
}
