package retry

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"
	"time"
)

// recorder is a SleepFunc that records the requested waits and never waits.
type recorder struct{ waits []time.Duration }

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return ctx.Err()
}

// highest is a Rand that always picks the top of the range: the backoff ceiling itself.
func highest(n int64) int64 { return n - 1 }

func TestBackoffFullJitter(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: time.Second, Rand: highest}
	for n, want := range map[int]time.Duration{
		0: 100 * time.Millisecond, 1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		4: 800 * time.Millisecond, 5: time.Second, 70: time.Second, math.MaxInt: time.Second,
	} {
		if got := p.Backoff(n); got != want {
			t.Errorf("Backoff(%d) ceiling = %v, want %v", n, got, want)
		}
	}
	var asked []int64
	p.Rand = func(n int64) int64 { asked = append(asked, n); return 0 }
	if got := p.Backoff(3); got != 0 {
		t.Errorf("Backoff(3) with a zero draw = %v, want 0 (full jitter starts at 0)", got)
	}
	if len(asked) != 1 || asked[0] != int64(400*time.Millisecond)+1 {
		t.Errorf("drawn from [0, %v), want [0, 400ms] inclusive", asked)
	}

	// No cap: the ceiling doubles until it would overflow, then stays at the largest duration.
	p = Policy{Base: time.Second, Rand: highest}
	if got := p.Backoff(200); got != time.Duration(math.MaxInt64-1) {
		t.Errorf("uncapped Backoff(200) = %v", got)
	}
	if got := (Policy{Max: time.Second}).Backoff(3); got != 0 {
		t.Errorf("Backoff without Base = %v, want 0", got)
	}
	// The default random source stays within the bounds.
	p = Policy{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	for n := 1; n <= 10; n++ {
		for range 100 {
			if d := p.Backoff(n); d < 0 || d > min(50*time.Millisecond, 10*time.Millisecond<<(n-1)) {
				t.Fatalf("Backoff(%d) = %v out of bounds", n, d)
			}
		}
	}
}

func TestDoSucceedsAfterCountedFailures(t *testing.T) {
	rec := &recorder{}
	var seen []Retrying
	p := Policy{MaxAttempts: 5, Base: time.Second, Max: 3 * time.Second, Sleep: rec.sleep, Rand: highest,
		OnRetry: func(r Retrying) { seen = append(seen, r) }}
	boom := errors.New("boom")
	calls := 0
	n, err := Do(context.Background(), p, func(context.Context) error {
		calls++
		switch calls {
		case 1, 2, 3:
			return Retry(boom)
		case 4:
			return RetryAfter(boom, 42*time.Second) // the other side's wait wins over the backoff
		}
		return nil
	})
	if err != nil || n != 5 || calls != 5 {
		t.Fatalf("Do = %d, %v after %d calls; want 5, nil after 5", n, err, calls)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 42 * time.Second}
	if !slices.Equal(rec.waits, want) {
		t.Errorf("waits = %v, want %v", rec.waits, want)
	}
	if len(seen) != 4 || seen[2].Attempts != 3 || seen[2].Wait != 3*time.Second || !seen[2].Counted || seen[2].Err != boom {
		t.Errorf("OnRetry saw %+v", seen)
	}
}

func TestDoExhausted(t *testing.T) {
	rec := &recorder{}
	boom := errors.New("boom")
	calls := 0
	n, err := Do(context.Background(), Policy{MaxAttempts: 3, Base: time.Millisecond, Sleep: rec.sleep}, func(context.Context) error {
		calls++
		return Retry(boom)
	})
	var ex *ExhaustedError
	if !errors.As(err, &ex) || ex.Attempts != 3 || !errors.Is(err, boom) || n != 3 || calls != 3 {
		t.Fatalf("Do = %d, %v after %d calls; want an *ExhaustedError after 3 attempts wrapping boom", n, err, calls)
	}
	if err.Error() != "giving up after 3 attempts: boom" {
		t.Errorf("Error() = %q", err)
	}
	if len(rec.waits) != 2 {
		t.Errorf("waits = %v, want 2 (none after the last attempt)", rec.waits)
	}
	// The zero Policy tries once.
	calls = 0
	if _, err := Do(context.Background(), Policy{Sleep: rec.sleep}, func(context.Context) error { calls++; return Retry(boom) }); !errors.As(err, &ex) || calls != 1 {
		t.Errorf("zero Policy: %v after %d calls, want exhausted after 1", err, calls)
	}
}

func TestDoAgainDoesNotCount(t *testing.T) {
	rec := &recorder{}
	var seen []Retrying
	paced := errors.New("slow down")
	calls := 0
	n, err := Do(context.Background(), Policy{MaxAttempts: 2, Base: time.Second, Sleep: rec.sleep, Rand: highest,
		OnRetry: func(r Retrying) { seen = append(seen, r) }}, func(context.Context) error {
		calls++
		switch {
		case calls <= 10:
			return Again(paced, 7*time.Second)
		case calls == 11:
			return Again(paced, 0) // retried at once, yet through the sleep
		case calls == 12:
			return Retry(errors.New("flaky"))
		}
		return nil
	})
	if err != nil || calls != 13 || n != 2 {
		t.Fatalf("Do = %d, %v after %d calls; want 2 counted attempts, nil after 13 calls", n, err, calls)
	}
	if len(rec.waits) != 12 || rec.waits[0] != 7*time.Second || rec.waits[10] != 0 || rec.waits[11] != time.Second {
		t.Errorf("waits = %v, want ten of 7s, 0s, then the 1s backoff", rec.waits)
	}
	if seen[0].Counted || seen[0].Attempts != 0 || seen[0].Err != paced || !seen[11].Counted {
		t.Errorf("OnRetry saw %+v", seen)
	}
}

func TestDoPermanentError(t *testing.T) {
	rec := &recorder{}
	bad := errors.New("bad request")
	calls := 0
	n, err := Do(context.Background(), Policy{MaxAttempts: 5, Sleep: rec.sleep}, func(context.Context) error {
		calls++
		return bad
	})
	if err != bad || n != 1 || calls != 1 || len(rec.waits) != 0 {
		t.Errorf("Do = %d, %v after %d calls and waits %v; want bad at once", n, err, calls, rec.waits)
	}
	if Retry(nil) != nil || RetryAfter(nil, time.Second) != nil || Again(nil, time.Second) != nil {
		t.Error("a marked nil error is not nil")
	}
	// A wrapped mark is not a mark: only the error op returns decides.
	calls = 0
	_, err = Do(context.Background(), Policy{MaxAttempts: 5, Sleep: rec.sleep}, func(context.Context) error {
		calls++
		return errors.Join(Retry(bad))
	})
	if calls != 1 || !errors.Is(err, bad) {
		t.Errorf("wrapped mark: %v after %d calls, want one call", err, calls)
	}
}

// expiring is a context whose deadline passes when expire is called, so that a test can
// end a wait at a chosen moment without reading the clock.
type expiring struct {
	context.Context
	expire context.CancelFunc
}

func newExpiring() expiring {
	ctx, cancel := context.WithCancel(context.Background())
	return expiring{ctx, cancel}
}

func (e expiring) Err() error {
	if e.Context.Err() != nil {
		return context.DeadlineExceeded
	}
	return nil
}

func TestDoStopsWhenTheContextEnds(t *testing.T) {
	// The real Sleep is interrupted: the deadline passes once the hour-long wait has begun.
	ctx := newExpiring()
	var interrupted error
	calls := 0
	p := Policy{MaxAttempts: 5, Sleep: func(c context.Context, d time.Duration) error {
		if d != time.Hour {
			t.Errorf("wait = %v, want 1h", d)
		}
		ctx.expire()
		interrupted = Sleep(c, d)
		return interrupted
	}}
	n, err := Do(ctx, p, func(context.Context) error {
		calls++
		return RetryAfter(errors.New("later"), time.Hour)
	})
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(interrupted, context.DeadlineExceeded) || calls != 1 || n != 1 {
		t.Errorf("Do = %d, %v (sleep returned %v) after %d calls; want deadline exceeded from the interrupted sleep after 1 call",
			n, err, interrupted, calls)
	}

	// A context that is already done runs nothing.
	ctx = newExpiring()
	ctx.expire()
	calls = 0
	if n, err := Do(ctx, p, func(context.Context) error { calls++; return nil }); !errors.Is(err, context.DeadlineExceeded) || n != 0 || calls != 0 {
		t.Errorf("Do on a done context = %d, %v after %d calls", n, err, calls)
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
	if err := Sleep(context.Background(), time.Nanosecond); err != nil {
		t.Errorf("Sleep(1ns) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v", err)
	}
	if err := Sleep(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(0) on a cancelled context = %v", err)
	}
}
