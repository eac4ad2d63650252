package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// boundaries reads the boundaries in force, or those of an empty population in mode.
func (s *Store) boundaries(ctx context.Context, q sqldb.Querier, mode model.Mode) (model.Boundaries, error) {
	var b model.Boundaries
	var m, n int
	var computed int64
	var th [6]sql.NullFloat64
	err := q.QueryRowContext(ctx, "SELECT mode, fingerprint, score1, score2, score3, urgency1, urgency2, urgency3, scored_leads, computed_at FROM tiers WHERE id = 1").
		Scan(&m, &b.Fingerprint, &th[0], &th[1], &th[2], &th[3], &th[4], &th[5], &n, &computed)
	if errors.Is(err, sql.ErrNoRows) {
		return model.Empty(mode), nil
	}
	if err != nil {
		return b, fmt.Errorf("reading tier boundaries: %w", err)
	}
	b.Mode, b.ScoredLeads, b.ComputedAt = model.Mode(m), n, fromMicros(computed)
	for i := range 3 {
		b.Score[i], b.UrgencyKey[i] = model.None, model.None
		if th[i].Valid {
			b.Score[i] = th[i].Float64
		}
		if th[3+i].Valid {
			b.UrgencyKey[i] = th[3+i].Float64
		}
	}
	return b, nil
}

// Boundaries implements store.Store.
func (s *Store) Boundaries(ctx context.Context, mode model.Mode) (model.Boundaries, error) {
	return s.boundaries(ctx, s.db, mode)
}

func threshold(v float64) any {
	if math.IsInf(v, 1) {
		return nil
	}
	return v
}

// literal renders a threshold as an SQL double (NULL: unreachable, since x >= NULL is never
// true). strconv's shortest form round-trips, so SQL compares with the very same double.
func literal(v float64) string {
	if math.IsInf(v, 1) {
		return "CAST(NULL AS DOUBLE PRECISION)"
	}
	return "CAST(" + strconv.FormatFloat(v, 'g', -1, 64) + " AS DOUBLE PRECISION)"
}

// tierExprs returns SQL expressions of a leads row's stars and flames under b, the same
// rules as model.Boundaries.Stars and Flames.
func tierExprs(b model.Boundaries) (stars, flames string) {
	var sb, fb strings.Builder
	sb.WriteString("(CASE WHEN score < 1 THEN 0")
	fb.WriteString("(CASE WHEN urgency_key IS NULL THEN 0")
	for i := 2; i >= 0; i-- {
		fmt.Fprintf(&sb, " WHEN score >= %s THEN %d", literal(b.Score[i]), i+1)
		fmt.Fprintf(&fb, " WHEN urgency_key >= %s THEN %d", literal(b.UrgencyKey[i]), i+1)
	}
	sb.WriteString(" ELSE 0 END)")
	fb.WriteString(" ELSE 0 END)")
	return sb.String(), fb.String()
}

// priorityExpr is model.Priority in SQL.
func priorityExpr(stars, flames string) string {
	return "(25 * " + flames + " + 8 * " + stars + " + CASE WHEN " + flames + " + " + stars + " > 0 THEN 1 ELSE 0 END)"
}

// RecomputeTiers implements store.Store.
func (s *Store) RecomputeTiers(ctx context.Context, tiers model.Tiers, dueBefore time.Time) (store.Recompute, error) {
	if err := tiers.Validate(); err != nil {
		return store.Recompute{}, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	var out store.Recompute
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		fp := tiers.Fingerprint(s.params)
		cur, err := s.boundaries(ctx, tx, tiers.Mode)
		if err != nil {
			return err
		}
		if !dueBefore.IsZero() && cur.Fingerprint == fp && !cur.ComputedAt.Before(dueBefore) {
			out = store.Recompute{Boundaries: cur, Skipped: true}
			return nil
		}
		b := tiers.Static(s.params, now)
		if tiers.Mode != model.Static {
			if b, err = s.percentile(ctx, tx, tiers, now); err != nil {
				return err
			}
		}
		b.Fingerprint = fp
		n, err := s.rederive(ctx, tx, cur, b, now)
		if err != nil {
			return err
		}
		if err := s.saveBoundaries(ctx, tx, b); err != nil {
			return err
		}
		out = store.Recompute{Boundaries: b, Changed: n}
		return nil
	})
	return out, err
}

// rederive re-derives the stars, flames and priority of every lead whose values differ under
// the new boundaries b, appending a feed entry for each, and returns how many changed.
//
// Every lead's values are consistent with the boundaries in force (cur): each write derives
// them with cur under the write lock that this recomputation holds too. So when cur was
// computed with the same configuration, the only leads whose tier can change are those whose
// score (or urgency key) lies between an old and a new threshold: index range scans find
// them, and a nightly recomputation touches a few rows instead of scanning every lead. After
// a configuration change (or the first computation) every scored lead is examined.
func (s *Store) rederive(ctx context.Context, tx *sql.Tx, cur, b model.Boundaries, now time.Time) (int, error) {
	scope := "scored = 1"
	if cur.Fingerprint == b.Fingerprint {
		var ranges []string
		for i := range 3 {
			ranges = appendRange(ranges, "scored = 1", "score", cur.Score[i], b.Score[i])
			ranges = appendRange(ranges, "urgency_key IS NOT NULL", "urgency_key", cur.UrgencyKey[i], b.UrgencyKey[i])
		}
		if len(ranges) == 0 {
			return 0, nil
		}
		scope += " AND lead_id IN (" + strings.Join(ranges, " UNION ") + ")"
	}
	if s.db.Dialect == sqldb.SQLite {
		// A bulk re-derivation rewrites rows all over the table and the Best Bets index: give
		// this connection a larger page cache while it does, then the default back.
		if _, err := tx.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
			return 0, fmt.Errorf("sizing the page cache: %w", err)
		}
		defer tx.ExecContext(ctx, "PRAGMA cache_size = -2000") //nolint:errcheck // best effort
	}
	stars, flames := tierExprs(b)
	feed := "INSERT INTO changes (" + strings.Join(changeColumns, ", ") + ") " +
		"SELECT lead_id, external_person_id, " +
		"(CASE WHEN ns <> stars THEN 4 ELSE 0 END) + (CASE WHEN nf <> flames THEN 8 ELSE 0 END) + 16, " +
		"score, urgency_key, ns, nf, " + priorityExpr("ns", "nf") + ", moment_type, moment_time, moment_desc, moment_source, ?, reported_urgency " +
		"FROM (SELECT lead_id, external_person_id, score, urgency_key, stars, flames, moment_type, moment_time, moment_desc, moment_source, reported_urgency, " +
		stars + " AS ns, " + flames + " AS nf FROM leads WHERE " + scope + ") AS x " +
		"WHERE ns <> stars OR nf <> flames ORDER BY lead_id"
	if _, err := tx.ExecContext(ctx, s.db.Rebind(feed), micros(now)); err != nil {
		return 0, fmt.Errorf("appending recomputed tiers to the change feed: %w", err)
	}
	update := "UPDATE leads SET stars = " + stars + ", flames = " + flames + ", priority = " + priorityExpr(stars, flames) +
		", updated_at = ? WHERE " + scope + " AND (" + stars + " <> stars OR " + flames + " <> flames)"
	res, err := tx.ExecContext(ctx, s.db.Rebind(update), micros(now))
	if err != nil {
		return 0, fmt.Errorf("re-deriving stars and flames: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// appendRange adds the query of the leads whose col lies between thresholds a and b (the
// values that reach one of them and not the other); nothing when they are equal.
func appendRange(ranges []string, where, col string, a, b float64) []string {
	if a == b {
		return ranges
	}
	lo, hi := min(a, b), max(a, b)
	q := "SELECT lead_id FROM leads WHERE " + where + " AND " + col + " >= " + literal(lo)
	if !math.IsInf(hi, 1) {
		q += " AND " + col + " < " + literal(hi)
	}
	return append(ranges, q)
}

// percentile computes percentile boundaries with one count and one indexed, offset read per
// threshold: the same ranks model.Tiers.FromPopulation picks from a sorted population.
func (s *Store) percentile(ctx context.Context, tx *sql.Tx, tiers model.Tiers, now time.Time) (model.Boundaries, error) {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM leads WHERE scored = 1").Scan(&n); err != nil {
		return model.Boundaries{}, fmt.Errorf("counting scored leads: %w", err)
	}
	b := model.Empty(model.Percentile)
	b.ScoredLeads, b.ComputedAt = n, now
	if n == 0 {
		return b, nil
	}
	for i, k := range tiers.Ranks(n) {
		if err := tx.QueryRowContext(ctx, s.db.Rebind("SELECT score FROM leads WHERE scored = 1 ORDER BY score DESC LIMIT 1 OFFSET ?"), k-1).Scan(&b.Score[i]); err != nil {
			return b, fmt.Errorf("reading the score at rank %d: %w", k, err)
		}
		err := tx.QueryRowContext(ctx, s.db.Rebind("SELECT urgency_key FROM leads WHERE urgency_key IS NOT NULL ORDER BY urgency_key DESC LIMIT 1 OFFSET ?"), k-1).Scan(&b.UrgencyKey[i])
		switch {
		case errors.Is(err, sql.ErrNoRows):
			b.UrgencyKey[i] = model.AnyUrgency
		case err != nil:
			return b, fmt.Errorf("reading the urgency at rank %d: %w", k, err)
		}
	}
	return b, nil
}

func (s *Store) saveBoundaries(ctx context.Context, tx *sql.Tx, b model.Boundaries) error {
	q := "INSERT INTO tiers (id, mode, fingerprint, score1, score2, score3, urgency1, urgency2, urgency3, scored_leads, computed_at) " +
		"VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET mode = excluded.mode, fingerprint = excluded.fingerprint, " +
		"score1 = excluded.score1, score2 = excluded.score2, score3 = excluded.score3, urgency1 = excluded.urgency1, " +
		"urgency2 = excluded.urgency2, urgency3 = excluded.urgency3, scored_leads = excluded.scored_leads, computed_at = excluded.computed_at"
	if _, err := tx.ExecContext(ctx, s.db.Rebind(q), int(b.Mode), b.Fingerprint,
		threshold(b.Score[0]), threshold(b.Score[1]), threshold(b.Score[2]),
		threshold(b.UrgencyKey[0]), threshold(b.UrgencyKey[1]), threshold(b.UrgencyKey[2]),
		b.ScoredLeads, micros(b.ComputedAt)); err != nil {
		return fmt.Errorf("storing tier boundaries: %w", err)
	}
	return nil
}

// checkHalfLife re-derives every urgency key from the recorded score changes when the
// configured half-life is not the one the keys were computed with.
func (s *Store) checkHalfLife(ctx context.Context) error {
	want := s.params.HalfLife.String()
	return s.write(ctx, func(tx *sql.Tx, _ time.Time) error {
		var have string
		err := tx.QueryRowContext(ctx, "SELECT value FROM settings WHERE name = 'urgency_half_life'").Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading settings: %w", err)
		}
		if have == want {
			return nil
		}
		if have != "" {
			if err := s.rederiveUrgency(ctx, tx); err != nil {
				return err
			}
			if s.log != nil {
				s.log.InfoContext(ctx, "urgency half-life changed: urgency re-derived from the score changes", "from", have, "to", want)
			}
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind("INSERT INTO settings (name, value) VALUES ('urgency_half_life', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value"), want); err != nil {
			return fmt.Errorf("storing settings: %w", err)
		}
		return nil
	})
}

func (s *Store) rederiveUrgency(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT lead_id, change_value, event_time, recorded_at FROM activities WHERE kind = 1 AND change_value > 0 ORDER BY id")
	if err != nil {
		return fmt.Errorf("reading score changes: %w", err)
	}
	keys := map[int32]float64{}
	for rows.Next() {
		var id, delta int32
		var at, rec int64
		if err := rows.Scan(&id, &delta, &at, &rec); err != nil {
			rows.Close()
			return fmt.Errorf("reading score changes: %w", err)
		}
		k, has := keys[id]
		keys[id] = s.params.AddKey(k, has, float64(delta), fromMicros(at), fromMicros(rec))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading score changes: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE leads SET urgency_key = NULL WHERE urgency_key IS NOT NULL"); err != nil {
		return fmt.Errorf("re-deriving urgency: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, s.db.Rebind("UPDATE leads SET urgency_key = ? WHERE lead_id = ?"))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for id, k := range keys {
		if _, err := stmt.ExecContext(ctx, k, id); err != nil {
			return fmt.Errorf("re-deriving urgency: %w", err)
		}
	}
	return nil
}
