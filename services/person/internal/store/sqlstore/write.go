package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/person/internal/store"
)

// writeAttempts is how often Write runs a batch whose insert lost a race for an external
// person key (possible only between writers that bypass the PostgreSQL key locks).
const writeAttempts = 3

// match is an existing lead as the lookups of a batch see it.
type match struct {
	id        int32
	emailKey  string
	personKey string
	custom    string // the custom_fields JSON; "" when the batch sets no custom field
}

// lookups holds the existing leads a batch touches, by each key kind.
type lookups struct {
	byEmail  map[string][]match // ordered by id
	byPerson map[string]match
	byID     map[int32]match
}

// Write implements store.Store.
func (s *Store) Write(ctx context.Context, lookup store.Lookup, writes []store.Write) ([]store.WriteResult, error) {
	if err := validate(lookup, writes); err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		results, err := s.write(ctx, lookup, writes)
		if err == nil || attempt == writeAttempts || !sqldb.IsUniqueViolation(err) {
			return results, err
		}
	}
}

// validate enforces the contract of store.Store.Write before anything is read.
func validate(lookup store.Lookup, writes []store.Write) error {
	if len(writes) > store.MaxBatch {
		return fmt.Errorf("%w: %d writes, at most %d", store.ErrInvalid, len(writes), store.MaxBatch)
	}
	if lookup < store.LookupEmail || lookup > store.LookupID {
		return fmt.Errorf("%w: lookup %d", store.ErrInvalid, lookup)
	}
	keys := make(map[string]bool, len(writes))
	claimed := make(map[string]bool, len(writes))
	for i, w := range writes {
		if !w.CreateDuplicate && (w.Mode < records.CreateOnly || w.Mode > records.CreateOrUpdate) {
			return fmt.Errorf("%w: write %d has mode %d", store.ErrInvalid, i, w.Mode)
		}
		for f := range w.Fields {
			if !slices.Contains(store.Fields, f) {
				return fmt.Errorf("%w: unknown field %q", store.ErrInvalid, f)
			}
		}
		if len(w.Custom) > 0 {
			if _, err := json.Marshal(w.Custom); err != nil {
				return fmt.Errorf("%w: write %d has custom fields that are not JSON: %v", store.ErrInvalid, i, err)
			}
		}
		key := lookupKey(lookup, w)
		if key == "" {
			return fmt.Errorf("%w: write %d has no lookup key", store.ErrInvalid, i)
		}
		if lookup == store.LookupID && (w.Mode != records.UpdateOnly || w.CreateDuplicate) {
			return fmt.Errorf("%w: write %d is looked up by id but does not update only", store.ErrInvalid, i)
		}
		if !w.CreateDuplicate {
			if keys[key] {
				return fmt.Errorf("%w: write %d repeats lookup key %q", store.ErrInvalid, i, key)
			}
			keys[key] = true
		}
		if k := claimKey(w); k != "" {
			if claimed[k] {
				return fmt.Errorf("%w: write %d repeats external person id %q", store.ErrInvalid, i, k)
			}
			claimed[k] = true
		}
	}
	return nil
}

// lookupKey is the key w is matched on: a case-folded email, an external person key, or
// "#id"; "" when w lacks it.
func lookupKey(lookup store.Lookup, w store.Write) string {
	switch lookup {
	case store.LookupEmail:
		return extid.Fold(w.Fields[store.FieldEmail])
	case store.LookupExternalPersonID:
		return claimKey(w)
	case store.LookupID:
		if w.ID > 0 {
			return "#" + strconv.Itoa(int(w.ID))
		}
	}
	return ""
}

// claimKey is the external person key w gives its lead, or "".
func claimKey(w store.Write) string {
	if w.ExternalPersonID == nil {
		return ""
	}
	return w.ExternalPersonID.Key
}

func (s *Store) write(ctx context.Context, lookup store.Lookup, writes []store.Write) ([]store.WriteResult, error) {
	results := make([]store.WriteResult, len(writes))
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if s.DB.Dialect == sqldb.Postgres {
			if err := s.lockKeys(ctx, tx, lookup, writes); err != nil {
				return err
			}
		}
		found, err := s.existing(ctx, tx, lookup, writes)
		if err != nil {
			return err
		}
		var inserts []int
		var updates []int
		targets := make(map[int]match)
		for i, w := range writes {
			var target *match
			var outcome records.Outcome
			if w.CreateDuplicate {
				outcome = records.Created
			} else {
				switch lookup {
				case store.LookupEmail:
					ms := found.byEmail[lookupKey(lookup, w)]
					if len(ms) > 1 {
						if w.Mode == records.CreateOnly {
							results[i] = store.WriteResult{Outcome: records.AlreadyExists, ID: ms[0].id}
						} else {
							results[i] = store.WriteResult{Skip: store.SkipAmbiguous, Matches: len(ms)}
						}
						continue
					}
					if len(ms) == 1 {
						target = &ms[0]
					}
				case store.LookupExternalPersonID:
					if m, ok := found.byPerson[claimKey(w)]; ok {
						target = &m
					}
				case store.LookupID:
					if m, ok := found.byID[w.ID]; ok {
						target = &m
					}
				}
				outcome = records.Decide(w.Mode, target != nil)
			}
			var id int32
			if target != nil {
				id = target.id
			}
			if outcome == records.Created || outcome == records.Updated {
				if h, ok := found.byPerson[claimKey(w)]; ok && h.id != id {
					results[i] = store.WriteResult{Outcome: outcome, Skip: store.SkipExternalPersonIDTaken, ID: id, HolderID: h.id}
					continue
				}
			}
			if outcome == records.NotFound {
				id = 0
			}
			results[i] = store.WriteResult{Outcome: outcome, ID: id}
			switch outcome {
			case records.Created:
				inserts = append(inserts, i)
			case records.Updated:
				updates = append(updates, i)
				targets[i] = *target
			}
		}
		now := time.Now().UTC().UnixMicro()
		if err := s.insert(ctx, tx, writes, inserts, results, now); err != nil {
			return err
		}
		return s.update(ctx, tx, lookup, writes, updates, targets, now)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// lockKeys takes a transaction-scoped PostgreSQL advisory lock on every key the batch looks
// up or claims, in one statement and in a fixed order, so that concurrent writers (other
// replicas too) of one key run one after the other, as SQLite's single writer does. Without
// it two writers could each miss an email and create two leads.
func (s *Store) lockKeys(ctx context.Context, tx *sql.Tx, lookup store.Lookup, writes []store.Write) error {
	keys := make([]string, 0, 2*len(writes))
	for _, w := range writes {
		if !w.CreateDuplicate {
			keys = append(keys, strconv.Itoa(int(lookup))+":"+lookupKey(lookup, w))
		}
		if k := claimKey(w); k != "" {
			keys = append(keys, "p:"+k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	const q = "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended('msisync.person.lead:' || k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS s"
	if _, err := tx.ExecContext(ctx, q, keys); err != nil {
		return fmt.Errorf("locking lead keys: %w", err)
	}
	return nil
}

// existing reads the leads the batch touches with one SELECT per key kind: the emails and
// ids it looks up, and the external person keys it looks up or claims.
func (s *Store) existing(ctx context.Context, tx *sql.Tx, lookup store.Lookup, writes []store.Write) (lookups, error) {
	found := lookups{byEmail: map[string][]match{}, byPerson: map[string]match{}, byID: map[int32]match{}}
	custom := "''"
	var emails, persons []string
	var ids []int32
	for _, w := range writes {
		if len(w.Custom) > 0 {
			custom = "custom_fields"
		}
		if k := claimKey(w); k != "" {
			persons = append(persons, k)
		}
		if w.CreateDuplicate {
			continue
		}
		switch lookup {
		case store.LookupEmail:
			emails = append(emails, lookupKey(lookup, w))
		case store.LookupID:
			ids = append(ids, w.ID)
		}
	}
	read := func(cond string, args []any, add func(match)) error {
		rows, err := tx.QueryContext(ctx, s.DB.Rebind("SELECT id, email_key, external_person_key, "+custom+" FROM leads WHERE "+cond), args...)
		if err != nil {
			return fmt.Errorf("finding existing leads: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var m match
			if err := rows.Scan(&m.id, &m.emailKey, &m.personKey, &m.custom); err != nil {
				return fmt.Errorf("finding existing leads: %w", err)
			}
			add(m)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("finding existing leads: %w", err)
		}
		return nil
	}
	if len(emails) > 0 {
		in, args := sqldb.In(emails)
		if err := read("email_key IN ("+in+") ORDER BY id", args, func(m match) { found.byEmail[m.emailKey] = append(found.byEmail[m.emailKey], m) }); err != nil {
			return found, err
		}
	}
	if len(persons) > 0 {
		in, args := sqldb.In(persons)
		if err := read(personKeyIn+"("+in+")", args, func(m match) { found.byPerson[m.personKey] = m }); err != nil {
			return found, err
		}
	}
	if len(ids) > 0 {
		in, args := sqldb.In(ids)
		if err := read("id IN ("+in+")", args, func(m match) { found.byID[m.id] = m }); err != nil {
			return found, err
		}
	}
	return found, nil
}

// insert creates the leads at the given indexes with one multi-row statement and fills
// their results. Both engines assign ids in VALUES order within one statement, so the
// returned ids, sorted, belong to the rows in order.
func (s *Store) insert(ctx context.Context, tx *sql.Tx, writes []store.Write, idx []int, results []store.WriteResult, now int64) error {
	if len(idx) == 0 {
		return nil
	}
	args := make([]any, 0, len(idx)*len(insertColumns))
	for _, i := range idx {
		w := writes[i]
		custom, err := mergeCustom("", w.Custom)
		if err != nil {
			return err
		}
		email := w.Fields[store.FieldEmail]
		person, company, owner := idOrZero(w.ExternalPersonID), idOrZero(w.ExternalCompanyID), idOrZero(w.ExternalSalesPersonID)
		args = append(args, email, extid.Fold(email), person.Canonical, person.Key, company.Canonical, company.Key, owner.Canonical, owner.Key)
		for _, f := range otherText {
			args = append(args, w.Fields[f])
		}
		args = append(args, deref(w.AnnualRevenue), deref(w.NumberOfEmployees), deref(w.Unsubscribed), deref(w.DoNotCall), custom, now, now)
	}
	rows, err := tx.QueryContext(ctx, s.DB.Rebind(sqldb.InsertRows("leads", insertColumns, len(idx))+" RETURNING id"), args...)
	if err != nil {
		return fmt.Errorf("creating leads: %w", err)
	}
	defer rows.Close()
	ids := make([]int32, 0, len(idx))
	for rows.Next() {
		var id int32
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("creating leads: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("creating leads: %w", err)
	}
	if len(ids) != len(idx) {
		return fmt.Errorf("creating leads: %d rows inserted for %d leads", len(ids), len(idx))
	}
	slices.Sort(ids)
	for n, i := range idx {
		results[i].ID = ids[n]
	}
	return nil
}

// update changes the existing leads at the given indexes, one UPDATE each, preparing each
// distinct statement once per batch.
func (s *Store) update(ctx context.Context, tx *sql.Tx, lookup store.Lookup, writes []store.Write, idx []int, targets map[int]match, now int64) error {
	stmts := map[string]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	for _, i := range idx {
		w, target := writes[i], targets[i]
		cols := make([]string, 0, 40)
		args := make([]any, 0, 41)
		set := func(col string, v any) {
			cols = append(cols, col)
			args = append(args, v)
		}
		for _, f := range store.Fields {
			v, ok := w.Fields[f]
			if !ok {
				continue
			}
			set(string(f), v)
			if f == store.FieldEmail {
				set("email_key", extid.Fold(v))
			}
		}
		// The key a lead was found by keeps the form it was first sent in.
		if p := w.ExternalPersonID; p != nil && lookup != store.LookupExternalPersonID && p.Key != target.personKey {
			set("external_person_id", p.Canonical)
			set("external_person_key", p.Key)
		}
		if c := w.ExternalCompanyID; c != nil {
			set("external_company_id", c.Canonical)
			set("external_company_key", c.Key)
		}
		if o := w.ExternalSalesPersonID; o != nil {
			set("external_sales_person_id", o.Canonical)
			set("external_sales_person_key", o.Key)
		}
		if w.AnnualRevenue != nil {
			set("annual_revenue", *w.AnnualRevenue)
		}
		if w.NumberOfEmployees != nil {
			set("number_of_employees", *w.NumberOfEmployees)
		}
		if w.Unsubscribed != nil {
			set("unsubscribed", *w.Unsubscribed)
		}
		if w.DoNotCall != nil {
			set("do_not_call", *w.DoNotCall)
		}
		if len(w.Custom) > 0 {
			custom, err := mergeCustom(target.custom, w.Custom)
			if err != nil {
				return err
			}
			set("custom_fields", custom)
		}
		set("updated_at", now)
		args = append(args, target.id)
		q := "UPDATE leads SET " + sqldb.SetList(cols) + " WHERE id = ?"
		st, ok := stmts[q]
		if !ok {
			var err error
			if st, err = tx.PrepareContext(ctx, s.DB.Rebind(q)); err != nil {
				return fmt.Errorf("updating leads: %w", err)
			}
			stmts[q] = st
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("updating lead %d: %w", target.id, err)
		}
	}
	return nil
}

// mergeCustom returns the custom_fields JSON of current (a JSON object, or "" for none)
// with changes applied: a nil value removes the name, any other sets it.
func mergeCustom(current string, changes map[string]any) (string, error) {
	merged := map[string]any{}
	if current != "" {
		if err := json.Unmarshal([]byte(current), &merged); err != nil {
			return "", fmt.Errorf("reading stored custom fields: %w", err)
		}
	}
	for name, v := range changes {
		if v == nil {
			delete(merged, name)
		} else {
			merged[name] = v
		}
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return "", fmt.Errorf("encoding custom fields: %w", err)
	}
	return string(b), nil
}

func idOrZero(id *extid.ID) extid.ID {
	if id == nil {
		return extid.ID{}
	}
	return *id
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}
