package upstream

import (
	"context"
	"time"
)

// Health is what the alerts watch of the delivery.
type Health struct {
	// PausedUntil and PauseReason say whether and why the delivery is paused.
	PausedUntil time.Time
	PauseReason string
	// Backlog counts the records not delivered yet; OldestWaiting is when the oldest of them
	// was accepted (zero when none waits).
	Backlog       int64
	OldestWaiting time.Time
	// LastError is the last failed Marketo call's error, "" when none failed.
	LastError string
}

// Health returns the delivery's state for the alerts.
func (f *Forwarder) Health(ctx context.Context) (Health, error) {
	var h Health
	h.PausedUntil, h.PauseReason = f.paused()
	queues, err := f.store.CountUpstream(ctx, f.opt.Now())
	if err != nil {
		return h, err
	}
	for _, q := range queues {
		h.Backlog += q.Backlog()
		if !q.OldestWaiting.IsZero() && (h.OldestWaiting.IsZero() || q.OldestWaiting.Before(h.OldestWaiting)) {
			h.OldestWaiting = q.OldestWaiting
		}
	}
	h.LastError = f.mk.Status().LastError
	return h, nil
}
