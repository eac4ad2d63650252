package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/msisync/msisync/platform/alert"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
	"github.com/msisync/msisync/services/orchestrator/internal/upstream"
)

// quotaAlertShare is the share of its daily quota past which an API client's alert fires.
const quotaAlertShare = 0.8

// The orchestrator's alert keys; a client's quota alert is quotaAlertKey + its id.
const (
	deadLetterAlertKey = "dead-letters"
	quotaAlertKey      = "api-quota/"
	// In upstream mode: the delivery to the customer's Marketo is paused, or stalled.
	marketoPausedAlertKey = "marketo/paused"
	marketoStalledKey     = "marketo/stalled"
)

// marketoStallAge is how long a change may wait for delivery to Marketo before the stall
// alert fires: far above the seconds a healthy forwarder needs, below what MSI users notice.
const marketoStallAge = 15 * time.Minute

// backlogReader counts the dead letters (the orchestrator store).
type backlogReader interface {
	Backlog(ctx context.Context) (store.Backlog, error)
}

// alerts watches the orchestrator for the conditions an operator hears of through
// MSISYNC_ALERT_WEBHOOK_URL: dead letters past MSISYNC_ALERT_DEAD_LETTER_THRESHOLD, and an
// API client past 80 % of its daily quota. Each alert resolves when its condition ends.
type alerts struct {
	a         *alert.Alerter
	st        backlogReader
	usage     func() map[string]int64 // today's calls per client (limits.Limiter.Usage)
	quota     int64                   // MSISYNC_DAILY_QUOTA; 0: none
	threshold int64
	every     time.Duration
	log       *slog.Logger
	// upstream reads the delivery to the customer's Marketo; nil in embedded mode.
	upstream func(context.Context) (upstream.Health, error)
}

// newAlerts returns the watcher; nil when no webhook is configured.
func newAlerts(cfg Config, st backlogReader, usage func() map[string]int64, log *slog.Logger) *alerts {
	a := alert.New(cfg.Alert, Name, log, alert.Options{})
	if a == nil {
		return nil
	}
	return &alerts{a: a, st: st, usage: usage, quota: cfg.DailyQuota, threshold: cfg.AlertDeadLetterThreshold, every: cfg.AlertCheckInterval, log: log}
}

// run checks every MSISYNC_ALERT_CHECK_INTERVAL and delivers the alerts until ctx ends.
func (w *alerts) run(ctx context.Context) error {
	if w == nil {
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return w.a.Run(ctx) })
	g.Go(func() error {
		t := time.NewTicker(w.every)
		defer t.Stop()
		for {
			w.check(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
	return g.Wait()
}

// check raises or resolves each alert by the current counts.
func (w *alerts) check(ctx context.Context) {
	if bl, err := w.st.Backlog(ctx); err != nil {
		if ctx.Err() == nil {
			w.log.WarnContext(ctx, "counting dead letters for the alerts", "error", err)
		}
	} else {
		w.deadLetters(bl)
	}
	if w.quota > 0 {
		for client, used := range w.usage() {
			w.quotaUsed(client, used)
		}
	}
	if w.upstream != nil {
		if h, err := w.upstream(ctx); err != nil {
			if ctx.Err() == nil {
				w.log.WarnContext(ctx, "reading the delivery to Marketo for the alerts", "error", err)
			}
		} else {
			w.marketo(h, time.Now())
		}
	}
}

// marketo raises the upstream alerts: while the delivery is paused, and while a change
// has waited longer than marketoStallAge.
func (w *alerts) marketo(h upstream.Health, now time.Time) {
	if !h.PausedUntil.IsZero() {
		w.a.Raise(marketoPausedAlertKey,
			fmt.Sprintf("delivery to Marketo is paused until %s: %s (records are still accepted and queued; see GET /v1/upstream)", h.PausedUntil.UTC().Format(time.RFC3339), h.PauseReason),
			map[string]any{"pausedUntil": h.PausedUntil, "reason": h.PauseReason, "backlog": h.Backlog})
	} else {
		w.a.Resolve(marketoPausedAlertKey, "delivery to Marketo runs again")
	}
	if !h.OldestWaiting.IsZero() && now.Sub(h.OldestWaiting) > marketoStallAge {
		msg := fmt.Sprintf("%d records wait for delivery to Marketo, the oldest since %s", h.Backlog, h.OldestWaiting.UTC().Format(time.RFC3339))
		if h.LastError != "" {
			msg += "; last error: " + h.LastError
		}
		w.a.Raise(marketoStalledKey, msg+" (see GET /v1/upstream and the persons' diagnostics)",
			map[string]any{"backlog": h.Backlog, "oldestWaiting": h.OldestWaiting, "lastError": h.LastError})
		return
	}
	w.a.Resolve(marketoStalledKey, "no record waits long for delivery to Marketo")
}

// deadLetters raises the dead-letter alert while there are more than the threshold.
func (w *alerts) deadLetters(bl store.Backlog) {
	var total int64
	byType := map[string]int64{}
	for t, n := range bl.DeadLettered {
		total += n
		byType[objectName(t)] = n
	}
	if total > w.threshold {
		w.a.Raise(deadLetterAlertKey,
			fmt.Sprintf("%d dead-lettered sync records, more than the threshold of %d (MSISYNC_ALERT_DEAD_LETTER_THRESHOLD): see GET /v1/dead-letters, then retry or drop them", total, w.threshold),
			map[string]any{"deadLetters": total, "threshold": w.threshold, "byObject": byType})
		return
	}
	w.a.Resolve(deadLetterAlertKey, fmt.Sprintf("%d dead-lettered sync records, back within the threshold of %d", total, w.threshold))
}

// quotaUsed raises a client's quota alert while it used 80 % of its daily quota or more.
func (w *alerts) quotaUsed(client string, used int64) {
	key := quotaAlertKey + client
	if float64(used) >= quotaAlertShare*float64(w.quota) {
		w.a.Raise(key,
			fmt.Sprintf("API client %q made %d of its %d calls today (%d %%): at 100 %% its calls are refused with 607 until midnight America/Chicago", client, used, w.quota, used*100/w.quota),
			map[string]any{"client": client, "used": used, "dailyQuota": w.quota})
		return
	}
	w.a.Resolve(key, fmt.Sprintf("API client %q is back under 80 %% of its daily quota (%d of %d calls)", client, used, w.quota))
}

// objectName names an object type in an alert.
func objectName(t store.ObjectType) string {
	switch t {
	case store.SalesPerson:
		return "salesPerson"
	case store.Company:
		return "company"
	case store.Lead:
		return "lead"
	case store.Opportunity:
		return "opportunity"
	case store.OpportunityRole:
		return "opportunityRole"
	}
	return fmt.Sprint(int(t))
}

// validateAlerts reports an alert setting that cannot work, naming its variable.
func (c Config) validateAlerts() error {
	var errs []error
	errs = append(errs, c.Alert.Validate())
	if c.AlertDeadLetterThreshold < 0 {
		errs = append(errs, fmt.Errorf("MSISYNC_ALERT_DEAD_LETTER_THRESHOLD %d is negative: use 0 (alert at the first dead letter) or more", c.AlertDeadLetterThreshold))
	}
	if c.Alert.Enabled() && (c.AlertCheckInterval < time.Second || c.AlertCheckInterval > time.Hour) {
		errs = append(errs, fmt.Errorf("MSISYNC_ALERT_CHECK_INTERVAL %v is out of range: use 1s to 1h", c.AlertCheckInterval))
	}
	return errors.Join(errs...)
}
