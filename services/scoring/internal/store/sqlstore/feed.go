package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// Changes implements store.Store.
func (s *Store) Changes(ctx context.Context, afterSeq int64, limit int) ([]store.Change, error) {
	if limit < 1 || limit > 1001 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, limit)
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT seq, "+strings.Join(changeColumns, ", ")+" FROM changes WHERE seq > ? ORDER BY seq LIMIT ?"), afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("reading the change feed: %w", err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var c store.Change
		var fields int
		var key, reported sql.NullFloat64
		var mt, ct int64
		in := &c.Insight
		if err := rows.Scan(&c.Seq, &in.LeadID, &in.PersonID, &fields, &in.Score, &key, &in.Stars, &in.Flames, &in.Priority,
			&in.Moment.Type, &mt, &in.Moment.Desc, &in.Moment.Source, &ct, &reported); err != nil {
			return nil, fmt.Errorf("reading the change feed: %w", err)
		}
		c.Fields = model.Field(fields)
		in.Moment.Time = fromMicros(mt)
		in.UpdatedAt = fromMicros(ct)
		in.Urgency = s.params.Shown(model.State{UrgencyKey: key.Float64, HasUrgency: key.Valid, Reported: reported.Valid, ReportedUrgency: reported.Float64}, in.UpdatedAt)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the change feed: %w", err)
	}
	return out, nil
}

// Activities implements store.Store.
func (s *Store) Activities(ctx context.Context, f store.ActivityFilter) ([]store.Activity, error) {
	if f.Limit < 1 || f.Limit > store.MaxBatch+1 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, f.Limit)
	}
	if len(f.Kinds) == 0 || len(f.LeadIDs) > 30 {
		return nil, fmt.Errorf("%w: %d kinds, %d leads", store.ErrInvalid, len(f.Kinds), len(f.LeadIDs))
	}
	since := micros(f.Since)
	after := int64(f.AfterID)
	if after == 0 {
		// Start at the first activity recorded at or after Since (index on recorded_at),
		// not at the beginning of the log.
		var first sql.NullInt64
		if err := s.db.QueryRowContext(ctx, s.db.Rebind("SELECT MIN(id) FROM activities WHERE recorded_at >= ?"), since).Scan(&first); err != nil {
			return nil, fmt.Errorf("reading activities: %w", err)
		}
		if !first.Valid {
			return nil, nil
		}
		after = first.Int64 - 1
	}
	kinds, kargs := sqldb.In(f.Kinds)
	q := "SELECT id, lead_id, kind, recorded_at, event_time, change_value, new_value, old_value, reason, moment_type, description, source " +
		"FROM activities WHERE id > ? AND recorded_at >= ? AND kind IN (" + kinds + ")"
	args := append([]any{after, since}, kargs...)
	if len(f.LeadIDs) > 0 {
		leads, largs := sqldb.In(f.LeadIDs)
		q += " AND lead_id IN (" + leads + ")"
		args = append(args, largs...)
	}
	q += " ORDER BY id LIMIT ?"
	args = append(args, f.Limit)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("reading activities: %w", err)
	}
	defer rows.Close()
	var out []store.Activity
	for rows.Next() {
		var a store.Activity
		var rec, at int64
		if err := rows.Scan(&a.ID, &a.LeadID, &a.Kind, &rec, &at, &a.Delta, &a.NewValue, &a.OldValue, &a.Reason, &a.MomentType, &a.Description, &a.Source); err != nil {
			return nil, fmt.Errorf("reading activities: %w", err)
		}
		a.RecordedAt, a.EventTime = fromMicros(rec), fromMicros(at)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading activities: %w", err)
	}
	return out, nil
}
