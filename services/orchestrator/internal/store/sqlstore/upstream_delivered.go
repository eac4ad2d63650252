package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// deliveredColumns are the upstream_ids columns scanDelivered reads.
const deliveredColumns = "object, local_id, external_key, marketo_id, marketo_guid, sent_hash, status, code, message, at"

// scanDelivered reads the rows of a query of deliveredColumns and then their parents.
func (s *Store) scanDelivered(ctx context.Context, q string, args ...any) ([]store.Delivered, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("reading what Marketo holds: %w", err)
	}
	var out []store.Delivered
	for rows.Next() {
		var d store.Delivered
		var obj string
		var at int64
		if err := rows.Scan(&obj, &d.Key.LocalID, &d.ExternalKey, &d.MarketoID, &d.MarketoGUID, &d.SentHash, &d.Status, &d.Code, &d.Message, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading what Marketo holds: %w", err)
		}
		d.Key.Object = store.UpstreamObject(obj)
		d.At = fromMicros(at)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading what Marketo holds: %w", err)
	}
	return out, s.readParents(ctx, out)
}

// readParents fills in the Parents of the rows (all of one object, or none).
func (s *Store) readParents(ctx context.Context, ds []store.Delivered) error {
	if len(ds) == 0 {
		return nil
	}
	at := make(map[string]int, len(ds))
	ids := make([]string, 0, len(ds))
	for i, d := range ds {
		at[d.Key.LocalID] = i
		ids = append(ids, d.Key.LocalID)
	}
	for chunk := range slices.Chunk(ids, inChunk) {
		in, args := sqldb.In(chunk)
		rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT local_id, parent_object, parent_key FROM upstream_refs WHERE object = ? AND local_id IN ("+in+")"),
			append([]any{string(ds[0].Key.Object)}, args...)...)
		if err != nil {
			return fmt.Errorf("reading the parents sent: %w", err)
		}
		for rows.Next() {
			var id, obj, key string
			if err := rows.Scan(&id, &obj, &key); err != nil {
				rows.Close()
				return fmt.Errorf("reading the parents sent: %w", err)
			}
			d := &ds[at[id]]
			d.Parents = append(d.Parents, store.UpstreamRef{Object: store.UpstreamObject(obj), Key: key})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("reading the parents sent: %w", err)
		}
	}
	return nil
}

// byObject groups keys by object.
func byObject(keys []store.UpstreamKey) map[store.UpstreamObject][]string {
	out := map[store.UpstreamObject][]string{}
	for _, k := range uniqueKeys(keys) {
		out[k.Object] = append(out[k.Object], k.LocalID)
	}
	return out
}

// GetDelivered implements store.UpstreamStore.
func (s *Store) GetDelivered(ctx context.Context, keys []store.UpstreamKey) (map[store.UpstreamKey]store.Delivered, error) {
	out := map[store.UpstreamKey]store.Delivered{}
	for obj, ids := range byObject(keys) {
		for chunk := range slices.Chunk(ids, inChunk) {
			in, args := sqldb.In(chunk)
			got, err := s.scanDelivered(ctx, "SELECT "+deliveredColumns+" FROM upstream_ids WHERE object = ? AND local_id IN ("+in+")", append([]any{string(obj)}, args...)...)
			if err != nil {
				return nil, err
			}
			for _, d := range got {
				out[d.Key] = d
			}
		}
	}
	return out, nil
}

// DeliveredByExternalKey implements store.UpstreamStore.
func (s *Store) DeliveredByExternalKey(ctx context.Context, obj store.UpstreamObject, keys []string) (map[string]store.Delivered, error) {
	out := map[string]store.Delivered{}
	for chunk := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(keys))), inChunk) {
		in, args := sqldb.In(chunk)
		got, err := s.scanDelivered(ctx, "SELECT "+deliveredColumns+" FROM upstream_ids WHERE object = ? AND (marketo_id <> 0 OR marketo_guid <> '') AND external_key IN ("+in+")",
			append([]any{string(obj)}, args...)...)
		if err != nil {
			return nil, err
		}
		for _, d := range got {
			out[d.ExternalKey] = d
		}
	}
	return out, nil
}

// DeliveredByMarketoID implements store.UpstreamStore.
func (s *Store) DeliveredByMarketoID(ctx context.Context, obj store.UpstreamObject, ids []int64) ([]store.Delivered, error) {
	var out []store.Delivered
	for chunk := range slices.Chunk(ids, inChunk) {
		in, args := sqldb.In(chunk)
		got, err := s.scanDelivered(ctx, "SELECT "+deliveredColumns+" FROM upstream_ids WHERE object = ? AND marketo_id IN ("+in+")", append([]any{string(obj)}, args...)...)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// ListDelivered implements store.UpstreamStore.
func (s *Store) ListDelivered(ctx context.Context, obj store.UpstreamObject, after int64, limit int) ([]store.Delivered, error) {
	return s.scanDelivered(ctx, "SELECT "+deliveredColumns+" FROM upstream_ids WHERE object = ? AND marketo_id > ? ORDER BY marketo_id LIMIT ?", string(obj), after, limit)
}

// Referenced implements store.UpstreamStore.
func (s *Store) Referenced(ctx context.Context, refs []store.UpstreamRef) (map[store.UpstreamRef]bool, error) {
	by := map[store.UpstreamObject][]string{}
	for _, r := range refs {
		by[r.Object] = append(by[r.Object], r.Key)
	}
	out := map[store.UpstreamRef]bool{}
	for obj, keys := range by {
		for chunk := range slices.Chunk(keys, inChunk) {
			in, args := sqldb.In(chunk)
			rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT DISTINCT parent_key FROM upstream_refs WHERE parent_object = ? AND parent_key IN ("+in+")"),
				append([]any{string(obj)}, args...)...)
			if err != nil {
				return nil, fmt.Errorf("reading which parents are referenced: %w", err)
			}
			for rows.Next() {
				var k string
				if err := rows.Scan(&k); err != nil {
					rows.Close()
					return nil, fmt.Errorf("reading which parents are referenced: %w", err)
				}
				out[store.UpstreamRef{Object: obj, Key: k}] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("reading which parents are referenced: %w", err)
			}
		}
	}
	return out, nil
}

// CountUpstream implements store.UpstreamStore.
func (s *Store) CountUpstream(ctx context.Context, now time.Time) ([]store.UpstreamQueue, error) {
	at := map[store.UpstreamObject]*store.UpstreamQueue{}
	out := make([]store.UpstreamQueue, len(store.UpstreamObjects))
	for i, o := range store.UpstreamObjects {
		out[i].Object = o
		at[o] = &out[i]
	}
	n := micros(now)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT object, COUNT(*), "+
		"SUM(CASE WHEN claimed_until >= ? THEN 1 ELSE 0 END), SUM(CASE WHEN claimed_until < ? AND wait_reason <> '' THEN 1 ELSE 0 END), MIN(enqueued_at) "+
		"FROM upstream_outbox GROUP BY object"), n, n)
	if err != nil {
		return nil, fmt.Errorf("counting the outbox: %w", err)
	}
	for rows.Next() {
		var obj string
		var all, flying, waiting, oldest int64
		if err := rows.Scan(&obj, &all, &flying, &waiting, &oldest); err != nil {
			rows.Close()
			return nil, fmt.Errorf("counting the outbox: %w", err)
		}
		if q := at[store.UpstreamObject(obj)]; q != nil {
			q.Pending, q.InFlight, q.Waiting, q.OldestWaiting = all-flying-waiting, flying, waiting, fromMicros(oldest)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting the outbox: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, "SELECT object, SUM(CASE WHEN status = 'skipped' THEN 1 ELSE 0 END), "+
		"SUM(CASE WHEN marketo_id <> 0 OR marketo_guid <> '' THEN 1 ELSE 0 END) FROM upstream_ids GROUP BY object")
	if err != nil {
		return nil, fmt.Errorf("counting the delivered records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var obj string
		var skipped, held int64
		if err := rows.Scan(&obj, &skipped, &held); err != nil {
			return nil, fmt.Errorf("counting the delivered records: %w", err)
		}
		if q := at[store.UpstreamObject(obj)]; q != nil {
			q.Skipped, q.Delivered = skipped, held
		}
	}
	return out, rows.Err()
}
