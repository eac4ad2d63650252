package dataverse

import (
	"fmt"
	"time"
)

// minThrottleCharge is what a throttled answer costs the throttle budget at least: a
// service that keeps answering 429 with Retry-After: 0 still ends the request.
const minThrottleCharge = time.Second

// throttle is one request's account of its waits on service protection limits.
type throttle struct {
	// waited is the time charged so far.
	waited time.Duration
	// answers counts the throttled answers, for the backoff when no Retry-After is given.
	answers int
}

// throttled charges one throttled answer to t and returns how long to wait: the answer's
// Retry-After (already capped at MaxRetryAfter), or a backoff when it carried none, cut to
// what is left of the throttle budget. Once the budget is spent, it returns a
// *ThrottleBudgetError instead.
func (c *Client) throttled(t *throttle, retryAfter time.Duration, given bool, last error) (time.Duration, error) {
	left := c.cfg.ThrottleBudget - t.waited
	if left <= 0 {
		return 0, &ThrottleBudgetError{Waited: t.waited, Budget: c.cfg.ThrottleBudget, Last: last}
	}
	t.answers++
	wait := retryAfter
	if !given {
		wait = c.backoff(t.answers)
	}
	wait = min(wait, left)
	t.waited += min(max(wait, minThrottleCharge), left)
	return wait, nil
}

// ThrottleBudgetError is returned when a request is still throttled after waiting as long as
// its throttle budget allows.
type ThrottleBudgetError struct {
	// Waited is the time the request waited on throttling; Budget the limit.
	Waited, Budget time.Duration
	// Last is the last throttled answer.
	Last error
}

func (e *ThrottleBudgetError) Error() string {
	return fmt.Sprintf("dataverse: still throttled after waiting %s, which spends the request's throttle budget of %s "+
		"(raise MSISYNC_DYNAMICS_THROTTLE_BUDGET, or lower the load on the environment): %v", e.Waited, e.Budget, e.Last)
}

func (e *ThrottleBudgetError) Unwrap() error { return e.Last }
