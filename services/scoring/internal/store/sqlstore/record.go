package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// activityColumns are the columns of an activity insert, in argument order.
var activityColumns = []string{"lead_id", "kind", "recorded_at", "event_time", "change_value", "new_value", "old_value", "reason", "moment_type", "description", "source"}

// batch is the state of one recording transaction: the leads it touches, as they were and
// as they become, and the activities to insert.
type batch struct {
	s       *Store
	tx      *sql.Tx
	now     time.Time
	bounds  model.Boundaries
	byID    map[int32]*lead
	byKey   map[string][]*lead
	before  map[int32]model.State
	touched []*lead // in order of first appearance
	rows    [][]any // activity values, in input order of the recorded inputs
	rowIdx  []int   // input index of each row
}

// begin loads the boundaries and every lead the persons name, with one query per key kind.
func (s *Store) begin(ctx context.Context, tx *sql.Tx, now time.Time, persons []store.Person) (*batch, error) {
	b := &batch{s: s, tx: tx, now: now, byID: map[int32]*lead{}, byKey: map[string][]*lead{}, before: map[int32]model.State{}}
	var err error
	if b.bounds, err = s.boundaries(ctx, tx, model.Percentile); err != nil {
		return nil, err
	}
	var ids, keys []any
	for _, p := range persons {
		if p.LeadID != 0 {
			ids = append(ids, p.LeadID)
		} else if p.PersonKey != "" {
			keys = append(keys, p.PersonKey)
		}
	}
	byID, err := s.leads(ctx, tx, "lead_id", ids)
	if err != nil {
		return nil, err
	}
	byKey, err := s.leads(ctx, tx, "person_key", keys)
	if err != nil {
		return nil, err
	}
	for _, l := range append(byID, byKey...) {
		if _, ok := b.byID[l.link.LeadID]; !ok { // a row found both ways is kept once
			b.byID[l.link.LeadID] = l
			b.before[l.link.LeadID] = l.st
		}
	}
	for _, l := range byKey {
		b.byKey[l.link.PersonKey] = append(b.byKey[l.link.PersonKey], b.byID[l.link.LeadID])
	}
	return b, nil
}

// resolve finds the lead p names, or the outcome that skips it.
func (b *batch) resolve(p store.Person) (*lead, store.Outcome) {
	if p.LeadID != 0 {
		if l, ok := b.byID[p.LeadID]; ok {
			return l, store.Recorded
		}
		return nil, store.UnknownLead
	}
	switch ls := b.byKey[p.PersonKey]; len(ls) {
	case 0:
		return nil, store.UnknownLead
	case 1:
		return ls[0], store.Recorded
	}
	return nil, store.AmbiguousLead
}

func (b *batch) touch(l *lead) {
	if !slices.Contains(b.touched, l) {
		b.touched = append(b.touched, l)
	}
}

// finish inserts the activities, fills their ids into results, writes the changed leads and
// their feed entries, and returns the touched leads' insights.
func (b *batch) finish(ctx context.Context, results []store.Result, fixMoments func(ids []int32)) ([]store.Insight, error) {
	ids, err := b.insertActivities(ctx)
	if err != nil {
		return nil, err
	}
	for n, i := range b.rowIdx {
		results[i].ActivityID = ids[n]
	}
	if fixMoments != nil {
		fixMoments(ids)
	}
	var changed []*lead
	var rewrite []*lead
	var fields []model.Field
	for _, l := range b.touched {
		before := b.before[l.link.LeadID]
		f := model.Diff(before, l.st)
		if f != 0 {
			l.st.UpdatedAt = b.now
			changed = append(changed, l)
			fields = append(fields, f)
		}
		if f != 0 || before.Scored != l.st.Scored || before.Moment.ID != l.st.Moment.ID {
			rewrite = append(rewrite, l)
		}
	}
	if err := b.s.upsertLeads(ctx, b.tx, rewrite); err != nil {
		return nil, err
	}
	if err := b.s.appendChanges(ctx, b.tx, changed, fields, b.now); err != nil {
		return nil, err
	}
	out := make([]store.Insight, len(b.touched))
	for i, l := range b.touched {
		out[i] = b.s.insight(l, b.now)
	}
	return out, nil
}

// insertActivities inserts the batch's activities with one statement and returns their ids
// in row order. Ids are assigned in VALUES order and the write lock is held, so the
// returned ids sorted ascending are the rows' ids in order.
func (b *batch) insertActivities(ctx context.Context) ([]int32, error) {
	if len(b.rows) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(b.rows)*len(activityColumns))
	for _, r := range b.rows {
		args = append(args, r...)
	}
	rows, err := b.tx.QueryContext(ctx, b.s.db.Rebind(sqldb.InsertRows("activities", activityColumns, len(b.rows))+" RETURNING id"), args...)
	if err != nil {
		return nil, fmt.Errorf("recording activities: %w", err)
	}
	defer rows.Close()
	ids := make([]int32, 0, len(b.rows))
	for rows.Next() {
		var id int32
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("recording activities: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("recording activities: %w", err)
	}
	if len(ids) != len(b.rows) {
		return nil, fmt.Errorf("recording activities: %d ids for %d rows", len(ids), len(b.rows))
	}
	slices.Sort(ids)
	return ids, nil
}

func eventTime(t, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t.UTC().Truncate(time.Microsecond)
}

func checkBatch(n int) error {
	if n > store.MaxBatch {
		return fmt.Errorf("%w: %d records, at most %d", store.ErrInvalid, n, store.MaxBatch)
	}
	return nil
}

// RecordScoreChanges implements store.Store.
func (s *Store) RecordScoreChanges(ctx context.Context, changes []store.ScoreChange) ([]store.Result, []store.Insight, error) {
	if err := checkBatch(len(changes)); err != nil {
		return nil, nil, err
	}
	persons := make([]store.Person, len(changes))
	for i, c := range changes {
		persons[i] = c.Person
	}
	results := make([]store.Result, len(changes))
	var insights []store.Insight
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		b, err := s.begin(ctx, tx, now, persons)
		if err != nil {
			return err
		}
		for i, c := range changes {
			l, outcome := b.resolve(c.Person)
			results[i] = store.Result{Outcome: outcome}
			if l == nil {
				continue
			}
			at := eventTime(c.EventTime, now)
			delta, oldScore, newScore, err := s.params.ApplyScore(&l.st, c.Value, c.IsNew, at, now, b.bounds)
			if err != nil {
				results[i] = store.Result{Outcome: store.OutOfRange, LeadID: l.link.LeadID}
				continue
			}
			results[i].LeadID = l.link.LeadID
			b.touch(l)
			b.rows = append(b.rows, []any{l.link.LeadID, int32(store.KindScoreChange), micros(now), micros(at), delta, newScore, oldScore, c.Reason, 0, "", ""})
			b.rowIdx = append(b.rowIdx, i)
		}
		insights, err = b.finish(ctx, results, nil)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return results, insights, nil
}

// RecordMoments implements store.Store.
func (s *Store) RecordMoments(ctx context.Context, moments []store.Moment) ([]store.Result, []store.Insight, error) {
	if err := checkBatch(len(moments)); err != nil {
		return nil, nil, err
	}
	persons := make([]store.Person, len(moments))
	for i, m := range moments {
		if m.Type < 1 || m.Type > 3 {
			return nil, nil, fmt.Errorf("%w: moment %d has type %d", store.ErrInvalid, i, m.Type)
		}
		persons[i] = m.Person
	}
	results := make([]store.Result, len(moments))
	var insights []store.Insight
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		b, err := s.begin(ctx, tx, now, persons)
		if err != nil {
			return err
		}
		for i, m := range moments {
			l, outcome := b.resolve(m.Person)
			results[i] = store.Result{Outcome: outcome}
			if l == nil {
				continue
			}
			at := eventTime(m.EventTime, now)
			results[i].LeadID = l.link.LeadID
			// The activity id is known only after the insert: mark the moment with its row
			// number (negative) and swap in the id below.
			model.ApplyMoment(&l.st, model.Moment{ID: -int32(len(b.rows) + 1), Type: m.Type, Time: at, Desc: m.Description, Source: m.Source})
			b.touch(l)
			b.rows = append(b.rows, []any{l.link.LeadID, int32(store.KindMoment), micros(now), micros(at), 0, 0, 0, "", m.Type, m.Description, m.Source})
			b.rowIdx = append(b.rowIdx, i)
		}
		insights, err = b.finish(ctx, results, func(ids []int32) {
			for _, l := range b.touched {
				if l.st.Moment.ID < 0 {
					l.st.Moment.ID = ids[-l.st.Moment.ID-1]
				}
			}
		})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return results, insights, nil
}
