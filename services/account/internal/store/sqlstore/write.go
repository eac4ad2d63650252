package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/account/internal/store"
)

// insertColumns are the columns a create sets, in argument order.
var insertColumns = []string{
	"external_id", "external_key", "external_sales_person_id", "sales_person_key", "company", "company_key",
	"site", "website", "main_phone", "industry", "sic_code", "number_of_employees", "annual_revenue",
	"billing_street", "billing_city", "billing_state", "billing_postal_code", "billing_country", "company_notes",
	"created_at", "updated_at",
}

// Write implements store.Store.
func (s *Store) Write(ctx context.Context, writes []store.Write) ([]store.WriteResult, error) {
	if err := checkWrites(writes); err != nil {
		return nil, err
	}
	results := make([]store.WriteResult, len(writes))
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		byKey, byID, err := s.existing(ctx, tx, writes)
		if err != nil {
			return err
		}
		now := time.Now().UTC().UnixMicro()
		var inserts, updates []int
		for i, w := range writes {
			id, found := byKey[w.ExternalID.Key], false
			if w.ID != 0 {
				id, found = w.ID, byID[w.ID]
			} else {
				found = id != 0
			}
			switch outcome := records.Decide(w.Mode, found); {
			case outcome == records.Created && w.SalesPerson.Key == "":
				results[i] = store.WriteResult{MissingOwner: true}
			case outcome == records.Created:
				inserts = append(inserts, i)
			case outcome == records.Updated:
				updates = append(updates, i)
				results[i] = store.WriteResult{Outcome: outcome, ID: id}
			default:
				results[i] = store.WriteResult{Outcome: outcome, ID: id}
			}
		}
		raced, err := s.insert(ctx, tx, writes, inserts, results, now)
		if err != nil {
			return err
		}
		// A concurrent writer (another replica on PostgreSQL) created some keys between our
		// read and our insert: they now exist, so apply the existing-record rule to them.
		if len(raced) > 0 {
			keys := make([]string, len(raced))
			for n, i := range raced {
				keys[n] = writes[i].ExternalID.Key
			}
			ids, err := s.idsByKey(ctx, tx, keys)
			if err != nil {
				return err
			}
			for _, i := range raced {
				id, ok := ids[writes[i].ExternalID.Key]
				if !ok {
					return fmt.Errorf("company %q neither inserted nor found", writes[i].ExternalID.Canonical)
				}
				outcome := records.Decide(writes[i].Mode, true)
				results[i] = store.WriteResult{Outcome: outcome, ID: id}
				if outcome == records.Updated {
					updates = append(updates, i)
				}
			}
		}
		for _, i := range updates {
			if err := s.update(ctx, tx, results[i].ID, writes[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// checkWrites enforces the call contract before anything is read or written.
func checkWrites(writes []store.Write) error {
	if len(writes) > store.MaxBatch {
		return fmt.Errorf("%w: %d writes, at most %d", store.ErrInvalid, len(writes), store.MaxBatch)
	}
	seen := records.Repeats{}
	for i, w := range writes {
		if w.ID == 0 && w.ExternalID.Key == "" {
			return fmt.Errorf("%w: write %d has no key", store.ErrInvalid, i)
		}
		if w.ID != 0 && w.Mode != records.UpdateOnly {
			return fmt.Errorf("%w: write %d is keyed by id but does not update only", store.ErrInvalid, i)
		}
		key := "k" + w.ExternalID.Key
		if w.ID != 0 {
			key = "#" + strconv.Itoa(int(w.ID))
		}
		if seen.Seen(key) {
			return fmt.Errorf("%w: write %d repeats a key of an earlier write", store.ErrInvalid, i)
		}
		for f := range w.Fields {
			if !slices.Contains(store.Fields, f) {
				return fmt.Errorf("%w: unknown field %q", store.ErrInvalid, f)
			}
		}
	}
	return nil
}

// existing finds which of the writes' keys are already stored: one query per key kind.
func (s *Store) existing(ctx context.Context, tx *sql.Tx, writes []store.Write) (map[string]int32, map[int32]bool, error) {
	var keys []string
	var ids []int32
	for _, w := range writes {
		if w.ID != 0 {
			ids = append(ids, w.ID)
		} else {
			keys = append(keys, w.ExternalID.Key)
		}
	}
	byKey, err := s.idsByKey(ctx, tx, keys)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[int32]bool, len(ids))
	if len(ids) > 0 {
		in, args := sqldb.In(ids)
		rows, err := tx.QueryContext(ctx, s.db.Rebind("SELECT id FROM companies WHERE id IN ("+in+")"), args...)
		if err != nil {
			return nil, nil, fmt.Errorf("finding existing companies: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int32
			if err := rows.Scan(&id); err != nil {
				return nil, nil, fmt.Errorf("finding existing companies: %w", err)
			}
			byID[id] = true
		}
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("finding existing companies: %w", err)
		}
	}
	return byKey, byID, nil
}

// idsByKey returns the ids of the stored companies with the given external keys.
func (s *Store) idsByKey(ctx context.Context, q sqldb.Querier, keys []string) (map[string]int32, error) {
	byKey := make(map[string]int32, len(keys))
	if len(keys) == 0 {
		return byKey, nil
	}
	in, args := sqldb.In(keys)
	rows, err := q.QueryContext(ctx, s.db.Rebind("SELECT id, external_key FROM companies WHERE external_key IN ("+in+")"), args...)
	if err != nil {
		return nil, fmt.Errorf("finding existing companies: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int32
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return nil, fmt.Errorf("finding existing companies: %w", err)
		}
		byKey[key] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("finding existing companies: %w", err)
	}
	return byKey, nil
}

// insert creates the records at the given indexes with one multi-row statement, fills
// their results, and returns the indexes whose key another writer created first.
func (s *Store) insert(ctx context.Context, tx *sql.Tx, writes []store.Write, idx []int, results []store.WriteResult, now int64) ([]int, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(idx)*len(insertColumns))
	for _, i := range idx {
		w := writes[i]
		var employees int32
		if w.NumberOfEmployees != nil {
			employees = *w.NumberOfEmployees
		}
		var revenue float64
		if w.AnnualRevenue != nil {
			revenue = *w.AnnualRevenue
		}
		f := w.Fields
		args = append(args, w.ExternalID.Canonical, w.ExternalID.Key, w.SalesPerson.Canonical, w.SalesPerson.Key,
			f[store.FieldCompany], extid.Fold(f[store.FieldCompany]), f[store.FieldSite], f[store.FieldWebsite],
			f[store.FieldMainPhone], f[store.FieldIndustry], f[store.FieldSICCode], employees, revenue,
			f[store.FieldBillingStreet], f[store.FieldBillingCity], f[store.FieldBillingState],
			f[store.FieldBillingPostalCode], f[store.FieldBillingCountry], f[store.FieldCompanyNotes], now, now)
	}
	q := sqldb.InsertRows("companies", insertColumns, len(idx)) + " ON CONFLICT (external_key) DO NOTHING RETURNING id, external_key"
	rows, err := tx.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("creating companies: %w", err)
	}
	defer rows.Close()
	created := make(map[string]int32, len(idx))
	for rows.Next() {
		var id int32
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return nil, fmt.Errorf("creating companies: %w", err)
		}
		created[key] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("creating companies: %w", err)
	}
	var raced []int
	for _, i := range idx {
		if id, ok := created[writes[i].ExternalID.Key]; ok {
			results[i] = store.WriteResult{Outcome: records.Created, ID: id}
		} else {
			raced = append(raced, i)
		}
	}
	return raced, nil
}

// update sets the fields that w carries on one record; the others keep their value.
func (s *Store) update(ctx context.Context, tx *sql.Tx, id int32, w store.Write, now int64) error {
	var cols []string
	args := make([]any, 0, len(w.Fields)+8)
	if w.SalesPerson.Key != "" {
		cols = append(cols, "external_sales_person_id", "sales_person_key")
		args = append(args, w.SalesPerson.Canonical, w.SalesPerson.Key)
	}
	for _, f := range store.Fields {
		v, ok := w.Fields[f]
		if !ok {
			continue
		}
		cols = append(cols, string(f))
		args = append(args, v)
		if f == store.FieldCompany {
			cols = append(cols, "company_key")
			args = append(args, extid.Fold(v))
		}
	}
	if w.NumberOfEmployees != nil {
		cols = append(cols, "number_of_employees")
		args = append(args, *w.NumberOfEmployees)
	}
	if w.AnnualRevenue != nil {
		cols = append(cols, "annual_revenue")
		args = append(args, *w.AnnualRevenue)
	}
	cols = append(cols, "updated_at")
	args = append(args, now, id)
	if _, err := tx.ExecContext(ctx, s.db.Rebind("UPDATE companies SET "+sqldb.SetList(cols)+" WHERE id = ?"), args...); err != nil {
		return fmt.Errorf("updating company %d: %w", id, err)
	}
	return nil
}
