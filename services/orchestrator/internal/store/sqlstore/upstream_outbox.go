package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

var _ store.UpstreamStore = (*Store)(nil)

// BeginUpstreamWrite implements store.UpstreamStore.
func (s *Store) BeginUpstreamWrite(ctx context.Context, owner string, keys []store.FenceKey, now time.Time) (int64, error) {
	blob, err := json.Marshal(keys)
	if err != nil {
		return 0, fmt.Errorf("encoding the write fence: %w", err)
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, s.db.Rebind("INSERT INTO upstream_fences (owner, created_at, keys) VALUES (?, ?, ?) RETURNING id"),
			owner, micros(now), string(blob)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("storing the write fence: %w", err)
	}
	return id, nil
}

// EndUpstreamWrite implements store.UpstreamStore.
func (s *Store) EndUpstreamWrite(ctx context.Context, fence int64, changed []store.UpstreamKey, now time.Time) error {
	if fence == 0 && len(changed) == 0 {
		return nil
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.markOutbox(ctx, tx, changed, now); err != nil {
			return err
		}
		if fence != 0 {
			if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM upstream_fences WHERE id = ?"), fence); err != nil {
				return fmt.Errorf("removing the write fence: %w", err)
			}
		}
		return nil
	})
}

// markOutbox marks the keys: a new row, or a new seq on the row there (due now).
func (s *Store) markOutbox(ctx context.Context, tx *sql.Tx, keys []store.UpstreamKey, now time.Time) error {
	keys = uniqueKeys(keys)
	for chunk := range slices.Chunk(keys, 300) {
		args := make([]any, 0, 3*len(chunk))
		for _, k := range chunk {
			args = append(args, string(k.Object), k.LocalID, micros(now))
		}
		q := sqldb.InsertRows("upstream_outbox", []string{"object", "local_id", "enqueued_at"}, len(chunk)) +
			" ON CONFLICT (object, local_id) DO UPDATE SET seq = upstream_outbox.seq + 1, next_attempt_at = 0, attempts = 0, wait_reason = ''"
		if _, err := tx.ExecContext(ctx, s.db.Rebind(q), args...); err != nil {
			return fmt.Errorf("marking records for Marketo: %w", err)
		}
	}
	return nil
}

// uniqueKeys returns the keys without repeats (one INSERT may not touch a row twice).
func uniqueKeys(keys []store.UpstreamKey) []store.UpstreamKey {
	seen := make(map[store.UpstreamKey]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if k.LocalID != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// StaleUpstreamWrites implements store.UpstreamStore.
func (s *Store) StaleUpstreamWrites(ctx context.Context, before time.Time, after int64, limit int) ([]store.WriteFence, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT id, owner, created_at, keys FROM upstream_fences WHERE created_at < ? AND id > ? ORDER BY id LIMIT ?"), micros(before), after, limit)
	if err != nil {
		return nil, fmt.Errorf("reading write fences: %w", err)
	}
	defer rows.Close()
	var out []store.WriteFence
	for rows.Next() {
		var f store.WriteFence
		var created int64
		var blob string
		if err := rows.Scan(&f.ID, &f.Owner, &created, &blob); err != nil {
			return nil, fmt.Errorf("reading write fences: %w", err)
		}
		f.CreatedAt = fromMicros(created)
		if err := json.Unmarshal([]byte(blob), &f.Keys); err != nil {
			return nil, fmt.Errorf("decoding write fence %d: %w", f.ID, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ClaimOutbox implements store.UpstreamStore.
func (s *Store) ClaimOutbox(ctx context.Context, obj store.UpstreamObject, now time.Time, lease time.Duration, limit int) ([]store.OutboxRow, error) {
	pick := "SELECT local_id FROM upstream_outbox WHERE object = ? AND next_attempt_at <= ? AND claimed_until < ? ORDER BY next_attempt_at, enqueued_at LIMIT ?"
	if s.db.Dialect == sqldb.Postgres {
		pick += " FOR UPDATE SKIP LOCKED"
	}
	q := "UPDATE upstream_outbox SET claimed_seq = seq, claimed_until = ? WHERE object = ? AND local_id IN (" + pick + ") " +
		"RETURNING local_id, seq, enqueued_at, attempts"
	n := micros(now)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), micros(now.Add(lease)), string(obj), string(obj), n, n, limit)
	if err != nil {
		return nil, fmt.Errorf("claiming %s records for Marketo: %w", obj, err)
	}
	defer rows.Close()
	var out []store.OutboxRow
	for rows.Next() {
		r := store.OutboxRow{Key: store.UpstreamKey{Object: obj}}
		var enq int64
		if err := rows.Scan(&r.Key.LocalID, &r.Seq, &enq, &r.Attempts); err != nil {
			return nil, fmt.Errorf("claiming %s records for Marketo: %w", obj, err)
		}
		r.EnqueuedAt = fromMicros(enq)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claiming %s records for Marketo: %w", obj, err)
	}
	slices.SortFunc(out, func(a, b store.OutboxRow) int {
		return cmp.Or(a.EnqueuedAt.Compare(b.EnqueuedAt), cmp.Compare(a.Key.LocalID, b.Key.LocalID))
	})
	return out, nil
}

// AckOutbox implements store.UpstreamStore. It writes a batch's acks with a few multi-row
// statements per object: what Marketo holds, the parents, and the delivered rows; only the
// releases, each with its own version, retry time and reason, go one by one.
func (s *Store) AckOutbox(ctx context.Context, acks []store.OutboxAck, now time.Time) error {
	if len(acks) == 0 {
		return nil // no write transaction (on SQLite, the write lock) for nothing
	}
	delivered := map[store.UpstreamKey]*store.Delivered{}
	var forgotten, refsReset []store.UpstreamKey
	var done []store.OutboxRow
	var released []store.OutboxAck
	for _, a := range acks {
		switch {
		case a.Deliver != nil:
			delivered[a.Row.Key] = a.Deliver
			refsReset = append(refsReset, a.Row.Key)
		case a.Forget:
			forgotten = append(forgotten, a.Row.Key)
			refsReset = append(refsReset, a.Row.Key)
		}
		if a.Done {
			done = append(done, a.Row)
		} else {
			released = append(released, a)
		}
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.deleteKeys(ctx, tx, "upstream_refs", refsReset); err != nil {
			return err
		}
		if err := s.deleteKeys(ctx, tx, "upstream_ids", forgotten); err != nil {
			return err
		}
		if err := s.storeDelivered(ctx, tx, delivered, now); err != nil {
			return err
		}
		if err := s.removeDelivered(ctx, tx, done); err != nil {
			return err
		}
		for _, a := range released {
			if err := s.releaseRow(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteKeys deletes the keys' rows of table (upstream_ids or upstream_refs).
func (s *Store) deleteKeys(ctx context.Context, tx *sql.Tx, table string, keys []store.UpstreamKey) error {
	for obj, ids := range byObject(keys) {
		for chunk := range slices.Chunk(ids, inChunk) {
			in, args := sqldb.In(chunk)
			if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM "+table+" WHERE object = ? AND local_id IN ("+in+")"), append([]any{string(obj)}, args...)...); err != nil {
				return fmt.Errorf("deleting %s rows of %s records: %w", table, obj, err)
			}
		}
	}
	return nil
}

// deliveredInsert are the upstream_ids columns storeDelivered writes.
var deliveredInsert = []string{"object", "local_id", "external_key", "marketo_id", "marketo_guid", "sent_hash", "status", "code", "message", "at"}

// storeDelivered replaces the upstream_ids rows and the parents of the records delivered
// (their old parents are deleted already).
func (s *Store) storeDelivered(ctx context.Context, tx *sql.Tx, delivered map[store.UpstreamKey]*store.Delivered, now time.Time) error {
	keys := slices.SortedFunc(maps.Keys(delivered), func(a, b store.UpstreamKey) int {
		return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.LocalID, b.LocalID))
	})
	var refs []any
	for chunk := range slices.Chunk(keys, 50) {
		args := make([]any, 0, len(chunk)*len(deliveredInsert))
		for _, k := range chunk {
			d := delivered[k]
			args = append(args, string(k.Object), k.LocalID, d.ExternalKey, d.MarketoID, d.MarketoGUID, d.SentHash, d.Status, d.Code, d.Message, micros(cmp.Or(d.At, now)))
			for _, p := range d.Parents {
				refs = append(refs, string(k.Object), k.LocalID, string(p.Object), p.Key)
			}
		}
		q := sqldb.InsertRows("upstream_ids", deliveredInsert, len(chunk)) + " ON CONFLICT (object, local_id) DO UPDATE SET external_key = excluded.external_key, " +
			"marketo_id = excluded.marketo_id, marketo_guid = excluded.marketo_guid, sent_hash = excluded.sent_hash, status = excluded.status, " +
			"code = excluded.code, message = excluded.message, at = excluded.at"
		if _, err := tx.ExecContext(ctx, s.db.Rebind(q), args...); err != nil {
			return fmt.Errorf("storing what Marketo holds: %w", err)
		}
	}
	refColumns := []string{"object", "local_id", "parent_object", "parent_key"}
	for chunk := range slices.Chunk(refs, 4*100) {
		q := sqldb.InsertRows("upstream_refs", refColumns, len(chunk)/4) + " ON CONFLICT DO NOTHING"
		if _, err := tx.ExecContext(ctx, s.db.Rebind(q), chunk...); err != nil {
			return fmt.Errorf("storing the parents sent: %w", err)
		}
	}
	return nil
}

// removeDelivered removes the outbox rows delivered, unless they were marked again since
// their claim (their seq moved): those are released, due now for their newer version.
func (s *Store) removeDelivered(ctx context.Context, tx *sql.Tx, rows []store.OutboxRow) error {
	by := map[store.UpstreamObject][]store.OutboxRow{}
	for _, r := range rows {
		by[r.Key.Object] = append(by[r.Key.Object], r)
	}
	for obj, rows := range by {
		for chunk := range slices.Chunk(rows, 200) {
			pairs := make([]string, len(chunk))
			args := []any{string(obj)}
			ids := make([]any, len(chunk))
			for i, r := range chunk {
				pairs[i] = "(?, CAST(? AS BIGINT))"
				args = append(args, r.Key.LocalID, r.Seq)
				ids[i] = r.Key.LocalID
			}
			if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM upstream_outbox WHERE object = ? AND (local_id, seq) IN (VALUES "+strings.Join(pairs, ", ")+")"), args...); err != nil {
				return fmt.Errorf("removing the delivered %s rows: %w", obj, err)
			}
			if _, err := tx.ExecContext(ctx, s.db.Rebind("UPDATE upstream_outbox SET claimed_until = 0 WHERE object = ? AND local_id IN ("+sqldb.Placeholders(len(ids))+")"),
				append([]any{string(obj)}, ids...)...); err != nil {
				return fmt.Errorf("releasing the %s rows marked again: %w", obj, err)
			}
		}
	}
	return nil
}

// releaseRow gives one claimed row back for another attempt: at RetryAt with its reason,
// or due now when it was marked again since its claim. A release without a reason (a batch
// waiting to fill) is not an attempt.
func (s *Store) releaseRow(ctx context.Context, tx *sql.Tx, a store.OutboxAck) error {
	k := a.Row.Key
	_, err := tx.ExecContext(ctx, s.db.Rebind(
		"UPDATE upstream_outbox SET claimed_until = 0, attempts = attempts + CASE WHEN CAST(? AS TEXT) = '' THEN 0 ELSE 1 END, "+
			"next_attempt_at = CASE WHEN seq = ? THEN CAST(? AS BIGINT) ELSE 0 END, wait_reason = CASE WHEN seq = ? THEN CAST(? AS TEXT) ELSE '' END WHERE object = ? AND local_id = ?"),
		a.Reason, a.Row.Seq, micros(a.RetryAt), a.Row.Seq, a.Reason, string(k.Object), k.LocalID)
	if err != nil {
		return fmt.Errorf("releasing %s %s: %w", k.Object, k.LocalID, err)
	}
	return nil
}

// ReleaseOutbox implements store.UpstreamStore.
func (s *Store) ReleaseOutbox(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, "UPDATE upstream_outbox SET claimed_until = 0, next_attempt_at = 0 WHERE claimed_until <> 0 OR next_attempt_at <> 0"); err != nil {
		return fmt.Errorf("releasing the outbox: %w", err)
	}
	return nil
}

// MarkChildren implements store.UpstreamStore.
func (s *Store) MarkChildren(ctx context.Context, parents []store.UpstreamRef, now time.Time) (int64, error) {
	by := map[store.UpstreamObject][]string{}
	for _, r := range parents {
		by[r.Object] = append(by[r.Object], r.Key)
	}
	var n int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		for obj, keys := range by {
			for chunk := range slices.Chunk(keys, inChunk) {
				in, args := sqldb.In(chunk)
				children := "SELECT object, local_id FROM upstream_refs WHERE parent_object = ? AND parent_key IN (" + in + ")"
				args = append([]any{string(obj)}, args...)
				res, err := tx.ExecContext(ctx, s.db.Rebind("INSERT INTO upstream_outbox (object, local_id, enqueued_at) SELECT object, local_id, ? FROM ("+children+") c WHERE true "+
					"ON CONFLICT (object, local_id) DO UPDATE SET seq = upstream_outbox.seq + 1, next_attempt_at = 0, attempts = 0, wait_reason = ''"),
					append([]any{micros(now)}, args...)...)
				if err != nil {
					return fmt.Errorf("marking the children of re-created records: %w", err)
				}
				m, _ := res.RowsAffected()
				n += m
				if _, err := tx.ExecContext(ctx, s.db.Rebind("UPDATE upstream_ids SET sent_hash = NULL WHERE (object, local_id) IN ("+children+")"), args...); err != nil {
					return fmt.Errorf("forgetting the versions sent of the children of re-created records: %w", err)
				}
			}
		}
		return nil
	})
	return n, err
}

// WaitReasons implements store.UpstreamStore.
func (s *Store) WaitReasons(ctx context.Context, keys []store.UpstreamKey) (map[store.UpstreamKey]string, error) {
	out := map[store.UpstreamKey]string{}
	for obj, ids := range byObject(keys) {
		for chunk := range slices.Chunk(ids, inChunk) {
			in, args := sqldb.In(chunk)
			rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT local_id, wait_reason, enqueued_at FROM upstream_outbox WHERE object = ? AND local_id IN ("+in+")"),
				append([]any{string(obj)}, args...)...)
			if err != nil {
				return nil, fmt.Errorf("reading the outbox: %w", err)
			}
			for rows.Next() {
				var id, why string
				var enq int64
				if err := rows.Scan(&id, &why, &enq); err != nil {
					rows.Close()
					return nil, fmt.Errorf("reading the outbox: %w", err)
				}
				if why == "" {
					why = "queued"
				}
				out[store.UpstreamKey{Object: obj, LocalID: id}] = why + " since " + fromMicros(enq).Format(time.RFC3339)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("reading the outbox: %w", err)
			}
		}
	}
	return out, nil
}

// MarkSkipped implements store.UpstreamStore.
func (s *Store) MarkSkipped(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.db.Rebind("INSERT INTO upstream_outbox (object, local_id, enqueued_at) SELECT object, local_id, ? FROM upstream_ids WHERE status = 'skipped' "+
			"ON CONFLICT (object, local_id) DO UPDATE SET seq = upstream_outbox.seq + 1, next_attempt_at = 0, attempts = 0, wait_reason = ''"), micros(now))
		if err != nil {
			return fmt.Errorf("marking the skipped records: %w", err)
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, "UPDATE upstream_ids SET sent_hash = NULL WHERE status = 'skipped'")
		return err
	})
	return n, err
}
