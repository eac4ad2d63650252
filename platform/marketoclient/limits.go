package marketoclient

import (
	"context"
	"sync"
	"time"

	// The quota day follows America/Chicago even where the system has no tzdata.
	_ "time/tzdata"

	"github.com/msisync/msisync/platform/retry"
	"github.com/msisync/msisync/platform/window"
)

// Limits paces every call of the clients that share it: at most Calls starting per sliding
// Window, at most MaxConcurrency running, and a daily count that stops at the quota less
// the reserve (the day resets at midnight America/Chicago). Callers wait for the window and
// for a free slot; they get a *QuotaError when the day's share is spent. Safe for
// concurrent use; one Limits per process and Marketo instance.
type Limits struct {
	cfg   Config
	now   func() time.Time
	sleep retry.SleepFunc
	slots chan struct{}

	mu          sync.Mutex
	starts      window.Sliding // call starts within the rate window
	day         string         // quota day of used
	used        int64          // calls counted today (ours, or Marketo's total when higher)
	pausedUntil time.Time      // set by a 607
	maxRunning  int            // high-water mark of calls at once, for tests and status
	running     int
}

// NewLimits returns Limits for cfg; now and sleep may be nil (the real clock).
func NewLimits(cfg Config, now func() time.Time, sleep retry.SleepFunc) *Limits {
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = retry.Sleep
	}
	return &Limits{cfg: cfg, now: now, sleep: sleep, slots: make(chan struct{}, max(cfg.MaxConcurrency, 1)),
		starts: window.Sliding{Span: cfg.RateLimitWindow + cfg.RateLimitWindow/windowMargin}}
}

// windowMargin widens the rate window by 1/windowMargin (200 ms of Marketo's 20 s): msisync
// counts a call when it starts and Marketo when it arrives, so without a margin network
// delay can put one call too many in Marketo's window (a 606).
const windowMargin = 100

// chicago is where Marketo's daily quota resets; without tzdata, a fixed UTC-6. It is
// loaded once: every call's admission asks for it.
var chicago = sync.OnceValue(func() *time.Location {
	if loc, err := time.LoadLocation("America/Chicago"); err == nil {
		return loc
	}
	return time.FixedZone("CST", -6*60*60)
})

// quotaDay returns t's quota day (YYYY-MM-DD in Chicago) and when that day ends.
func quotaDay(t time.Time) (string, time.Time) {
	c := t.In(chicago())
	y, m, d := c.Date()
	return c.Format(time.DateOnly), time.Date(y, m, d+1, 0, 0, 0, 0, c.Location())
}

// acquire waits until a call may start, counts it, and returns the function that ends it.
func (l *Limits) acquire(ctx context.Context) (func(), error) {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		wait, err := l.admit()
		if err != nil {
			<-l.slots
			return nil, err
		}
		if wait == 0 {
			break
		}
		if err := l.sleep(ctx, wait); err != nil {
			<-l.slots
			return nil, err
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.running--
			l.mu.Unlock()
			<-l.slots
		})
	}, nil
}

// admit counts a call that may start now, or says how long to wait for the window.
func (l *Limits) admit() (time.Duration, error) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	_, reset := l.rollover(now)
	if now.Before(l.pausedUntil) {
		return 0, &QuotaError{ResetAt: l.pausedUntil}
	}
	if limit := l.cfg.usable(); l.used >= limit {
		return 0, &QuotaError{ResetAt: reset, Used: l.used, Limit: limit}
	}
	if wait := l.starts.Wait(now, l.cfg.RateLimitCalls); wait > 0 {
		return max(wait, time.Millisecond), nil
	}
	l.starts.Add(now)
	l.used++
	l.running++
	l.maxRunning = max(l.maxRunning, l.running)
	return 0, nil
}

// rollover starts a new quota day when now is past the current one; l.mu is held.
func (l *Limits) rollover(now time.Time) (string, time.Time) {
	day, reset := quotaDay(now)
	if day != l.day {
		l.day, l.used = day, 0
	}
	return day, reset
}

// pause stops every call until the quota day ends (Marketo answered 607) and returns the
// error saying so.
func (l *Limits) pause() *QuotaError {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	_, reset := l.rollover(now)
	l.pausedUntil = reset
	return &QuotaError{ResetAt: reset}
}

// Resume ends a 607 pause before the reset: Adobe raised the quota, say. If the quota is
// still spent, the next call pauses again.
func (l *Limits) Resume() {
	l.mu.Lock()
	l.pausedUntil = time.Time{}
	l.mu.Unlock()
}

// ObserveUsage raises today's count to total, Marketo's count of the instance's calls today
// (GET /rest/v1/stats/usage.json), which includes the customer's other integrations.
func (l *Limits) ObserveUsage(total int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rollover(l.now())
	l.used = max(l.used, total)
}

// LimitsStatus is a snapshot of the shared limits.
type LimitsStatus struct {
	// Day is the quota day (YYYY-MM-DD, America/Chicago); ResetAt is when it ends.
	Day     string    `json:"day"`
	ResetAt time.Time `json:"resetAt"`
	// UsedToday counts today's calls; Allowed is what msisync may make today (the quota
	// less the reserve); Left is what remains of it.
	UsedToday int64 `json:"usedToday"`
	Allowed   int64 `json:"allowed"`
	Left      int64 `json:"left"`
	// InWindow is how many calls started within the current rate window; Rate is that as
	// calls per second.
	InWindow int     `json:"inWindow"`
	Rate     float64 `json:"rate"`
	// Running is how many calls run now; MaxRunning the most that ever ran at once.
	Running    int `json:"running"`
	MaxRunning int `json:"maxRunning"`
	// PausedUntil is set while a 607 pauses every call.
	PausedUntil time.Time `json:"pausedUntil,omitzero"`
}

// Status returns a snapshot of the limits.
func (l *Limits) Status() LimitsStatus {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	day, reset := l.rollover(now)
	in := l.starts.In(now)
	allowed := l.cfg.usable()
	st := LimitsStatus{
		Day: day, ResetAt: reset, UsedToday: l.used, Allowed: allowed, Left: max(allowed-l.used, 0),
		InWindow: in, Rate: float64(in) / l.cfg.RateLimitWindow.Seconds(),
		Running: l.running, MaxRunning: l.maxRunning,
	}
	if now.Before(l.pausedUntil) {
		st.PausedUntil = l.pausedUntil
	}
	return st
}
