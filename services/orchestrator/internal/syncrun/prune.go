package syncrun

import (
	"context"
	"log/slog"
	"time"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// pruneBatch is how many runs one step of a prune pass visits; each run is pruned in a
// transaction of its own (at most 5 × 300 records).
const pruneBatch = 100

// Pruner deletes completed sync runs once they are older than the retention: their applied,
// rejected and dropped records, and the run itself unless it still holds dead letters.
// Parked and dead-lettered records, and runs not completed, are never pruned. Any number
// of replicas may prune one store at once.
type Pruner struct {
	st        store.SyncRunStore
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// NewPruner returns a Pruner of the runs that completed more than retention ago; a
// retention of 0 keeps them for ever. log may be nil.
func NewPruner(st store.SyncRunStore, retention time.Duration, log *slog.Logger) *Pruner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Pruner{st: st, retention: retention, now: time.Now, log: log}
}

// Interval is how often Run prunes: hourly, or every half retention when that is shorter
// (but not more often than every second).
func (p *Pruner) Interval() time.Duration {
	return min(time.Hour, max(time.Second, p.retention/2))
}

// Prune makes one pass over the runs that completed more than the retention ago, a batch
// at a time, and returns how many runs and records it deleted.
func (p *Pruner) Prune(ctx context.Context) (runs, records int, err error) {
	if p.retention <= 0 {
		return 0, 0, nil
	}
	step := store.PruneStep{Cutoff: p.now().Add(-p.retention), Limit: pruneBatch}
	for {
		got, err := p.st.PruneSyncRuns(ctx, step)
		runs, records = runs+got.Runs, records+got.Records
		if err != nil || got.Visited < step.Limit {
			return runs, records, err
		}
		step.AfterTime, step.AfterID = got.LastTime, got.LastID
	}
}

// Run prunes at once and then every Interval until ctx ends; with no retention it returns
// at once.
func (p *Pruner) Run(ctx context.Context) {
	if p.retention <= 0 {
		return
	}
	t := time.NewTicker(p.Interval())
	defer t.Stop()
	for {
		runs, records, err := p.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			p.log.WarnContext(ctx, "pruning sync runs; the next pass tries again", "error", err)
		case records > 0 || runs > 0:
			p.log.InfoContext(ctx, "pruned sync runs older than the retention", "runs_deleted", runs, "records_deleted", records, "retention", p.retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
