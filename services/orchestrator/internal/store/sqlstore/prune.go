package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// finalStates are the record states that never change again: what pruning deletes.
const finalStates = "('applied', 'rejected', 'dropped')"

// prunedCount is one entry of sync_runs.pruned_counts.
type prunedCount struct {
	T store.ObjectType  `json:"t"`
	S store.RecordState `json:"s"`
	N int               `json:"n"`
}

// PruneSyncRuns implements store.Store.
func (s *Store) PruneSyncRuns(ctx context.Context, step store.PruneStep) (store.Pruned, error) {
	var out store.Pruned
	after := micros(step.AfterTime)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT id, completed_at FROM sync_runs WHERE state = 'completed' AND completed_at < ? "+
		"AND (completed_at > ? OR (completed_at = ? AND id > ?)) ORDER BY completed_at, id LIMIT ?"),
		micros(step.Cutoff), after, after, step.AfterID, step.Limit)
	if err != nil {
		return out, fmt.Errorf("finding sync runs to prune: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		var completed int64
		if err := rows.Scan(&id, &completed); err != nil {
			rows.Close()
			return out, fmt.Errorf("finding sync runs to prune: %w", err)
		}
		ids = append(ids, id)
		out.LastTime, out.LastID = fromMicros(completed), id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("finding sync runs to prune: %w", err)
	}
	out.Visited = len(ids)
	for _, id := range ids {
		n, deleted, err := s.pruneRun(ctx, id, micros(step.Cutoff))
		if err != nil {
			return out, err
		}
		out.Records += n
		if deleted {
			out.Runs++
		}
	}
	return out, nil
}

// pruneRun deletes the final records of one run that completed before cutoff, and the run
// when nothing else is left, in one transaction. It returns how many records it deleted
// and whether it deleted the run.
func (s *Store) pruneRun(ctx context.Context, id string, cutoff int64) (int, bool, error) {
	deletedRecords, deletedRun := 0, false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		deletedRecords, deletedRun = 0, false
		// Locked, the run cannot be settled (or pruned by another replica) meanwhile.
		if err := s.lockRuns(ctx, tx, []string{id}); err != nil {
			return err
		}
		var state, prunedJSON string
		var completed int64
		err := tx.QueryRowContext(ctx, s.db.Rebind("SELECT state, completed_at, pruned_counts FROM sync_runs WHERE id = ?"), id).Scan(&state, &completed, &prunedJSON)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // pruned meanwhile
		}
		if err != nil {
			return err
		}
		if state != string(store.RunCompleted) || completed == 0 || completed >= cutoff {
			return nil // resumed meanwhile
		}
		var kept int
		if err := tx.QueryRowContext(ctx, s.db.Rebind("SELECT COUNT(*) FROM sync_records WHERE run_id = ? AND state NOT IN "+finalStates), id).Scan(&kept); err != nil {
			return err
		}
		// A run that keeps records keeps the counts of those it loses; one that goes
		// needs none.
		var counts []prunedCount
		if kept > 0 {
			if counts, err = s.finalCounts(ctx, tx, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM sync_records WHERE run_id = ? AND state IN "+finalStates), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		deletedRecords = int(n)
		if kept == 0 {
			deletedRun = true
			_, err = tx.ExecContext(ctx, s.db.Rebind("DELETE FROM sync_runs WHERE id = ?"), id)
			return err
		}
		if len(counts) == 0 {
			return nil
		}
		merged, err := mergePrunedCounts(prunedJSON, counts)
		if err != nil {
			return fmt.Errorf("sync run %s: %w", id, err)
		}
		_, err = tx.ExecContext(ctx, s.db.Rebind("UPDATE sync_runs SET pruned_counts = ? WHERE id = ?"), merged, id)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("pruning sync run %s: %w", id, err)
	}
	return deletedRecords, deletedRun, nil
}

// finalCounts counts a run's final records per object type and state.
func (s *Store) finalCounts(ctx context.Context, tx *sql.Tx, id string) ([]prunedCount, error) {
	rows, err := tx.QueryContext(ctx, s.db.Rebind("SELECT object_type, state, COUNT(*) FROM sync_records WHERE run_id = ? AND state IN "+finalStates+" GROUP BY object_type, state"), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []prunedCount
	for rows.Next() {
		var c prunedCount
		if err := rows.Scan(&c.T, &c.S, &c.N); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// mergePrunedCounts adds counts to the stored pruned_counts and returns the new value.
func mergePrunedCounts(stored string, counts []prunedCount) (string, error) {
	var all []prunedCount
	if stored != "" {
		if err := json.Unmarshal([]byte(stored), &all); err != nil {
			return "", fmt.Errorf("reading pruned counts: %w", err)
		}
	}
	for _, c := range counts {
		i := slices.IndexFunc(all, func(a prunedCount) bool { return a.T == c.T && a.S == c.S })
		if i < 0 {
			all = append(all, c)
		} else {
			all[i].N += c.N
		}
	}
	b, err := json.Marshal(all)
	return string(b), err
}

// withPruned adds the counts of the records pruned from the run to counts (in sync order).
func (s *Store) withPruned(ctx context.Context, runID string, counts []store.Counts) ([]store.Counts, error) {
	var stored string
	err := s.db.QueryRowContext(ctx, s.db.Rebind("SELECT pruned_counts FROM sync_runs WHERE id = ?"), runID).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && stored == "") {
		return counts, nil
	}
	if err != nil {
		return nil, fmt.Errorf("counting sync records: %w", err)
	}
	return addPruned(runID, stored, counts)
}

// addPruned adds the pruned counts stored with a run (its pruned_counts column; "" when
// none) to counts (in sync order).
func addPruned(runID, stored string, counts []store.Counts) ([]store.Counts, error) {
	if stored == "" {
		return counts, nil
	}
	var pruned []prunedCount
	if err := json.Unmarshal([]byte(stored), &pruned); err != nil {
		return nil, fmt.Errorf("reading pruned counts of sync run %s: %w", runID, err)
	}
	for _, p := range pruned {
		i := slices.IndexFunc(counts, func(c store.Counts) bool { return c.ObjectType == p.T })
		if i < 0 {
			counts = append(counts, store.Counts{ObjectType: p.T, ByState: map[store.RecordState]int{}})
			i = len(counts) - 1
		}
		counts[i].ByState[p.S] += p.N
	}
	slices.SortFunc(counts, func(a, b store.Counts) int { return int(a.ObjectType) - int(b.ObjectType) })
	return counts, nil
}
