package dataverse

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// throttledFor answers the first n requests 429 with the given Retry-After, then WhoAmI.
func throttledFor(n int64, retryAfter string) http.HandlerFunc {
	var seen atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			writeError(w, 429, "0x80072322", "Number of requests exceeded the limit of 6000 over time window of 300 seconds.")
			return
		}
		whoAmIHandler(w, r)
	}
}

func TestSustainedThrottlingUsesNoAttempts(t *testing.T) {
	// Twenty 429s in a row, more than MaxAttempts: each waits its Retry-After, and the
	// request succeeds, since throttling is pacing, not failure.
	e := newEnv(t, throttledFor(20, "2"))
	c, waits := e.client(func(c *Config) { c.MaxAttempts = 3 })
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatalf("WhoAmI after 20 throttled answers: %v", err)
	}
	got := waits.all()
	if len(got) != 20 || got[0] != 2*time.Second || got[19] != 2*time.Second {
		t.Errorf("waits = %v, want twenty of 2s", got)
	}
	if s := c.Stats(); s.Throttled != 20 || s.Requests != 21 {
		t.Errorf("stats = %+v", s)
	}
}

func TestThrottleBudgetEndsTheRequest(t *testing.T) {
	e := newEnv(t, throttledFor(1000, "60"))
	c, waits := e.client(func(c *Config) { c.ThrottleBudget = 5 * time.Minute })
	_, err := c.WhoAmI(context.Background())
	var budgetErr *ThrottleBudgetError
	if !errors.As(err, &budgetErr) || budgetErr.Waited != 5*time.Minute {
		t.Fatalf("err = %v, want a *ThrottleBudgetError after 5m of waits", err)
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Status != 429 || !strings.Contains(err.Error(), "MSISYNC_DYNAMICS_THROTTLE_BUDGET") {
		t.Errorf("err = %q, want it to wrap the 429 and name the setting", err)
	}
	if got := waits.all(); len(got) != 5 {
		t.Errorf("waits = %v, want five of 1m", got)
	}
	// A Retry-After longer than what is left of the budget is waited only as far as the
	// budget goes; then the request gives up.
	e = newEnv(t, throttledFor(1000, "120"))
	c, waits = e.client(func(c *Config) { c.ThrottleBudget = 5 * time.Minute })
	if _, err := c.WhoAmI(context.Background()); !errors.As(err, &budgetErr) || budgetErr.Waited != 5*time.Minute {
		t.Fatalf("err = %v, want a *ThrottleBudgetError after 5m of waits", err)
	}
	if got := waits.all(); len(got) != 3 || got[2] != time.Minute {
		t.Errorf("waits = %v, want 2m, 2m, 1m", got)
	}
}

func TestRetryAfterZeroIsChargedASecond(t *testing.T) {
	// A service that keeps answering "Retry-After: 0" is retried at once, yet ends the
	// request when the budget is spent at a second per answer.
	e := newEnv(t, throttledFor(1000, "0"))
	c, waits := e.client(func(c *Config) { c.ThrottleBudget = 10 * time.Second })
	_, err := c.WhoAmI(context.Background())
	var budgetErr *ThrottleBudgetError
	if !errors.As(err, &budgetErr) {
		t.Fatalf("err = %v, want a *ThrottleBudgetError", err)
	}
	if got := waits.all(); len(got) != 10 || got[0] != 0 {
		t.Errorf("waits = %v, want ten of 0s", got)
	}
}

func TestThrottledBatchPartsUseNoAttempts(t *testing.T) {
	var rounds atomic.Int64
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		n := rounds.Add(1)
		out := []answer{{status: 204}}
		if n <= 12 {
			out[0] = answer{status: 429, code: "0x80072322", msg: "Number of requests exceeded the limit", retryAfter: "1"}
		}
		writeBatchResponse(w, out)
	})
	c, waits := e.client(func(c *Config) { c.MaxAttempts = 2 })
	res, err := c.UpdateBatch(context.Background(), []Update{{EntitySet: "contacts", ID: id2, Columns: map[string]any{"mkt_x": 1}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("UpdateBatch after 12 throttled rounds: %v %+v", err, res)
	}
	if got := waits.all(); len(got) != 12 {
		t.Errorf("waits = %v, want 12", got)
	}
}
