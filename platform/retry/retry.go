// Package retry is the one retry mechanism of msisync's clients: exponential backoff with
// full jitter, a limit on the attempts that count, and a wait that ends with the context
// and that tests replace. Which failures are worth another attempt is the caller's
// decision: the operation marks them with Retry, RetryAfter or Again; any other error ends
// the loop at once.
package retry

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// SleepFunc waits d, or less when ctx ends first; then it returns ctx.Err().
type SleepFunc func(ctx context.Context, d time.Duration) error

// Sleep is the real SleepFunc: a timer that stops when ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Policy says how often and how long to retry. The zero value tries once.
type Policy struct {
	// MaxAttempts is how many attempts may count, the first included; below 1 means 1.
	MaxAttempts int
	// Base is the backoff ceiling after the first counted failure; it doubles with each
	// further one, up to Max (0: no cap).
	Base, Max time.Duration
	// Sleep waits between attempts; nil means Sleep. Tests replace it to record the waits.
	Sleep SleepFunc
	// Rand returns a number in [0, n); nil means math/rand/v2's Int64N. Tests replace it.
	Rand func(n int64) int64
	// OnRetry, when set, is called before each wait, for logs and counters.
	OnRetry func(Retrying)
}

// Retrying describes the wait before another attempt.
type Retrying struct {
	// Attempts is the number of counted attempts so far.
	Attempts int
	// Wait is how long the loop is about to wait.
	Wait time.Duration
	// Counted reports whether the failed attempt counted (Retry, RetryAfter) or not (Again).
	Counted bool
	// Err is the failed attempt's error, without its mark.
	Err error
}

// Backoff returns the wait after the n-th counted failure (n >= 1): a random duration in
// [0, min(Base·2^(n-1), Max)] ("full jitter", so that clients failing together do not
// retry together).
func (p Policy) Backoff(n int) time.Duration {
	n = max(n, 1)
	ceiling := time.Duration(math.MaxInt64)
	if n-1 < 63 && p.Base <= ceiling>>(n-1) {
		ceiling = p.Base << (n - 1)
	}
	if p.Max > 0 {
		ceiling = min(ceiling, p.Max)
	}
	if ceiling <= 0 {
		return 0
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	if ceiling == math.MaxInt64 {
		ceiling--
	}
	return time.Duration(rnd(int64(ceiling) + 1))
}

// Do runs op until it returns nil or an error without a retry mark, until MaxAttempts
// attempts counted (then an *ExhaustedError), or until ctx is done (then ctx's error).
// Between attempts it waits: the wait a mark gives, or Backoff. It returns the attempts
// made, not counting those marked with Again.
func Do(ctx context.Context, p Policy, op func(ctx context.Context) error) (int, error) {
	sleep := p.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	limit := max(p.MaxAttempts, 1)
	attempts := 0
	for {
		if err := ctx.Err(); err != nil {
			return attempts, err
		}
		err := op(ctx)
		m, marked := err.(*mark)
		if !marked {
			return attempts + 1, err
		}
		wait := m.wait
		if m.counted {
			attempts++
			if attempts >= limit {
				return attempts, &ExhaustedError{Attempts: attempts, Last: m.err}
			}
			if wait <= 0 {
				wait = p.Backoff(attempts)
			}
		}
		if p.OnRetry != nil {
			p.OnRetry(Retrying{Attempts: attempts, Wait: wait, Counted: m.counted, Err: m.err})
		}
		if err := sleep(ctx, wait); err != nil {
			return attempts, err
		}
	}
}

// ExhaustedError is Do's error once MaxAttempts attempts failed.
type ExhaustedError struct {
	// Attempts is the number of counted attempts made.
	Attempts int
	// Last is the last attempt's error.
	Last error
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("giving up after %d attempts: %v", e.Attempts, e.Last)
}

func (e *ExhaustedError) Unwrap() error { return e.Last }

// mark is an error of op that asks Do for another attempt.
type mark struct {
	err     error
	wait    time.Duration // with counted: 0 means Backoff
	counted bool
}

func (m *mark) Error() string { return m.err.Error() }
func (m *mark) Unwrap() error { return m.err }

// Retry marks err as worth another attempt after a backoff; the attempt counts. Op must
// return the marked error itself, not wrap it. A nil err stays nil.
func Retry(err error) error { return RetryAfter(err, 0) }

// RetryAfter is Retry with the wait the other side asked for (a Retry-After); d <= 0
// means a backoff.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &mark{err: err, wait: d, counted: true}
}

// Again marks err as worth another attempt after exactly d that does not count against
// MaxAttempts: the other side is pacing the caller, it did not fail. Whatever bounds
// these waits (a time budget, say) is the caller's. A nil err stays nil.
func Again(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &mark{err: err, wait: max(d, 0)}
}
