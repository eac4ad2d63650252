package syncrun

import (
	"context"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// sweepBatch is how many distinct parents one sweep checks.
const sweepBatch = 300

// release makes the records parked for the applied parents pending again, in whatever run
// they are, and so the dead-lettered records that expired waiting for them: children follow
// their parent as soon as it arrives. It wakes the worker when it released any (their runs
// are queued again).
func (e *Engine) release(ctx context.Context, applied []store.Parent) error {
	if len(applied) == 0 {
		return nil
	}
	n, err := e.st.ReleaseParked(ctx, applied, e.opts.Now())
	if err != nil {
		return err
	}
	revived, err := e.st.ReviveDeadLettered(ctx, applied, e.opts.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		e.opts.Log.DebugContext(ctx, "released parked records", "count", n)
	}
	if revived > 0 {
		e.opts.Log.InfoContext(ctx, "dead-lettered records revived: the parent they waited for arrived", "count", revived)
	}
	if n+revived > 0 {
		e.Wake()
	}
	return nil
}

// Sweep expires parked records past their expiry to the dead-letter list, then checks a
// batch of the parents parked records wait for, and a batch of those dead-lettered records
// wait for — each continuing where the previous sweep stopped — and releases the records
// whose parent now exists (a parent synced through the Marketo API, or by a run whose
// release was missed). The worker sweeps at start and then periodically.
func (e *Engine) Sweep(ctx context.Context) error {
	e.sweepMu.Lock()
	defer e.sweepMu.Unlock()
	n, err := e.st.ExpireParked(ctx, e.opts.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		e.m.expired.Add(ctx, int64(n))
		e.opts.Log.InfoContext(ctx, "parked records expired to the dead-letter list", "count", n)
	}
	parents, err := e.st.ParkedParents(ctx, e.sweepAfter, sweepBatch)
	if err != nil {
		return err
	}
	e.sweepAfter = next(parents)
	dead, err := e.st.DeadLetteredParents(ctx, e.deadAfter, sweepBatch)
	if err != nil {
		return err
	}
	e.deadAfter = next(dead)
	parents = append(parents, dead...)
	if len(parents) == 0 {
		return nil
	}
	exist, err := e.be.ParentsExist(ctx, parents)
	if err != nil {
		return err
	}
	var found []store.Parent
	for i, p := range parents {
		if i < len(exist) && exist[i] {
			found = append(found, p.Parent)
		}
	}
	return e.release(ctx, found)
}

// next is where the sweep after one that checked parents continues: after the last of a
// full batch, else from the beginning.
func next(parents []store.ParkedParent) store.Parent {
	if len(parents) < sweepBatch {
		return store.Parent{}
	}
	return parents[len(parents)-1].Parent
}

// sweepLogged sweeps, then retries the dead letters due for an automatic retry, and logs a
// failure (the next sweep tries again).
func (e *Engine) sweepLogged(ctx context.Context) {
	if err := e.Sweep(ctx); err != nil && ctx.Err() == nil {
		e.opts.Log.WarnContext(ctx, "sweeping parked records", "error", err)
	}
	if _, err := e.RetryDueDeadLetters(ctx); err != nil && ctx.Err() == nil {
		e.opts.Log.WarnContext(ctx, "retrying dead letters automatically", "error", err)
	}
}
