package sqlstore

import (
	"context"
	"fmt"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// backlogQuery counts, in one statement, the unfinished runs per state, the pending
// records, and the parked and dead-lettered records per object type; every part reads an
// index on state.
const backlogQuery = `SELECT 'run', state, 0, COUNT(*) FROM sync_runs WHERE state IN ('queued', 'running', 'waiting', 'failed') GROUP BY state
UNION ALL SELECT 'record', 'pending', 0, COUNT(*) FROM sync_records WHERE state = 'pending'
UNION ALL SELECT 'record', state, object_type, COUNT(*) FROM sync_records WHERE state IN ('parked', 'dead_lettered') GROUP BY state, object_type`

// Backlog returns what the sync runs have left to do (for the metrics gauges).
func (s *Store) Backlog(ctx context.Context) (store.Backlog, error) {
	b := store.Backlog{Runs: map[store.RunState]int64{}, Parked: map[store.ObjectType]int64{}, DeadLettered: map[store.ObjectType]int64{}}
	rows, err := s.db.QueryContext(ctx, backlogQuery)
	if err != nil {
		return b, fmt.Errorf("counting the sync backlog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, state string
		var t store.ObjectType
		var n int64
		if err := rows.Scan(&kind, &state, &t, &n); err != nil {
			return b, fmt.Errorf("counting the sync backlog: %w", err)
		}
		switch {
		case kind == "run":
			b.Runs[store.RunState(state)] = n
		case state == string(store.RecordPending):
			b.Pending = n
		case state == string(store.RecordParked):
			b.Parked[t] = n
		case state == string(store.RecordDeadLettered):
			b.DeadLettered[t] = n
		}
	}
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("counting the sync backlog: %w", err)
	}
	return b, nil
}
