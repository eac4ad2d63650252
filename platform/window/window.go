// Package window counts calls in a sliding time window, the shape of Marketo's rate limit
// (100 calls in any 20 seconds): the orchestrator's per-client limiter and the client of an
// upstream Marketo both keep one.
package window

import "time"

// Sliding holds the start times of the calls within a window of Span, oldest first. The
// zero value with a Span set is ready to use; it is not safe for concurrent use.
type Sliding struct {
	// Span is the length of the window.
	Span time.Duration
	// starts are the call starts not yet known to have left the window.
	starts []time.Time
}

// Wait drops the starts that left the window by now and reports how long until one more
// call fits under limit: 0 when it fits now (Add it when the call starts), otherwise until
// the oldest call leaves the window.
func (s *Sliding) Wait(now time.Time, limit int) time.Duration {
	cutoff := now.Add(-s.Span)
	i := 0
	for i < len(s.starts) && !s.starts[i].After(cutoff) {
		i++
	}
	// Trimming the front shrinks the capacity, so Add copies the live entries to a new
	// array from time to time: memory stays bounded by the limit.
	s.starts = s.starts[i:]
	if len(s.starts) < limit {
		return 0
	}
	return s.starts[0].Add(s.Span).Sub(now)
}

// Add counts a call started at now.
func (s *Sliding) Add(now time.Time) { s.starts = append(s.starts, now) }

// In counts the calls that started within the window ending at now.
func (s *Sliding) In(now time.Time) int {
	n := 0
	for _, t := range s.starts {
		if t.After(now.Add(-s.Span)) {
			n++
		}
	}
	return n
}

// Empty reports whether no call is remembered (none started within the last Wait's window).
func (s *Sliding) Empty() bool { return len(s.starts) == 0 }
