// Package limits enforces Marketo's per-client API limits on the orchestrator: a rate limit
// (calls per sliding window → 606), a concurrency limit (calls running at once → 615) and a
// daily quota (calls per day, reset at midnight America/Chicago as Marketo's 12:00 AM CST →
// 607).
//
// The rate and concurrency limits are kept in process memory, so with several replicas each
// replica enforces them on its own. The daily quota is counted in memory and added to the
// orchestrator store every FlushInterval and at shutdown (Flush); replicas add to one shared
// count per client and day, and every flush brings back what the others added, so the quota
// survives restarts and is shared, up to one FlushInterval of lag.
//
// As in Marketo, calls refused with 606, 607 or 615 do not count against the quota (and
// calls refused by authentication never get here).
package limits

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	// The quota day follows America/Chicago even where the system has no tzdata.
	_ "time/tzdata"

	"go.opentelemetry.io/otel/metric"
	"google.golang.org/grpc/codes"

	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/window"
)

// Config sets the limits; a zero value disables a limit.
type Config struct {
	// Calls is how many calls a client may make per Window (Marketo: 100); 0 disables the
	// rate limit.
	Calls int
	// Window is the rate limit's sliding window (Marketo: 20 s).
	Window time.Duration
	// MaxConcurrency is how many calls a client may have running at once (Marketo: 10); 0
	// disables the limit.
	MaxConcurrency int
	// DailyQuota is how many calls a client may make per day (Marketo: 50,000); 0 disables
	// the quota.
	DailyQuota int64
}

// Defaults are Marketo's limits.
var Defaults = Config{Calls: 100, Window: 20 * time.Second, MaxConcurrency: 10, DailyQuota: 50000}

// FlushInterval is how often the daily counts are added to the store.
const FlushInterval = 5 * time.Second

// QuotaStore keeps the daily counts; the orchestrator store implements it.
type QuotaStore interface {
	// AddQuotaUsage adds delta to the client's count for day and returns the new count.
	AddQuotaUsage(ctx context.Context, clientID, day string, delta int64) (int64, error)
	// QuotaUsage returns each client's count for day.
	QuotaUsage(ctx context.Context, day string) (map[string]int64, error)
	// DeleteQuotaUsageBefore removes the counts of days before day.
	DeleteQuotaUsageBefore(ctx context.Context, day string) (int, error)
}

// Limiter enforces Config per client. It is safe for concurrent use.
type Limiter struct {
	cfg   Config
	store QuotaStore // nil keeps the quota in memory only
	log   *slog.Logger
	loc   *time.Location
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*client
	day     string              // the quota day the clients' used counts are for
	pending map[dayClient]int64 // counted calls not yet added to the store
	swept   map[string]struct{} // days whose older rows were deleted

	flushMu sync.Mutex // one flush at a time

	calls metric.Int64Counter // msisync_api_calls_total (metrics.go)
}

type dayClient struct{ day, client string }

// client is one API client's state.
type client struct {
	calls  window.Sliding // admission times within the rate window
	active int            // calls running
	used   int64          // calls counted today: stored plus pending
}

// New returns a Limiter; st may be nil (counts are then lost at restart). Its metrics go
// to the global meter provider.
func New(cfg Config, st QuotaStore, log *slog.Logger) *Limiter {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Limiter{
		cfg: cfg, store: st, log: log, loc: chicago(), now: time.Now,
		clients: map[string]*client{}, pending: map[dayClient]int64{}, swept: map[string]struct{}{},
	}
	l.instrument(nil)
	return l
}

// chicago is where Marketo's daily quota resets (12:00 AM CST); without tzdata, a fixed
// UTC-6 is used.
func chicago() *time.Location {
	if loc, err := time.LoadLocation("America/Chicago"); err == nil {
		return loc
	}
	return time.FixedZone("CST", -6*60*60)
}

// Enabled reports whether any limit is on.
func (l *Limiter) Enabled() bool {
	return l.cfg.Calls > 0 || l.cfg.MaxConcurrency > 0 || l.cfg.DailyQuota > 0
}

// Day returns the quota day t falls on, as YYYY-MM-DD.
func (l *Limiter) Day(t time.Time) string { return t.In(l.loc).Format(time.DateOnly) }

// Load reads today's counts from the store; call it once before serving.
func (l *Limiter) Load(ctx context.Context) error {
	if l.store == nil || l.cfg.DailyQuota <= 0 {
		return nil
	}
	day := l.Day(l.now())
	used, err := l.store.QuotaUsage(ctx, day)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rollover(day)
	for id, n := range used {
		l.client(id).used = n + l.pending[dayClient{day, id}]
	}
	return nil
}

// Acquire admits one call by clientID, or returns the Marketo error refusing it. On
// success the caller must call release when the call ends.
func (l *Limiter) Acquire(clientID string) (release func(), err error) {
	now := l.now()
	day := l.Day(now)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rollover(day)
	c := l.client(clientID)
	if l.cfg.DailyQuota > 0 && c.used >= l.cfg.DailyQuota {
		return nil, marketo.NewError(codes.ResourceExhausted, marketo.CodeDailyQuotaReached, "Daily quota reached")
	}
	if l.cfg.Calls > 0 {
		if c.calls.Wait(now, l.cfg.Calls) > 0 {
			return nil, marketo.NewError(codes.ResourceExhausted, marketo.CodeRateLimitExceeded,
				fmt.Sprintf("Max rate limit '%d' exceeded with in '%s' secs", l.cfg.Calls, seconds(l.cfg.Window)))
		}
	}
	if l.cfg.MaxConcurrency > 0 && c.active >= l.cfg.MaxConcurrency {
		return nil, marketo.NewError(codes.ResourceExhausted, marketo.CodeConcurrentAccessLimit,
			fmt.Sprintf("Concurrent access limit '%d' reached", l.cfg.MaxConcurrency))
	}
	if l.cfg.Calls > 0 {
		c.calls.Add(now)
	}
	if l.cfg.DailyQuota > 0 {
		c.used++
		l.pending[dayClient{day, clientID}]++
	}
	c.active++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			c.active--
			l.mu.Unlock()
		})
	}, nil
}

// seconds formats a window as Marketo does: whole seconds.
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10)
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// client returns clientID's state, creating it; l.mu is held.
func (l *Limiter) client(clientID string) *client {
	c, ok := l.clients[clientID]
	if !ok {
		c = &client{calls: window.Sliding{Span: l.cfg.Window}}
		l.clients[clientID] = c
	}
	return c
}

// rollover starts a new quota day when day differs from the current one; l.mu is held.
func (l *Limiter) rollover(day string) {
	if day == l.day {
		return
	}
	l.day = day
	for id, c := range l.clients {
		c.used = 0
		if c.active == 0 && c.calls.Empty() {
			delete(l.clients, id)
		}
	}
}

// Flush adds the calls counted since the last flush to the store and refreshes today's
// counts with what other replicas added. On failure the counts stay pending.
func (l *Limiter) Flush(ctx context.Context) error {
	if l.store == nil || l.cfg.DailyQuota <= 0 {
		return nil
	}
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.Lock()
	batch := l.pending
	l.pending = map[dayClient]int64{}
	l.mu.Unlock()
	var firstErr error
	for k, n := range batch {
		total, err := l.store.AddQuotaUsage(ctx, k.client, k.day, n)
		l.mu.Lock()
		if err != nil {
			l.pending[k] += n
			if firstErr == nil {
				firstErr = err
			}
		} else if k.day == l.day {
			c := l.client(k.client)
			c.used = max(c.used, total+l.pending[k])
		}
		l.mu.Unlock()
	}
	l.mu.Lock()
	day := l.day
	_, swept := l.swept[day]
	l.mu.Unlock()
	if firstErr == nil && day != "" && !swept {
		// Keep yesterday's counts a while for replicas still finishing it.
		t, err := time.ParseInLocation(time.DateOnly, day, l.loc)
		if err == nil {
			if _, err := l.store.DeleteQuotaUsageBefore(ctx, t.AddDate(0, 0, -2).Format(time.DateOnly)); err != nil {
				l.log.WarnContext(ctx, "deleting old daily quota counts", "error", err)
			} else {
				l.mu.Lock()
				l.swept = map[string]struct{}{day: {}}
				l.mu.Unlock()
			}
		}
	}
	return firstErr
}

// Run flushes the daily counts every FlushInterval until ctx ends, then once more.
func (l *Limiter) Run(ctx context.Context) {
	if l.store == nil || l.cfg.DailyQuota <= 0 {
		return
	}
	t := time.NewTicker(FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := l.Flush(fctx); err != nil {
				l.log.WarnContext(ctx, "saving the daily quota counts", "error", err)
			}
			cancel()
			return
		case <-t.C:
			if err := l.Flush(ctx); err != nil {
				l.log.WarnContext(ctx, "saving the daily quota counts", "error", err)
			}
		}
	}
}
