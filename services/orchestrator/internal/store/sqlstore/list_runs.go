package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// ListSyncRuns implements store.Store.
func (s *Store) ListSyncRuns(ctx context.Context, q store.RunQuery) ([]store.RunSummary, error) {
	var where []string
	var args []any
	if q.Owned {
		where = append(where, "client_id = ?")
		args = append(args, q.ClientID)
	}
	if len(q.States) > 0 {
		ph, states := sqldb.In(q.States)
		for i, st := range states {
			states[i] = string(st.(store.RunState))
		}
		where = append(where, "state IN ("+ph+")")
		args = append(args, states...)
	}
	if !q.CreatedFrom.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, micros(q.CreatedFrom))
	}
	if !q.CreatedBefore.IsZero() {
		where = append(where, "created_at < ?")
		args = append(args, micros(q.CreatedBefore))
	}
	if q.RequestID != "" {
		where = append(where, "request_id = ?")
		args = append(args, q.RequestID)
	}
	if q.BeforeID != "" {
		where = append(where, "(created_at < ? OR (created_at = ? AND id < ?))")
		args = append(args, micros(q.BeforeTime), micros(q.BeforeTime), q.BeforeID)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, q.Limit)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT "+runColumns+", pruned_counts FROM sync_runs"+cond+
		" ORDER BY created_at DESC, id DESC LIMIT ?"), args...)
	if err != nil {
		return nil, fmt.Errorf("listing sync runs: %w", err)
	}
	defer rows.Close()
	var out []store.RunSummary
	var pruned []string
	for rows.Next() {
		var p string
		run, err := scanRun(prunedScanner{rows, &p})
		if err != nil {
			return nil, err
		}
		out = append(out, store.RunSummary{SyncRun: run})
		pruned = append(pruned, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing sync runs: %w", err)
	}
	rows.Close()
	counts, err := s.countRuns(ctx, out)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Counts, err = addPruned(out[i].ID, pruned[i], counts[out[i].ID]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// prunedScanner reads a row of runColumns followed by pruned_counts, giving scanRun the
// run's columns.
type prunedScanner struct {
	row    interface{ Scan(...any) error }
	pruned *string
}

func (p prunedScanner) Scan(dest ...any) error {
	return p.row.Scan(append(dest, p.pruned)...)
}

// countRuns counts the stored records of the runs per object type (in sync order) and
// state, as CountRecords does for one run before it adds the pruned ones.
func (s *Store) countRuns(ctx context.Context, runs []store.RunSummary) (map[string][]store.Counts, error) {
	out := make(map[string][]store.Counts, len(runs))
	for start := 0; start < len(runs); start += inChunk {
		ids := make([]string, 0, min(inChunk, len(runs)-start))
		for _, r := range runs[start:min(start+inChunk, len(runs))] {
			ids = append(ids, r.ID)
		}
		ph, args := sqldb.In(ids)
		if err := s.countInto(ctx, out, "SELECT run_id, object_type, state, COUNT(*) FROM sync_records WHERE run_id IN ("+ph+
			") GROUP BY run_id, object_type, state ORDER BY run_id, object_type", args); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// countInto adds the rows (run id, object type, state, count; ordered by run and type) of
// query to out.
func (s *Store) countInto(ctx context.Context, out map[string][]store.Counts, query string, args []any) error {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(query), args...)
	if err != nil {
		return fmt.Errorf("counting sync records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, state string
		var t store.ObjectType
		var n int
		if err := rows.Scan(&id, &t, &state, &n); err != nil {
			return fmt.Errorf("counting sync records: %w", err)
		}
		c := out[id]
		if len(c) == 0 || c[len(c)-1].ObjectType != t {
			c = append(c, store.Counts{ObjectType: t, ByState: map[store.RecordState]int{}})
		}
		c[len(c)-1].ByState[store.RecordState(state)] += n
		out[id] = c
	}
	return rows.Err()
}
