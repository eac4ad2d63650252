package upstream

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Options tune a Forwarder; zero values mean the defaults.
type Options struct {
	// Owner names this process in the forwarder lease (PostgreSQL replicas take turns).
	Owner string
	// Linger is how long a partial batch waits for more records before it goes
	// (MSISYNC_MARKETO_BATCH_LINGER, default 2s), which keeps calls near 300 records.
	Linger time.Duration
	// Concurrency is how many calls the forwarder runs at once (MSISYNC_MARKETO_MAX_CONCURRENCY).
	Concurrency int
	// Idle is how long the forwarder sleeps when nothing is due (default 250ms).
	Idle time.Duration
	// Log hears about pauses, failed calls and records Marketo skipped; nil discards.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Metrics receives the delivery metrics (see metrics.go; nil: the global provider).
	Metrics metric.MeterProvider
}

// Defaults of Options.
const (
	DefaultLinger = 2 * time.Second
	defaultIdle   = 250 * time.Millisecond
	// claimLease is how long a claim holds its rows: longer than any cycle, short enough
	// that a dead forwarder's rows are sent soon by the next.
	claimLease = 5 * time.Minute
	// lockLease is how long the forwarder lease lasts without renewal.
	lockLease = 30 * time.Second
	// recoverAfter is how old a fence must be before Recover resolves it: longer than any
	// write to an entity service takes.
	recoverAfter = 2 * time.Minute
)

// Forwarder delivers the outbox to Marketo. Run it once per process; with several
// replicas, the one holding the lease forwards.
type Forwarder struct {
	store   store.UpstreamStore
	clients links.Clients
	mk      *marketoclient.Client
	opt     Options
	log     *slog.Logger
	stats   *deliveryStats
	m       instruments

	leading  atomic.Bool // holds the forwarder lease
	existing existingLeads

	mu          sync.Mutex
	pausedUntil time.Time
	pauseReason string
	wake        chan struct{}
}

// NewForwarder returns a forwarder of the store's outbox to the Marketo client's instance,
// reading local records through clients.
func NewForwarder(st store.UpstreamStore, clients links.Clients, mk *marketoclient.Client, opt Options) *Forwarder {
	if opt.Linger == 0 {
		opt.Linger = DefaultLinger
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = marketoclient.Defaults.MaxConcurrency
	}
	if opt.Idle == 0 {
		opt.Idle = defaultIdle
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f := &Forwarder{store: st, clients: clients, mk: mk, opt: opt, log: log, stats: newDeliveryStats(), wake: make(chan struct{}, 1)}
	f.instrument(opt.Metrics)
	return f
}

// Leading reports whether this process holds the forwarder lease (the MSI poller of the
// other replicas stays idle).
func (f *Forwarder) Leading() bool { return f.leading.Load() }

// Resume ends a pause (after Adobe raised the quota, or the credentials were fixed) and
// wakes the forwarder.
func (f *Forwarder) Resume() {
	f.mu.Lock()
	f.pausedUntil, f.pauseReason = time.Time{}, ""
	f.mu.Unlock()
	f.Wake()
}

// Wake makes an idle forwarder look at the outbox now.
func (f *Forwarder) Wake() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// paused returns the end of the current pause and its reason (zero when not paused).
func (f *Forwarder) paused() (time.Time, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opt.Now().Before(f.pausedUntil) {
		return f.pausedUntil, f.pauseReason
	}
	return time.Time{}, ""
}

func (f *Forwarder) pause(until time.Time, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if until.After(f.pausedUntil) {
		f.pausedUntil, f.pauseReason = until, reason
		f.log.Warn("delivery to Marketo paused", "until", until, "reason", reason)
	}
}

// Run forwards until ctx ends.
func (f *Forwarder) Run(ctx context.Context) error {
	var lastRecover time.Time
	holding := false
	for ctx.Err() == nil {
		now := f.opt.Now()
		ok, err := f.store.TakeUpstreamLease(ctx, f.opt.Owner, "", now, lockLease)
		if err == nil && !ok {
			// A holder that died on this host (this process before a restart, say) need
			// not be waited for.
			if holder, _, herr := f.store.UpstreamLeaseHolder(ctx); herr == nil && gone(holder) {
				f.log.Info("taking over the forwarder lease of a process that is gone", "holder", holder)
				ok, err = f.store.TakeUpstreamLease(ctx, f.opt.Owner, holder, now, lockLease)
			}
		}
		if err != nil {
			f.log.Error("taking the forwarder lease", "error", err)
		}
		if ok != holding {
			holding = ok
			f.leading.Store(ok)
			f.log.Info("forwarder lease", "held", ok, "owner", f.opt.Owner)
			if ok {
				// Claims of a forwarder that died are ours to send now, and rows paused by
				// another process's limits are due again.
				if err := f.store.ReleaseOutbox(ctx); err != nil {
					f.log.Error("releasing old claims", "error", err)
				}
			}
		}
		if !ok {
			f.sleep(ctx, 5*time.Second)
			continue
		}
		if now.Sub(lastRecover) >= time.Minute {
			if err := Recover(ctx, f.store, f.clients, now.Add(-recoverAfter), now, f.log); err != nil {
				f.log.Error("resolving interrupted writes", "error", err)
			}
			lastRecover = now
		}
		if until, _ := f.paused(); !until.IsZero() {
			f.sleep(ctx, min(until.Sub(now), 5*time.Second))
			continue
		}
		moved, err := f.Cycle(ctx)
		if err != nil && ctx.Err() == nil {
			f.log.Error("delivering to Marketo", "error", err)
			f.sleep(ctx, time.Second)
			continue
		}
		if moved == 0 {
			f.sleep(ctx, f.opt.Idle)
		}
	}
	return nil
}

func (f *Forwarder) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-f.wake:
	}
}
