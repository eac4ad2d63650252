package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// autoRetryColumns are the columns scanRecord reads into SyncRecord.AutoRetry: the retry
// count, and the next retry while the schedule is that of the record's latest death.
const autoRetryColumns = "retries, CASE WHEN state = 'dead_lettered' AND retry_basis = update_time AND next_retry > 0 THEN next_retry ELSE 0 END"

// unscheduled is the condition of a dead letter without a schedule for its latest death.
const unscheduled = "state = 'dead_lettered' AND retry_basis <> update_time"

// ScheduleDeadLetters implements store.Store.
func (s *Store) ScheduleDeadLetters(ctx context.Context, sched store.RetrySchedule, limit int) (int, error) {
	type row struct {
		id, retries, died, first int64
	}
	var rows []row
	q, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT id, retries, update_time, dead_time FROM sync_records WHERE "+unscheduled+" ORDER BY id LIMIT ?"), limit)
	if err != nil {
		return 0, fmt.Errorf("finding dead letters to schedule: %w", err)
	}
	for q.Next() {
		var r row
		if err := q.Scan(&r.id, &r.retries, &r.died, &r.first); err != nil {
			q.Close()
			return 0, fmt.Errorf("finding dead letters to schedule: %w", err)
		}
		rows = append(rows, r)
	}
	q.Close()
	if err := q.Err(); err != nil {
		return 0, fmt.Errorf("finding dead letters to schedule: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, r := range rows {
			if r.first == 0 {
				r.first = r.died
			}
			next := int64(0)
			if due, ok := sched.Next(int(r.retries), fromMicros(r.first), fromMicros(r.died)); ok {
				next = micros(due)
			}
			// Only while the record is still in the death it was read in: a concurrent
			// scheduler (another replica) computed the same values anyway.
			if _, err := tx.ExecContext(ctx, s.db.Rebind("UPDATE sync_records SET retry_basis = update_time, next_retry = ?, dead_time = ? "+
				"WHERE id = ? AND update_time = ? AND "+unscheduled), next, r.first, r.id, r.died); err != nil {
				return fmt.Errorf("scheduling the retry of dead letter %d: %w", r.id, err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(rows), nil
}

// ClaimDueDeadLetters implements store.Store.
func (s *Store) ClaimDueDeadLetters(ctx context.Context, now, until time.Time, limit int) ([]int64, error) {
	due := "state = 'dead_lettered' AND retry_basis = update_time AND next_retry > 0 AND next_retry <= ?"
	pick := "SELECT id FROM sync_records WHERE " + due + " ORDER BY next_retry, id LIMIT ?"
	if s.db.Dialect == sqldb.Postgres {
		// Another replica's claim in flight holds its rows: skip them instead of waiting
		// and then claiming them again.
		pick += " FOR UPDATE SKIP LOCKED"
	}
	// One statement: SQLite runs it under its single writer, PostgreSQL locks the rows it
	// picks, and the outer condition holds again on the rows updated.
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("UPDATE sync_records SET retries = retries + 1, next_retry = ? WHERE id IN ("+pick+") AND "+due+" RETURNING id"),
		micros(until), micros(now), limit, micros(now))
	if err != nil {
		return nil, fmt.Errorf("claiming dead letters due for a retry: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("claiming dead letters due for a retry: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
