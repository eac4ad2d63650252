package simulator

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// faultState holds pending injected faults.
type faultState struct {
	mu         sync.Mutex
	throttleN  int
	retryAfter time.Duration
	retryNow   bool // Retry-After: 0 instead of retryAfter
	failN      int
	failStatus int
	latency    time.Duration
	latencySet bool
}

// Throttle makes the next n API requests (token requests excluded; a $batch counts as one)
// answer 429 with Retry-After (whole seconds, at least 1) and error 0x80072322.
func (s *Simulator) Throttle(n int, retryAfter time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.throttleN, s.faults.retryAfter, s.faults.retryNow = max(n, 0), retryAfter, false
}

// ThrottleRetryNow makes the next n API requests answer 429 with "Retry-After: 0" and
// error 0x80072322: sustained throttling that costs a test no time.
func (s *Simulator) ThrottleRetryNow(n int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.throttleN, s.faults.retryNow = max(n, 0), true
}

// FailNext makes the next n API requests answer status (a 5xx; values below 500 become 503)
// with a Dataverse error body. Throttle faults are served first when both are pending.
func (s *Simulator) FailNext(n int, status int) {
	if status < 500 || status > 599 {
		status = http.StatusServiceUnavailable
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.failN, s.faults.failStatus = max(n, 0), status
}

// SetLatency changes the delay added to every API request (overrides Options.Latency).
func (s *Simulator) SetLatency(d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.latency, s.faults.latencySet = d, true
}

// ClearFaults cancels pending Throttle and FailNext faults and the latency override.
func (s *Simulator) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.throttleN, s.faults.failN, s.faults.latencySet = 0, 0, false
}

func (s *Simulator) latency() time.Duration {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.latencySet {
		return s.faults.latency
	}
	return s.opts.Latency
}

// take consumes one pending fault, returning the error to answer with (nil = none).
func (f *faultState) take() *apiError {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttleN > 0 {
		f.throttleN--
		secs := int((f.retryAfter + time.Second - 1) / time.Second)
		if f.retryNow {
			secs = 0
		} else {
			secs = max(secs, 1)
		}
		return &apiError{status: http.StatusTooManyRequests, code: "0x80072322", retryAfter: secs, retryNow: f.retryNow,
			msg: "Number of requests exceeded the limit of 6000 over time window of 300 seconds."}
	}
	if f.failN > 0 {
		f.failN--
		code := "0x80040216" // generic "An unexpected error occurred."
		msg := "An unexpected error occurred. (injected by the simulator)"
		if f.failStatus == http.StatusServiceUnavailable {
			code, msg = "0x80040265", "The service is temporarily unavailable. (injected by the simulator)"
		}
		return &apiError{status: f.failStatus, code: code, msg: fmt.Sprintf("%s HTTP %d.", msg, f.failStatus)}
	}
	return nil
}
