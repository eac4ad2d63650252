package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/opportunity/internal/store"
)

// opportunityColumns lists what every read of an opportunity selects, in scan order.
const opportunityColumns = "seq, marketo_guid, external_id, external_company_id, external_sales_person_id, name, description, type, stage, " +
	"amount, expected_revenue, quantity, probability, close_date, is_closed, is_won, fiscal_quarter, fiscal_year, " +
	"forecast_category, forecast_category_name, lead_source, source, next_step, last_activity_date, external_created_date, created_at, updated_at"

// opportunityField is one writable column: get returns the value a write sets, or the
// column's default on create when set is false.
type opportunityField struct {
	column string
	get    func(f *store.OpportunityFields) (v any, set bool)
}

// opportunityFields are the writable columns, in a fixed order.
var opportunityFields = []opportunityField{
	{"external_company_id", func(f *store.OpportunityFields) (any, bool) { return idPart(f.ExternalCompanyID, false) }},
	{"external_company_key", func(f *store.OpportunityFields) (any, bool) { return idPart(f.ExternalCompanyID, true) }},
	{"external_sales_person_id", func(f *store.OpportunityFields) (any, bool) { return idPart(f.ExternalSalesPersonID, false) }},
	{"external_sales_person_key", func(f *store.OpportunityFields) (any, bool) { return idPart(f.ExternalSalesPersonID, true) }},
	{"name", func(f *store.OpportunityFields) (any, bool) { return value(f.Name, "") }},
	{"description", func(f *store.OpportunityFields) (any, bool) { return value(f.Description, "") }},
	{"type", func(f *store.OpportunityFields) (any, bool) { return value(f.Type, "") }},
	{"stage", func(f *store.OpportunityFields) (any, bool) { return value(f.Stage, "") }},
	{"amount", func(f *store.OpportunityFields) (any, bool) { return value(f.Amount, 0) }},
	{"expected_revenue", func(f *store.OpportunityFields) (any, bool) { return value(f.ExpectedRevenue, 0) }},
	{"quantity", func(f *store.OpportunityFields) (any, bool) { return value(f.Quantity, 0) }},
	{"probability", func(f *store.OpportunityFields) (any, bool) { return value(f.Probability, 0) }},
	{"close_date", func(f *store.OpportunityFields) (any, bool) { return date(f.CloseDate) }},
	{"is_closed", func(f *store.OpportunityFields) (any, bool) { return value(f.IsClosed, false) }},
	{"is_won", func(f *store.OpportunityFields) (any, bool) { return value(f.IsWon, false) }},
	{"fiscal_quarter", func(f *store.OpportunityFields) (any, bool) { return value(f.FiscalQuarter, 0) }},
	{"fiscal_year", func(f *store.OpportunityFields) (any, bool) { return value(f.FiscalYear, 0) }},
	{"forecast_category", func(f *store.OpportunityFields) (any, bool) { return value(f.ForecastCategory, "") }},
	{"forecast_category_name", func(f *store.OpportunityFields) (any, bool) { return value(f.ForecastCategoryName, "") }},
	{"lead_source", func(f *store.OpportunityFields) (any, bool) { return value(f.LeadSource, "") }},
	{"source", func(f *store.OpportunityFields) (any, bool) { return value(f.Source, "") }},
	{"next_step", func(f *store.OpportunityFields) (any, bool) { return value(f.NextStep, "") }},
	{"last_activity_date", func(f *store.OpportunityFields) (any, bool) { return date(f.LastActivityDate) }},
	{"external_created_date", func(f *store.OpportunityFields) (any, bool) { return date(f.ExternalCreatedDate) }},
}

func value[T any](p *T, def T) (any, bool) {
	if p == nil {
		return def, false
	}
	return *p, true
}

func date(p *time.Time) (any, bool) {
	if p == nil {
		return nil, false
	}
	return micros(*p), true
}

func idPart(p *extid.ID, key bool) (any, bool) {
	switch {
	case p == nil:
		return "", false
	case key:
		return p.Key, true
	}
	return p.Canonical, true
}

// missingForCreate names the first field a create needs that f lacks, or "".
func missingForCreate(f *store.OpportunityFields) store.Field {
	switch {
	case f.ExternalCompanyID == nil || f.ExternalCompanyID.Key == "":
		return store.FieldExternalCompanyID
	case f.ExternalSalesPersonID == nil || f.ExternalSalesPersonID.Key == "":
		return store.FieldExternalSalesPersonID
	case f.Name == nil || *f.Name == "":
		return store.FieldName
	}
	return ""
}

// WriteOpportunities implements store.Opportunities.
func (s *Store) WriteOpportunities(ctx context.Context, writes []store.OpportunityWrite) ([]store.WriteResult, error) {
	if len(writes) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d writes, at most %d", store.ErrInvalid, len(writes), store.MaxBatch)
	}
	for i, w := range writes {
		if w.GUID == "" && w.ExternalID.Key == "" {
			return nil, fmt.Errorf("%w: write %d has no key", store.ErrInvalid, i)
		}
		if w.GUID != "" && w.Mode != records.UpdateOnly {
			return nil, fmt.Errorf("%w: write %d is keyed by GUID but does not update only", store.ErrInvalid, i)
		}
		f := w.Fields
		if (f.ExternalCompanyID != nil && f.ExternalCompanyID.Key == "") || (f.ExternalSalesPersonID != nil && f.ExternalSalesPersonID.Key == "") || (f.Name != nil && *f.Name == "") {
			return nil, fmt.Errorf("%w: write %d clears a required field", store.ErrInvalid, i)
		}
	}
	results := make([]store.WriteResult, len(writes))
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var guids, keys []string
		for _, w := range writes {
			if w.GUID != "" {
				guids = append(guids, w.GUID)
			} else {
				keys = append(keys, w.ExternalID.Key)
			}
		}
		found, err := s.getOpportunities(ctx, tx, guids, keys)
		if err != nil {
			return err
		}
		byKey := make(map[string]string, len(found))
		byGUID := make(map[string]bool, len(found))
		for _, o := range found {
			byKey[extid.Key(o.ExternalID)] = o.GUID
			byGUID[o.GUID] = true
		}
		now := time.Now().UTC().UnixMicro()
		var inserts, updates []int
		for i, w := range writes {
			guid := byKey[w.ExternalID.Key]
			if w.GUID != "" {
				guid = ""
				if byGUID[w.GUID] {
					guid = w.GUID
				}
			}
			switch outcome := records.Decide(w.Mode, guid != ""); outcome {
			case records.Created:
				if missing := missingForCreate(&writes[i].Fields); missing != "" {
					results[i] = store.WriteResult{Missing: missing}
					continue
				}
				inserts = append(inserts, i)
			case records.Updated:
				updates = append(updates, i)
				fallthrough
			default:
				results[i] = store.WriteResult{Outcome: outcome, GUID: guid}
			}
		}
		raced, err := s.insertOpportunities(ctx, tx, writes, inserts, results, now)
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
			again, err := s.getOpportunities(ctx, tx, nil, keys)
			if err != nil {
				return err
			}
			for _, o := range again {
				byKey[extid.Key(o.ExternalID)] = o.GUID
			}
			for _, i := range raced {
				guid, ok := byKey[writes[i].ExternalID.Key]
				if !ok {
					return fmt.Errorf("opportunity %q neither created nor found", writes[i].ExternalID.Canonical)
				}
				outcome := records.Decide(writes[i].Mode, true)
				results[i] = store.WriteResult{Outcome: outcome, GUID: guid}
				if outcome == records.Updated {
					updates = append(updates, i)
				}
			}
		}
		for _, i := range updates {
			if err := s.updateOpportunity(ctx, tx, results[i].GUID, &writes[i].Fields, now); err != nil {
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

// insertOpportunities creates the records at the given indexes with one multi-row
// statement, fills their results, and returns the indexes whose key another writer created
// first.
func (s *Store) insertOpportunities(ctx context.Context, tx *sql.Tx, writes []store.OpportunityWrite, idx []int, results []store.WriteResult, now int64) ([]int, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	cols := []string{"marketo_guid", "external_id", "external_key"}
	for _, f := range opportunityFields {
		cols = append(cols, f.column)
	}
	cols = append(cols, "created_at", "updated_at")
	args := make([]any, 0, len(idx)*len(cols))
	for _, i := range idx {
		w := &writes[i]
		args = append(args, newGUID(), w.ExternalID.Canonical, w.ExternalID.Key)
		for _, f := range opportunityFields {
			v, _ := f.get(&w.Fields)
			args = append(args, v)
		}
		args = append(args, now, now)
	}
	q := sqldb.InsertRows("opportunities", cols, len(idx)) + " ON CONFLICT (external_key) DO NOTHING RETURNING marketo_guid, external_key"
	rows, err := tx.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("creating opportunities: %w", err)
	}
	defer rows.Close()
	created := make(map[string]string, len(idx))
	for rows.Next() {
		var guid, key string
		if err := rows.Scan(&guid, &key); err != nil {
			return nil, fmt.Errorf("creating opportunities: %w", err)
		}
		created[key] = guid
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("creating opportunities: %w", err)
	}
	var raced []int
	for _, i := range idx {
		if guid, ok := created[writes[i].ExternalID.Key]; ok {
			results[i] = store.WriteResult{Outcome: records.Created, GUID: guid}
		} else {
			raced = append(raced, i)
		}
	}
	return raced, nil
}

// updateOpportunity sets the given fields of one record.
func (s *Store) updateOpportunity(ctx context.Context, tx *sql.Tx, guid string, fields *store.OpportunityFields, now int64) error {
	var cols []string
	var args []any
	for _, f := range opportunityFields {
		if v, set := f.get(fields); set {
			cols = append(cols, f.column)
			args = append(args, v)
		}
	}
	cols = append(cols, "updated_at")
	args = append(args, now, guid)
	if _, err := tx.ExecContext(ctx, s.db.Rebind("UPDATE opportunities SET "+sqldb.SetList(cols)+" WHERE marketo_guid = ?"), args...); err != nil {
		return fmt.Errorf("updating opportunity %s: %w", guid, err)
	}
	return nil
}

// ListOpportunities implements store.Opportunities.
func (s *Store) ListOpportunities(ctx context.Context, f store.OpportunityFilter) ([]store.Opportunity, error) {
	if err := checkLimit(f.Limit); err != nil {
		return nil, err
	}
	if len(f.Values) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d filter values, at most %d", store.ErrInvalid, len(f.Values), store.MaxBatch)
	}
	var col string
	switch f.By {
	case store.OpportunityByGUID:
		col = "marketo_guid"
	case store.OpportunityByExternalKey:
		col = "external_key"
	case store.OpportunityByCompanyKey:
		col = "external_company_key"
	case store.OpportunityBySalesPersonKey:
		col = "external_sales_person_key"
	default:
		return nil, fmt.Errorf("%w: filter field %d", store.ErrInvalid, f.By)
	}
	if len(f.Values) == 0 {
		return nil, nil
	}
	ph, args := sqldb.In(f.Values)
	args = append(args, f.AfterSeq, f.Limit)
	q := "SELECT " + opportunityColumns + " FROM opportunities WHERE " + col + " IN (" + ph + ") AND seq > ? ORDER BY seq LIMIT ?"
	return s.queryOpportunities(ctx, s.db, q, args...)
}

// GetOpportunities implements store.Opportunities.
func (s *Store) GetOpportunities(ctx context.Context, guids, externalKeys []string) ([]store.Opportunity, error) {
	return s.getOpportunities(ctx, s.db, guids, externalKeys)
}

func (s *Store) getOpportunities(ctx context.Context, q sqldb.Querier, guids, externalKeys []string) ([]store.Opportunity, error) {
	var a anyOf
	in(&a, "marketo_guid", guids)
	in(&a, "external_key", externalKeys)
	where, ok := a.where()
	if !ok {
		return nil, nil
	}
	return s.queryOpportunities(ctx, q, "SELECT "+opportunityColumns+" FROM opportunities WHERE "+where, a.args...)
}

func (s *Store) queryOpportunities(ctx context.Context, db sqldb.Querier, q string, args ...any) ([]store.Opportunity, error) {
	rows, err := db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("reading opportunities: %w", err)
	}
	defer rows.Close()
	var out []store.Opportunity
	for rows.Next() {
		var o store.Opportunity
		var closeDate, lastActivity, externalCreated sql.NullInt64
		var created, updated int64
		if err := rows.Scan(&o.Seq, &o.GUID, &o.ExternalID, &o.ExternalCompanyID, &o.ExternalSalesPersonID, &o.Name, &o.Description, &o.Type, &o.Stage,
			&o.Amount, &o.ExpectedRevenue, &o.Quantity, &o.Probability, &closeDate, &o.IsClosed, &o.IsWon, &o.FiscalQuarter, &o.FiscalYear,
			&o.ForecastCategory, &o.ForecastCategoryName, &o.LeadSource, &o.Source, &o.NextStep, &lastActivity, &externalCreated, &created, &updated); err != nil {
			return nil, fmt.Errorf("reading opportunities: %w", err)
		}
		o.CloseDate = fromMicros(closeDate)
		o.LastActivityDate = fromMicros(lastActivity)
		o.ExternalCreatedDate = fromMicros(externalCreated)
		o.CreatedAt = time.UnixMicro(created).UTC()
		o.UpdatedAt = time.UnixMicro(updated).UTC()
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading opportunities: %w", err)
	}
	return out, nil
}

// DeleteOpportunities implements store.Opportunities.
func (s *Store) DeleteOpportunities(ctx context.Context, keys []store.OpportunityKey) ([]store.DeleteResult, error) {
	if len(keys) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d keys, at most %d", store.ErrInvalid, len(keys), store.MaxBatch)
	}
	results := make([]store.DeleteResult, len(keys))
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var guids, extKeys []string
		for _, k := range keys {
			if k.GUID != "" {
				guids = append(guids, k.GUID)
			} else if k.ExternalKey != "" {
				extKeys = append(extKeys, k.ExternalKey)
			}
		}
		found, err := s.getOpportunities(ctx, tx, guids, extKeys)
		if err != nil {
			return err
		}
		live := make(map[string]int64, len(found))
		byKey := make(map[string]string, len(found))
		for _, o := range found {
			live[o.GUID] = o.Seq
			byKey[extid.Key(o.ExternalID)] = o.GUID
		}
		var doomed []int64
		for i, k := range keys {
			guid := k.GUID
			if guid == "" {
				guid = byKey[k.ExternalKey]
			}
			seq, ok := live[guid]
			if !ok {
				continue
			}
			delete(live, guid) // a second key for the same record finds it gone
			results[i] = store.DeleteResult{Deleted: true, GUID: guid}
			doomed = append(doomed, seq)
		}
		if len(doomed) == 0 {
			return nil
		}
		ph, args := sqldb.In(doomed)
		if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM opportunities WHERE seq IN ("+ph+")"), args...); err != nil {
			return fmt.Errorf("deleting opportunities: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// CountOpportunityReferences implements store.Opportunities.
func (s *Store) CountOpportunityReferences(ctx context.Context, companyKeys, salesPersonKeys []string) ([]store.ReferenceCount, []store.ReferenceCount, error) {
	if err := checkCount(len(companyKeys), "company keys"); err != nil {
		return nil, nil, err
	}
	if err := checkCount(len(salesPersonKeys), "sales person keys"); err != nil {
		return nil, nil, err
	}
	byKey := func(k string) store.ReferenceCount { return store.ReferenceCount{Key: k} }
	companies, err := countBy(ctx, s, "opportunities", "external_company_key", companyKeys, byKey)
	if err != nil {
		return nil, nil, err
	}
	salesPersons, err := countBy(ctx, s, "opportunities", "external_sales_person_key", salesPersonKeys, byKey)
	if err != nil {
		return nil, nil, err
	}
	return companies, salesPersons, nil
}
