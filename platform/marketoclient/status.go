package marketoclient

import (
	"sync"
	"time"
)

// stats counts what the client did, for Status.
type stats struct {
	mu          sync.Mutex
	calls       int64 // HTTP requests sent to the REST API, retries included
	retries     int64
	failed      int64 // calls that ended in an error after any retries
	lastErr     string
	lastErrTime time.Time
}

func (s *stats) called()  { s.mu.Lock(); s.calls++; s.mu.Unlock() }
func (s *stats) retried() { s.mu.Lock(); s.retries++; s.mu.Unlock() }

func (s *stats) ended(now time.Time, err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed++
	s.lastErr, s.lastErrTime = err.Error(), now
}

// Status is a snapshot of a client's use of Marketo, for GET /v1/upstream and the check.
type Status struct {
	// Limits are the shared limits: today's calls, what is left, the current rate.
	Limits LimitsStatus `json:"limits"`
	// Calls counts the requests this client sent (retries included); Retries the waits
	// before another attempt; Failed the calls that ended in an error.
	Calls   int64 `json:"calls"`
	Retries int64 `json:"retries"`
	Failed  int64 `json:"failed"`
	// LastError is the last call's error that was given up on, and when.
	LastError     string    `json:"lastError,omitempty"`
	LastErrorTime time.Time `json:"lastErrorTime,omitzero"`
}

// Status returns a snapshot of what the client did and of the shared limits.
func (c *Client) Status() Status {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	return Status{
		Limits: c.limits.Status(),
		Calls:  c.stats.calls, Retries: c.stats.retries, Failed: c.stats.failed,
		LastError: c.stats.lastErr, LastErrorTime: c.stats.lastErrTime,
	}
}
