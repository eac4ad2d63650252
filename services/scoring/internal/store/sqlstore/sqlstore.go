// Package sqlstore is the scoring store on SQLite or PostgreSQL: one implementation, with the
// SQL both engines share and per-engine migrations.
//
// Ordering of the change feed and the activity log: on SQLite one write transaction runs at a
// time, so sequence numbers are handed out in commit order. On PostgreSQL an identity column
// alone would not be (a transaction can take seq 11, another 12 and commit first, and a
// reader that saw 12 would skip 11), so every writing transaction first takes one
// transaction-scoped advisory lock and holds it until it commits: the database then has one
// scoring writer at a time, as SQLite does, and a reader that has seen entry N will see every
// entry below N that ever commits. Batches are of at most 300 records, so the serialisation
// costs little; it also makes each batch's read-modify-write of lead values race-free.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

//go:embed migrations
var migrations embed.FS

// serviceName names the SQLite file and the PostgreSQL schema.
const serviceName = "scoring"

// writeLock is the PostgreSQL advisory lock key every writing transaction holds.
const writeLock = 0x6d7369_73636f72 // "msi" "scor"

// leadColumns lists what every lead read selects, in scan order (see scanLead).
const leadColumns = "lead_id, external_person_id, person_key, owner_id, owner_key, scored, score, urgency_key, stars, flames, priority, moment_id, moment_type, moment_time, moment_desc, moment_source, updated_at, reported_urgency"

// leadInsert are the columns of a lead upsert, in argument order (see leadArgs).
var leadInsert = []string{"lead_id", "external_person_id", "person_key", "owner_id", "owner_key", "scored", "score", "urgency_key", "stars", "flames", "priority", "moment_id", "moment_type", "moment_time", "moment_desc", "moment_source", "updated_at", "reported_urgency"}

// Options are the model settings the store applies.
type Options struct {
	// Params are the urgency decay settings.
	Params model.Params
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store implements store.Store over database/sql.
type Store struct {
	db     *sqldb.DB
	params model.Params
	now    func() time.Time
	log    *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Open opens and migrates the scoring database that cfg names. When the urgency half-life
// differs from the one the stored urgency keys were computed with, it re-derives every
// lead's urgency key from the recorded score changes (the boundaries' fingerprint changes
// too, so the scheduler recomputes them at once).
func Open(ctx context.Context, cfg config.Store, opts Options, log *slog.Logger) (*Store, error) {
	if opts.Params.HalfLife <= 0 {
		return nil, fmt.Errorf("%w: the urgency half-life must be positive", store.ErrInvalid)
	}
	db, err := sqldb.OpenEmbedded(ctx, serviceName, cfg, migrations, log)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, params: opts.Params, now: opts.Now, log: log}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.checkHalfLife(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Secret returns the named persisted key (see sqldb.DB.Secret).
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	return s.db.Secret(ctx, name)
}

// Close implements store.Store.
func (s *Store) Close() error { return s.db.Close() }

// write runs fn in a write transaction holding the scoring write lock, with the time read
// once the lock is held (so that recorded times follow commit order on one clock).
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx, now time.Time) error) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if s.db.Dialect == sqldb.Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(writeLock)); err != nil {
				return fmt.Errorf("taking the scoring write lock: %w", err)
			}
		}
		return fn(tx, s.clock())
	})
}

func (s *Store) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// lead is one stored lead row.
type lead struct {
	link store.Link
	st   model.State
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func scanLead(rows *sql.Rows) (*lead, error) {
	var l lead
	var scored int
	var key, reported sql.NullFloat64
	var mt, up int64
	if err := rows.Scan(&l.link.LeadID, &l.link.PersonID, &l.link.PersonKey, &l.link.OwnerID, &l.link.OwnerKey,
		&scored, &l.st.Score, &key, &l.st.Stars, &l.st.Flames, &l.st.Priority,
		&l.st.Moment.ID, &l.st.Moment.Type, &mt, &l.st.Moment.Desc, &l.st.Moment.Source, &up, &reported); err != nil {
		return nil, err
	}
	l.st.ReportedUrgency, l.st.Reported = reported.Float64, reported.Valid
	l.st.Scored = scored == 1
	l.st.UrgencyKey, l.st.HasUrgency = key.Float64, key.Valid
	l.st.Moment.Time = fromMicros(mt)
	l.st.UpdatedAt = fromMicros(up)
	return &l, nil
}

func leadArgs(l *lead) []any {
	scored := 0
	if l.st.Scored {
		scored = 1
	}
	return []any{l.link.LeadID, l.link.PersonID, l.link.PersonKey, l.link.OwnerID, l.link.OwnerKey,
		scored, l.st.Score, urgencyArg(l.st), l.st.Stars, l.st.Flames, l.st.Priority,
		l.st.Moment.ID, l.st.Moment.Type, micros(l.st.Moment.Time), l.st.Moment.Desc, l.st.Moment.Source, micros(l.st.UpdatedAt), reportedArg(l.st)}
}

// reportedArg is the reported_urgency of st: NULL unless the values are Marketo's.
func reportedArg(st model.State) any {
	if !st.Reported {
		return nil
	}
	return st.ReportedUrgency
}

func urgencyArg(st model.State) any {
	if !st.HasUrgency {
		return nil
	}
	return st.UrgencyKey
}

// leads reads the leads matching col IN (vals).
func (s *Store) leads(ctx context.Context, q sqldb.Querier, col string, vals []any) ([]*lead, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, s.db.Rebind("SELECT "+leadColumns+" FROM leads WHERE "+col+" IN ("+sqldb.Placeholders(len(vals))+")"), vals...)
	if err != nil {
		return nil, fmt.Errorf("reading leads: %w", err)
	}
	defer rows.Close()
	var out []*lead
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return nil, fmt.Errorf("reading leads: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading leads: %w", err)
	}
	return out, nil
}

// insight returns l's values with urgency evaluated at at.
func (s *Store) insight(l *lead, at time.Time) store.Insight {
	return store.Insight{
		LeadID: l.link.LeadID, PersonID: l.link.PersonID, Score: l.st.Score,
		Urgency: s.params.Shown(l.st, at),
		Stars:   l.st.Stars, Flames: l.st.Flames, Priority: l.st.Priority,
		Moment: l.st.Moment, UpdatedAt: l.st.UpdatedAt,
	}
}

// upsertLeads writes the leads' full rows (they exist: the write lock is held).
func (s *Store) upsertLeads(ctx context.Context, tx *sql.Tx, ls []*lead) error {
	if len(ls) == 0 {
		return nil
	}
	args := make([]any, 0, len(ls)*len(leadInsert))
	for _, l := range ls {
		args = append(args, leadArgs(l)...)
	}
	q := sqldb.InsertRows("leads", leadInsert, len(ls)) + " ON CONFLICT (lead_id) DO UPDATE SET " +
		"scored = excluded.scored, score = excluded.score, urgency_key = excluded.urgency_key, stars = excluded.stars, " +
		"flames = excluded.flames, priority = excluded.priority, moment_id = excluded.moment_id, moment_type = excluded.moment_type, " +
		"moment_time = excluded.moment_time, moment_desc = excluded.moment_desc, moment_source = excluded.moment_source, updated_at = excluded.updated_at, " +
		"reported_urgency = excluded.reported_urgency"
	if _, err := tx.ExecContext(ctx, s.db.Rebind(q), args...); err != nil {
		return fmt.Errorf("updating leads: %w", err)
	}
	return nil
}

// changeColumns are the columns of a feed entry, in argument and scan order.
var changeColumns = []string{"lead_id", "external_person_id", "fields", "score", "urgency_key", "stars", "flames", "priority", "moment_type", "moment_time", "moment_desc", "moment_source", "change_time", "reported_urgency"}

// appendChanges appends one feed entry per lead, in order.
func (s *Store) appendChanges(ctx context.Context, tx *sql.Tx, ls []*lead, fields []model.Field, now time.Time) error {
	if len(ls) == 0 {
		return nil
	}
	args := make([]any, 0, len(ls)*len(changeColumns))
	for i, l := range ls {
		args = append(args, l.link.LeadID, l.link.PersonID, int(fields[i]), l.st.Score, urgencyArg(l.st), l.st.Stars, l.st.Flames, l.st.Priority,
			l.st.Moment.Type, micros(l.st.Moment.Time), l.st.Moment.Desc, l.st.Moment.Source, micros(now), reportedArg(l.st))
	}
	if _, err := tx.ExecContext(ctx, s.db.Rebind(sqldb.InsertRows("changes", changeColumns, len(ls))), args...); err != nil {
		return fmt.Errorf("appending to the change feed: %w", err)
	}
	return nil
}
