package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// maxSamples is how many examples of each kind of problem the report keeps.
const maxSamples = 5

// kindStats counts the calls of one kind.
type kindStats struct {
	calls   int                 // calls made
	ok      int                 // calls that succeeded
	refused map[string]int      // calls refused by a limit, by Marketo code
	failed  int                 // calls that failed otherwise
	records int                 // records acknowledged (writes) or returned (reads)
	lat     suiteproc.Latencies // latency of the calls that succeeded
}

// stats is what a client measured; clients keep their own and they are merged at the end.
type stats struct {
	kinds     [numKinds]kindStats
	statuses  map[int]int    // HTTP status → calls (0: no answer)
	codes     map[string]int // response-level Marketo code → calls
	skips     map[string]int // "kind: status codes" of skipped records → records
	skipEx    []string       // examples with the messages
	noAnswer  int            // calls without an answer
	serverErr int            // 5xx answers
	failures  []string       // examples of unexpected failures
	nFailures int            // unexpected failures: errors other than a limit, no answer or 5xx
	resent    int            // times a lead batch was sent again after a refusal or no answer
	liveRead  int            // leads compared during the run's read-backs
	liveBad   int            // of those, missing or not as last acknowledged
	liveBadEx []string       // examples
}

func newStats() *stats {
	s := &stats{statuses: map[int]int{}, codes: map[string]int{}, skips: map[string]int{}}
	for k := range s.kinds {
		s.kinds[k].refused = map[string]int{}
	}
	return s
}

// record counts one call.
func (s *stats) record(k kind, a answer, d time.Duration) {
	ks := &s.kinds[k]
	ks.calls++
	s.statuses[a.status]++
	if a.code != "" {
		s.codes[a.code]++
	}
	switch {
	case a.ok():
		ks.ok++
		ks.lat = append(ks.lat, d)
	case a.refused():
		ks.refused[a.code]++
	default:
		ks.failed++
		switch {
		case a.err != nil:
			s.noAnswer++
		case a.status >= http.StatusInternalServerError:
			s.serverErr++
		default:
			s.nFailures++
		}
		s.sample(&s.failures, fmt.Sprintf("%s: %s", kindNames[k], a.describe()))
	}
}

// fail counts an unexpected failure found in a successful answer.
func (s *stats) fail(k kind, format string, args ...any) {
	s.nFailures++
	s.sample(&s.failures, kindNames[k]+": "+fmt.Sprintf(format, args...))
}

// skip counts a skipped record by kind, status and codes, and keeps examples of the reasons.
func (s *stats) skip(k kind, status string, reasons []suiteproc.MarketoError) {
	key, text := kindNames[k]+": "+status, status
	for _, r := range reasons {
		key += " " + string(r.Code)
		text += fmt.Sprintf(" %s %q", r.Code, r.Message)
	}
	s.skips[key]++
	s.sample(&s.skipEx, kindNames[k]+": "+text)
}

// sample keeps an example while there are fewer than maxSamples.
func (s *stats) sample(list *[]string, text string) {
	if len(*list) < maxSamples {
		*list = append(*list, text)
	}
}

// merge adds o to s.
func (s *stats) merge(o *stats) {
	for k := range s.kinds {
		a, b := &s.kinds[k], &o.kinds[k]
		a.calls += b.calls
		a.ok += b.ok
		a.failed += b.failed
		a.records += b.records
		a.lat = append(a.lat, b.lat...)
		for c, n := range b.refused {
			a.refused[c] += n
		}
	}
	for _, m := range []struct{ dst, src map[string]int }{{s.codes, o.codes}, {s.skips, o.skips}} {
		for c, n := range m.src {
			m.dst[c] += n
		}
	}
	for st, n := range o.statuses {
		s.statuses[st] += n
	}
	s.noAnswer += o.noAnswer
	s.serverErr += o.serverErr
	s.nFailures += o.nFailures
	s.resent += o.resent
	s.liveRead += o.liveRead
	s.liveBad += o.liveBad
	for _, f := range o.failures {
		s.sample(&s.failures, f)
	}
	for _, f := range o.skipEx {
		s.sample(&s.skipEx, f)
	}
	for _, f := range o.liveBadEx {
		s.sample(&s.liveBadEx, f)
	}
}

// totals sums the kinds.
func (s *stats) totals() (calls, ok int, refused map[string]int) {
	refused = map[string]int{}
	for _, k := range s.kinds {
		calls += k.calls
		ok += k.ok
		for c, n := range k.refused {
			refused[c] += n
		}
	}
	return calls, ok, refused
}
