package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
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

// AckOutbox implements store.UpstreamStore.
func (s *Store) AckOutbox(ctx context.Context, acks []store.OutboxAck, now time.Time) error {
	if len(acks) == 0 {
		return nil // no write transaction (on SQLite, the write lock) for nothing
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, a := range acks {
			if err := s.ackOne(ctx, tx, a, now); err != nil {
				return err
			}
		}
		return nil
	})
}

// ackOne applies one ack inside AckOutbox's transaction.
func (s *Store) ackOne(ctx context.Context, tx *sql.Tx, a store.OutboxAck, now time.Time) error {
	k := a.Row.Key
	exec := func(doing, q string, args ...any) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind(q), args...); err != nil {
			return fmt.Errorf("%s of %s %s: %w", doing, k.Object, k.LocalID, err)
		}
		return nil
	}
	switch {
	case a.Deliver != nil:
		d := a.Deliver
		if err := exec("storing what Marketo holds",
			"INSERT INTO upstream_ids (object, local_id, external_key, marketo_id, marketo_guid, sent_hash, status, code, message, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "+
				"ON CONFLICT (object, local_id) DO UPDATE SET external_key = excluded.external_key, marketo_id = excluded.marketo_id, "+
				"marketo_guid = excluded.marketo_guid, sent_hash = excluded.sent_hash, status = excluded.status, code = excluded.code, message = excluded.message, at = excluded.at",
			string(k.Object), k.LocalID, d.ExternalKey, d.MarketoID, d.MarketoGUID, d.SentHash, d.Status, d.Code, d.Message, micros(cmp.Or(d.At, now))); err != nil {
			return err
		}
		if err := exec("replacing the parents", "DELETE FROM upstream_refs WHERE object = ? AND local_id = ?", string(k.Object), k.LocalID); err != nil {
			return err
		}
		for _, p := range d.Parents {
			if err := exec("storing a parent", "INSERT INTO upstream_refs (object, local_id, parent_object, parent_key) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
				string(k.Object), k.LocalID, string(p.Object), p.Key); err != nil {
				return err
			}
		}
	case a.Forget:
		if err := exec("forgetting what Marketo held", "DELETE FROM upstream_ids WHERE object = ? AND local_id = ?", string(k.Object), k.LocalID); err != nil {
			return err
		}
		if err := exec("forgetting the parents", "DELETE FROM upstream_refs WHERE object = ? AND local_id = ?", string(k.Object), k.LocalID); err != nil {
			return err
		}
	}
	if a.Done {
		if err := exec("removing the delivered row", "DELETE FROM upstream_outbox WHERE object = ? AND local_id = ? AND seq = ?", string(k.Object), k.LocalID, a.Row.Seq); err != nil {
			return err
		}
		// Marked again since the claim: the newer version is due now.
		return exec("releasing the row", "UPDATE upstream_outbox SET claimed_until = 0 WHERE object = ? AND local_id = ?", string(k.Object), k.LocalID)
	}
	return exec("releasing the row",
		"UPDATE upstream_outbox SET claimed_until = 0, attempts = attempts + CASE WHEN CAST(? AS TEXT) = '' THEN 0 ELSE 1 END, "+
			"next_attempt_at = CASE WHEN seq = ? THEN CAST(? AS BIGINT) ELSE 0 END, wait_reason = CASE WHEN seq = ? THEN CAST(? AS TEXT) ELSE '' END WHERE object = ? AND local_id = ?",
		a.Reason, a.Row.Seq, micros(a.RetryAt), a.Row.Seq, a.Reason, string(k.Object), k.LocalID)
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
