package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// insertChunk bounds the rows of one multi-row INSERT (bind-parameter limits).
const insertChunk = 500

// inChunk bounds the values of one IN (…) list.
const inChunk = 500

// micros converts a time to the stored Unix microseconds; the zero time is 0.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UTC().UnixMicro()
}

// fromMicros converts stored Unix microseconds back; 0 is the zero time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

const runColumns = "id, client_id, request_id, state, reject_missing_parents, lease_until, created_at, started_at, completed_at"

func scanRun(row interface{ Scan(...any) error }) (store.SyncRun, error) {
	var r store.SyncRun
	var state string
	var lease, created, started, completed int64
	err := row.Scan(&r.ID, &r.ClientID, &r.RequestID, &state, &r.RejectMissingParents, &lease, &created, &started, &completed)
	if errors.Is(err, sql.ErrNoRows) {
		return store.SyncRun{}, store.ErrNotFound
	}
	if err != nil {
		return store.SyncRun{}, fmt.Errorf("reading sync run: %w", err)
	}
	r.State = store.RunState(state)
	r.LeaseUntil, r.CreatedAt, r.StartedAt, r.CompletedAt = fromMicros(lease), fromMicros(created), fromMicros(started), fromMicros(completed)
	return r, nil
}

const recordColumns = "id, run_id, object_type, idx, record, rec_key, state, status, rec_id, guid, reasons, " +
	"missing_kind, missing_key, missing_display, park_time, expire_time, attempts, attempt_time, update_time, " + autoRetryColumns

func scanRecord(rows *sql.Rows) (store.SyncRecord, error) {
	var r store.SyncRecord
	var record, state, reasons string
	var park, expire, attempt, update, nextRetry int64
	err := rows.Scan(&r.ID, &r.RunID, &r.ObjectType, &r.Index, &record, &r.Key, &state, &r.Status, &r.RecID, &r.GUID, &reasons,
		&r.Missing.Kind, &r.Missing.Key, &r.MissingDisplay, &park, &expire, &r.Attempts, &attempt, &update, &r.AutoRetry.Count, &nextRetry)
	if err != nil {
		return store.SyncRecord{}, fmt.Errorf("reading sync record: %w", err)
	}
	r.Record = []byte(record)
	r.State = store.RecordState(state)
	if reasons != "" {
		if err := json.Unmarshal([]byte(reasons), &r.Reasons); err != nil {
			return store.SyncRecord{}, fmt.Errorf("reading reasons of sync record %d: %w", r.ID, err)
		}
	}
	r.ParkTime, r.ExpireTime, r.AttemptTime, r.UpdateTime = fromMicros(park), fromMicros(expire), fromMicros(attempt), fromMicros(update)
	r.AutoRetry.Next = fromMicros(nextRetry)
	return r, nil
}

func (s *Store) queryRecords(ctx context.Context, q sqldb.Querier, query string, args ...any) ([]store.SyncRecord, error) {
	rows, err := q.QueryContext(ctx, s.db.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("reading sync records: %w", err)
	}
	defer rows.Close()
	var out []store.SyncRecord
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateSyncRun implements store.Store.
func (s *Store) CreateSyncRun(ctx context.Context, run store.SyncRun, records []store.SyncRecord) (store.SyncRun, bool, error) {
	var out store.SyncRun
	created := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if run.RequestID != "" {
			existing, err := scanRun(tx.QueryRowContext(ctx, s.db.Rebind("SELECT "+runColumns+" FROM sync_runs WHERE client_id = ? AND request_id = ?"), run.ClientID, run.RequestID))
			if err == nil {
				out = existing
				return nil
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind("INSERT INTO sync_runs ("+runColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
			run.ID, run.ClientID, run.RequestID, string(run.State), run.RejectMissingParents, micros(run.LeaseUntil), micros(run.CreatedAt), micros(run.StartedAt), micros(run.CompletedAt)); err != nil {
			return fmt.Errorf("storing sync run: %w", err)
		}
		cols := []string{"run_id", "object_type", "idx", "record", "rec_key", "state", "update_time"}
		sorted := slices.Clone(records)
		slices.SortStableFunc(sorted, func(a, b store.SyncRecord) int {
			if a.ObjectType != b.ObjectType {
				return int(a.ObjectType) - int(b.ObjectType)
			}
			return a.Index - b.Index
		})
		for start := 0; start < len(sorted); start += insertChunk {
			chunk := sorted[start:min(start+insertChunk, len(sorted))]
			args := make([]any, 0, len(chunk)*len(cols))
			for _, r := range chunk {
				args = append(args, run.ID, int(r.ObjectType), r.Index, string(r.Record), r.Key, string(store.RecordPending), micros(run.CreatedAt))
			}
			if _, err := tx.ExecContext(ctx, s.db.Rebind(sqldb.InsertRows("sync_records", cols, len(chunk))), args...); err != nil {
				return fmt.Errorf("storing sync records: %w", err)
			}
		}
		out, created = run, true
		return nil
	})
	if err != nil && run.RequestID != "" && sqldb.IsUniqueViolation(err) {
		// A concurrent request with the same key won: answer with its run.
		existing, gerr := scanRun(s.db.QueryRowContext(ctx, s.db.Rebind("SELECT "+runColumns+" FROM sync_runs WHERE client_id = ? AND request_id = ?"), run.ClientID, run.RequestID))
		if gerr == nil {
			return existing, false, nil
		}
	}
	if err != nil {
		return store.SyncRun{}, false, err
	}
	return out, created, nil
}

// GetSyncRun implements store.Store.
func (s *Store) GetSyncRun(ctx context.Context, id string) (store.SyncRun, error) {
	return scanRun(s.db.QueryRowContext(ctx, s.db.Rebind("SELECT "+runColumns+" FROM sync_runs WHERE id = ?"), id))
}

// claimable is the condition under which a worker may take a run.
const claimable = "(state = 'queued' OR (state IN ('running', 'failed') AND lease_until < ?))"

// ClaimSyncRun implements store.Store.
func (s *Store) ClaimSyncRun(ctx context.Context, now, leaseUntil time.Time) (store.SyncRun, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT id FROM sync_runs WHERE "+claimable+" ORDER BY created_at, id LIMIT 8"), micros(now))
	if err != nil {
		return store.SyncRun{}, fmt.Errorf("finding a sync run to claim: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return store.SyncRun{}, fmt.Errorf("finding a sync run to claim: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.SyncRun{}, fmt.Errorf("finding a sync run to claim: %w", err)
	}
	for _, id := range ids {
		res, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE sync_runs SET state = 'running', lease_until = ?, "+
			"started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END WHERE id = ? AND "+claimable),
			micros(leaseUntil), micros(now), id, micros(now))
		if err != nil {
			return store.SyncRun{}, fmt.Errorf("claiming sync run: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return store.SyncRun{}, err
		} else if n == 1 {
			return s.GetSyncRun(ctx, id)
		}
	}
	return store.SyncRun{}, store.ErrNotFound
}

// RenewLease implements store.Store.
func (s *Store) RenewLease(ctx context.Context, id string, leaseUntil time.Time) error {
	res, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE sync_runs SET lease_until = ? WHERE id = ? AND state = 'running'"), micros(leaseUntil), id)
	if err != nil {
		return fmt.Errorf("renewing sync run lease: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// FailSyncRun implements store.Store.
func (s *Store) FailSyncRun(ctx context.Context, id string, retryAt time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE sync_runs SET state = 'failed', lease_until = ? WHERE id = ? AND state = 'running'"), micros(retryAt), id)
	if err != nil {
		return fmt.Errorf("marking sync run failed: %w", err)
	}
	return nil
}

// FinishSyncRun implements store.Store.
func (s *Store) FinishSyncRun(ctx context.Context, id string, now time.Time) (store.RunState, error) {
	var state store.RunState
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockRuns(ctx, tx, []string{id}); err != nil {
			return err
		}
		run, err := scanRun(tx.QueryRowContext(ctx, s.db.Rebind("SELECT "+runColumns+" FROM sync_runs WHERE id = ?"), id))
		if err != nil {
			return err
		}
		if run.State != store.RunRunning && run.State != store.RunFailed {
			state = run.State
			return nil
		}
		open, err := s.openCounts(ctx, tx, []string{id})
		if err != nil {
			return err
		}
		state = settled(open[id])
		completed := int64(0)
		if state == store.RunCompleted {
			completed = micros(now)
		}
		_, err = tx.ExecContext(ctx, s.db.Rebind("UPDATE sync_runs SET state = ?, lease_until = 0, completed_at = ? WHERE id = ?"), string(state), completed, id)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("finishing sync run: %w", err)
	}
	return state, nil
}

// openCount is how many records of a run are still open.
type openCount struct{ pending, parked int }

// settled is the state of a run that no worker holds, from its open records.
func settled(c openCount) store.RunState {
	switch {
	case c.pending > 0:
		return store.RunQueued
	case c.parked > 0:
		return store.RunWaiting
	}
	return store.RunCompleted
}

// lockRuns locks the run rows on PostgreSQL, in id order, so that settling a run and a
// worker finishing it see each other's record changes (SQLite transactions already run
// one at a time).
func (s *Store) lockRuns(ctx context.Context, tx *sql.Tx, ids []string) error {
	if s.db.Dialect != sqldb.Postgres || len(ids) == 0 {
		return nil
	}
	ph, args := sqldb.In(ids)
	rows, err := tx.QueryContext(ctx, s.db.Rebind("SELECT id FROM sync_runs WHERE id IN ("+ph+") ORDER BY id FOR UPDATE"), args...)
	if err != nil {
		return fmt.Errorf("locking sync runs: %w", err)
	}
	for rows.Next() {
	}
	rows.Close()
	return rows.Err()
}

// openCounts counts the pending and parked records of the runs.
func (s *Store) openCounts(ctx context.Context, q sqldb.Querier, ids []string) (map[string]openCount, error) {
	out := map[string]openCount{}
	ph, args := sqldb.In(ids)
	rows, err := q.QueryContext(ctx, s.db.Rebind("SELECT run_id, state, COUNT(*) FROM sync_records WHERE run_id IN ("+ph+") AND state IN ('pending', 'parked') GROUP BY run_id, state"), args...)
	if err != nil {
		return nil, fmt.Errorf("counting open sync records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, state string
		var n int
		if err := rows.Scan(&id, &state, &n); err != nil {
			return nil, err
		}
		c := out[id]
		if state == string(store.RecordPending) {
			c.pending = n
		} else {
			c.parked = n
		}
		out[id] = c
	}
	return out, rows.Err()
}

// settle recomputes the state of the runs among ids that are waiting or completed.
func (s *Store) settle(ctx context.Context, tx *sql.Tx, ids []string, now time.Time) error {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		if err := s.lockRuns(ctx, tx, chunk); err != nil {
			return err
		}
		open, err := s.openCounts(ctx, tx, chunk)
		if err != nil {
			return err
		}
		for _, id := range chunk {
			state := settled(open[id])
			var err error
			if state == store.RunCompleted {
				_, err = tx.ExecContext(ctx, s.db.Rebind("UPDATE sync_runs SET state = 'completed', completed_at = ? WHERE id = ? AND state = 'waiting'"), micros(now), id)
			} else {
				_, err = tx.ExecContext(ctx, s.db.Rebind("UPDATE sync_runs SET state = ?, completed_at = 0 WHERE id = ? AND state IN ('waiting', 'completed')"), string(state), id)
			}
			if err != nil {
				return fmt.Errorf("settling sync run: %w", err)
			}
		}
	}
	return nil
}

// PendingRecords implements store.Store.
func (s *Store) PendingRecords(ctx context.Context, runID string, t store.ObjectType, limit int) ([]store.SyncRecord, error) {
	return s.queryRecords(ctx, s.db, "SELECT "+recordColumns+" FROM sync_records WHERE run_id = ? AND object_type = ? AND state = 'pending' ORDER BY idx LIMIT ?",
		runID, int(t), limit)
}

// GetSyncRecords implements store.Store.
func (s *Store) GetSyncRecords(ctx context.Context, ids []int64) ([]store.SyncRecord, error) {
	var out []store.SyncRecord
	for start := 0; start < len(ids); start += inChunk {
		ph, args := sqldb.In(ids[start:min(start+inChunk, len(ids))])
		recs, err := s.queryRecords(ctx, s.db, "SELECT "+recordColumns+" FROM sync_records WHERE id IN ("+ph+") ORDER BY id", args...)
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
	}
	slices.SortFunc(out, func(a, b store.SyncRecord) int { return compareInt64(a.ID, b.ID) })
	return out, nil
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// UpdateRecords implements store.Store.
func (s *Store) UpdateRecords(ctx context.Context, updates []store.RecordUpdate, now time.Time) (int, error) {
	sorted := slices.Clone(updates)
	slices.SortFunc(sorted, func(a, b store.RecordUpdate) int { return compareInt64(a.ID, b.ID) })
	changed := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		changed = 0
		var runs []string
		// One statement per chunk: a round trip per record made PostgreSQL ten times slower
		// than SQLite. A chunk never repeats an id, so each update sees the previous one.
		for start := 0; start < len(sorted); {
			end := start + 1
			for end < len(sorted) && end-start < updateChunk && sorted[end].ID != sorted[end-1].ID {
				end++
			}
			part := sorted[start:end]
			start = end
			args := make([]any, 0, len(part)*len(updateValueTypes))
			for _, u := range part {
				reasons := ""
				if len(u.Reasons) > 0 {
					b, err := json.Marshal(u.Reasons)
					if err != nil {
						return err
					}
					reasons = string(b)
				}
				args = append(args, u.ID, string(u.From), string(u.To), u.Status, u.RecID, u.GUID, reasons, u.Missing.Kind, u.Missing.Key,
					u.MissingDisplay, micros(u.ParkTime), micros(u.ExpireTime), micros(now))
			}
			rows, err := tx.QueryContext(ctx, s.db.Rebind(updateRecordsSQL(len(part))), args...)
			if err != nil {
				return fmt.Errorf("storing sync record outcomes: %w", err)
			}
			for rows.Next() {
				var run string
				if err := rows.Scan(&run); err != nil {
					rows.Close()
					return err
				}
				changed++
				runs = append(runs, run)
			}
			if err := rows.Close(); err != nil {
				return fmt.Errorf("storing sync record outcomes: %w", err)
			}
		}
		return s.settle(ctx, tx, runs, now)
	})
	return changed, err
}

// updateChunk bounds the records of one UPDATE … FROM (VALUES …) statement.
const updateChunk = 300

// updateValueTypes are the SQL types of one row of updateRecordsSQL's VALUES, in order: both
// engines name the columns column1, column2, …, and PostgreSQL needs the casts to type them.
var updateValueTypes = []string{"BIGINT", "TEXT", "TEXT", "TEXT", "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "BIGINT", "BIGINT"}

// updateRecordsSQL updates n sync records in one statement, each only while it is still in
// the state it was read in, and returns the run of each record changed.
func updateRecordsSQL(n int) string {
	var row strings.Builder
	row.WriteString("(")
	for i, t := range updateValueTypes {
		if i > 0 {
			row.WriteString(", ")
		}
		row.WriteString("CAST(? AS " + t + ")")
	}
	row.WriteString(")")
	rows := make([]string, n)
	for i := range rows {
		rows[i] = row.String()
	}
	return "UPDATE sync_records SET state = v.column3, status = v.column4, rec_id = v.column5, guid = v.column6, reasons = v.column7, " +
		"missing_kind = v.column8, missing_key = v.column9, missing_display = v.column10, park_time = v.column11, expire_time = v.column12, " +
		"attempts = attempts + 1, attempt_time = v.column13, update_time = v.column13 " +
		"FROM (VALUES " + strings.Join(rows, ", ") + ") AS v " +
		"WHERE sync_records.id = v.column1 AND sync_records.state = v.column2 RETURNING run_id"
}

// ReleaseParked implements store.Store.
func (s *Store) ReleaseParked(ctx context.Context, parents []store.Parent, now time.Time) (int, error) {
	return s.makePending(ctx, "parked", parents, now)
}

// makePending makes the records in state from that wait for one of parents pending again
// (one statement per parent kind and chunk of keys) and settles their runs, in one
// transaction; it returns how many it changed.
func (s *Store) makePending(ctx context.Context, from string, parents []store.Parent, now time.Time) (int, error) {
	byKind := map[string][]string{}
	for _, p := range parents {
		if p.Key != "" {
			byKind[p.Kind] = append(byKind[p.Kind], p.Key)
		}
	}
	if len(byKind) == 0 {
		return 0, nil
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	changed := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		changed = 0
		var runs []string
		for _, kind := range kinds {
			keys := byKind[kind]
			slices.Sort(keys)
			keys = slices.Compact(keys)
			for start := 0; start < len(keys); start += inChunk {
				ph, args := sqldb.In(keys[start:min(start+inChunk, len(keys))])
				got, err := s.returningStrings(ctx, tx, "UPDATE sync_records SET state = 'pending', update_time = ? WHERE state = ? AND missing_kind = ? AND missing_key IN ("+ph+") RETURNING run_id",
					append([]any{micros(now), from, kind}, args...)...)
				if err != nil {
					return fmt.Errorf("making %s records pending again: %w", from, err)
				}
				changed += len(got)
				runs = append(runs, got...)
			}
		}
		return s.settle(ctx, tx, runs, now)
	})
	return changed, err
}

// returningStrings runs a statement that returns one string column per row.
func (s *Store) returningStrings(ctx context.Context, q sqldb.Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, s.db.Rebind(query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ParkedParents implements store.Store.
func (s *Store) ParkedParents(ctx context.Context, after store.Parent, limit int) ([]store.ParkedParent, error) {
	return s.missingParents(ctx, "state = 'parked'", "parked records", after, limit)
}

// missingParents lists the distinct missing parents of the records the condition where
// selects, those after the parent after in (kind, key) order, at most limit; what names the
// records in an error.
func (s *Store) missingParents(ctx context.Context, where, what string, after store.Parent, limit int) ([]store.ParkedParent, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT missing_kind, missing_key, MIN(missing_display) FROM sync_records "+
		"WHERE "+where+" AND (missing_kind > ? OR (missing_kind = ? AND missing_key > ?)) "+
		"GROUP BY missing_kind, missing_key ORDER BY missing_kind, missing_key LIMIT ?"), after.Kind, after.Kind, after.Key, limit)
	if err != nil {
		return nil, fmt.Errorf("listing parents of %s: %w", what, err)
	}
	defer rows.Close()
	var out []store.ParkedParent
	for rows.Next() {
		var p store.ParkedParent
		if err := rows.Scan(&p.Kind, &p.Key, &p.Display); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ExpireParked implements store.Store.
func (s *Store) ExpireParked(ctx context.Context, now time.Time) (int, error) {
	expired := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		runs, err := s.returningStrings(ctx, tx, "UPDATE sync_records SET state = 'dead_lettered', update_time = ? WHERE state = 'parked' AND expire_time <= ? RETURNING run_id",
			micros(now), micros(now))
		if err != nil {
			return fmt.Errorf("expiring parked records: %w", err)
		}
		expired = len(runs)
		return s.settle(ctx, tx, runs, now)
	})
	return expired, err
}

// DropRecords implements store.Store.
func (s *Store) DropRecords(ctx context.Context, ids []int64, now time.Time) ([]int64, error) {
	var dropped []int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		dropped = nil
		var runs []string
		sorted := slices.Clone(ids)
		slices.Sort(sorted)
		sorted = slices.Compact(sorted)
		for start := 0; start < len(sorted); start += inChunk {
			ph, args := sqldb.In(sorted[start:min(start+inChunk, len(sorted))])
			rows, err := tx.QueryContext(ctx, s.db.Rebind("UPDATE sync_records SET state = 'dropped', update_time = ? WHERE id IN ("+ph+") AND state IN ('parked', 'dead_lettered') RETURNING id, run_id"),
				append([]any{micros(now)}, args...)...)
			if err != nil {
				return fmt.Errorf("dropping records: %w", err)
			}
			for rows.Next() {
				var id int64
				var run string
				if err := rows.Scan(&id, &run); err != nil {
					rows.Close()
					return err
				}
				dropped = append(dropped, id)
				runs = append(runs, run)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return s.settle(ctx, tx, runs, now)
	})
	slices.Sort(dropped)
	return dropped, err
}

// CountRecords implements store.Store.
func (s *Store) CountRecords(ctx context.Context, runID string) ([]store.Counts, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT object_type, state, COUNT(*) FROM sync_records WHERE run_id = ? GROUP BY object_type, state ORDER BY object_type"), runID)
	if err != nil {
		return nil, fmt.Errorf("counting sync records: %w", err)
	}
	defer rows.Close()
	var out []store.Counts
	for rows.Next() {
		var t store.ObjectType
		var state string
		var n int
		if err := rows.Scan(&t, &state, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ObjectType != t {
			out = append(out, store.Counts{ObjectType: t, ByState: map[store.RecordState]int{}})
		}
		out[len(out)-1].ByState[store.RecordState(state)] += n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return s.withPruned(ctx, runID, out)
}

// ListRecords implements store.Store.
func (s *Store) ListRecords(ctx context.Context, q store.RecordQuery) ([]store.SyncRecord, error) {
	where := []string{"run_id = ?"}
	args := []any{q.RunID}
	if q.ObjectType != 0 {
		where = append(where, "object_type = ?")
		args = append(args, int(q.ObjectType))
	}
	if q.State != "" {
		where = append(where, "state = ?")
		args = append(args, string(q.State))
	}
	if q.AfterType != 0 {
		where = append(where, "(object_type > ? OR (object_type = ? AND idx > ?))")
		args = append(args, int(q.AfterType), int(q.AfterType), q.AfterIndex)
	}
	args = append(args, q.Limit)
	return s.queryRecords(ctx, s.db, "SELECT "+recordColumns+" FROM sync_records WHERE "+strings.Join(where, " AND ")+" ORDER BY object_type, idx LIMIT ?", args...)
}

// ListParked implements store.Store.
func (s *Store) ListParked(ctx context.Context, q store.ParkedQuery) ([]store.SyncRecord, error) {
	order := "park_time"
	if q.State == store.RecordDeadLettered {
		order = "expire_time"
	}
	where := []string{"state = ?"}
	args := []any{string(q.State)}
	if q.ObjectType != 0 {
		where = append(where, "object_type = ?")
		args = append(args, int(q.ObjectType))
	}
	if q.RunID != "" {
		where = append(where, "run_id = ?")
		args = append(args, q.RunID)
	}
	if q.Owned {
		where = append(where, "run_id IN (SELECT id FROM sync_runs WHERE client_id = ?)")
		args = append(args, q.ClientID)
	}
	if q.Key != "" {
		where = append(where, "LOWER(rec_key) = ?")
		args = append(args, strings.ToLower(q.Key))
	}
	if q.AfterID != 0 {
		where = append(where, "("+order+" > ? OR ("+order+" = ? AND id > ?))")
		args = append(args, micros(q.AfterTime), micros(q.AfterTime), q.AfterID)
	}
	args = append(args, q.Limit)
	return s.queryRecords(ctx, s.db, "SELECT "+recordColumns+" FROM sync_records WHERE "+strings.Join(where, " AND ")+" ORDER BY "+order+", id LIMIT ?", args...)
}

// OwnedRecords implements store.Store.
func (s *Store) OwnedRecords(ctx context.Context, clientID string, ids []int64) ([]int64, error) {
	var out []int64
	for start := 0; start < len(ids); start += inChunk {
		ph, args := sqldb.In(ids[start:min(start+inChunk, len(ids))])
		rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT id FROM sync_records WHERE id IN ("+ph+") "+
			"AND run_id IN (SELECT id FROM sync_runs WHERE client_id = ?)"), append(args, clientID)...)
		if err != nil {
			return nil, fmt.Errorf("checking the owner of sync records: %w", err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
