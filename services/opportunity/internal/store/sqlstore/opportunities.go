package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/msisync/msisync/platform/extid"
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

// opportunityTable is the opportunities table, keyed by marketoGUID and external key and
// paged by seq.
func opportunityTable(db *sqldb.DB) *sqldb.Table[store.Opportunity, string] {
	return &sqldb.Table[store.Opportunity, string]{
		DB: db, Name: "opportunities", What: "opportunities", IDColumn: "marketo_guid", KeyColumn: "external_key",
		OrderColumn: "seq", Columns: opportunityColumns, Scan: scanOpportunity,
		IDOf:  func(o store.Opportunity) string { return o.GUID },
		KeyOf: func(o store.Opportunity) string { return extid.Key(o.ExternalID) },
	}
}

// WriteOpportunities implements store.Opportunities.
func (s *Store) WriteOpportunities(ctx context.Context, writes []store.OpportunityWrite) ([]store.WriteResult, error) {
	upserts, err := sqldb.Upserts(len(writes), store.MaxBatch, func(i int) (sqldb.Upsert[string], error) {
		w := writes[i]
		if f := w.Fields; (f.ExternalCompanyID != nil && f.ExternalCompanyID.Key == "") || (f.ExternalSalesPersonID != nil && f.ExternalSalesPersonID.Key == "") || (f.Name != nil && *f.Name == "") {
			return sqldb.Upsert[string]{}, fmt.Errorf("%w: write %d clears a required field", store.ErrInvalid, i)
		}
		return sqldb.Upsert[string]{Mode: w.Mode, ID: w.GUID, Key: w.ExternalID.Key}, nil
	})
	if err != nil {
		return nil, err
	}
	cols := []string{"marketo_guid", "external_id", "external_key"}
	for _, f := range opportunityFields {
		cols = append(cols, f.column)
	}
	cols = append(cols, "created_at", "updated_at")
	out, err := s.opps.Upsert(ctx, upserts, cols, func(i int, now int64) ([]any, bool) {
		w := &writes[i]
		if missingForCreate(&w.Fields) != "" {
			return nil, false // reported as Missing
		}
		args := []any{newGUID(), w.ExternalID.Canonical, w.ExternalID.Key}
		for _, f := range opportunityFields {
			v, _ := f.get(&w.Fields)
			args = append(args, v)
		}
		return append(args, now, now), true
	}, func(ctx context.Context, tx *sql.Tx, i int, guid string, now int64) error {
		return s.updateOpportunity(ctx, tx, guid, &writes[i].Fields, now)
	})
	if err != nil {
		return nil, err
	}
	results := make([]store.WriteResult, len(out))
	for i, r := range out {
		results[i] = store.WriteResult{Outcome: r.Outcome, GUID: r.ID}
		if r.Outcome == 0 {
			results[i].Missing = missingForCreate(&writes[i].Fields)
		}
	}
	return results, nil
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
	if _, err := tx.ExecContext(ctx, s.DB.Rebind("UPDATE opportunities SET "+sqldb.SetList(cols)+" WHERE marketo_guid = ?"), args...); err != nil {
		return fmt.Errorf("updating opportunity %s: %w", guid, err)
	}
	return nil
}

// ListOpportunities implements store.Opportunities.
func (s *Store) ListOpportunities(ctx context.Context, f store.OpportunityFilter) ([]store.Opportunity, error) {
	if len(f.Values) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d filter values, at most %d", store.ErrInvalid, len(f.Values), store.MaxBatch)
	}
	_, values := sqldb.In(f.Values)
	switch f.By {
	case store.OpportunityByGUID:
		return s.opps.List(ctx, "marketo_guid", values, f.AfterSeq, f.Limit)
	case store.OpportunityByExternalKey:
		return s.opps.List(ctx, "external_key", values, f.AfterSeq, f.Limit)
	case store.OpportunityByCompanyKey:
		return s.opps.List(ctx, "external_company_key", values, f.AfterSeq, f.Limit)
	case store.OpportunityBySalesPersonKey:
		return s.opps.List(ctx, "external_sales_person_key", values, f.AfterSeq, f.Limit)
	}
	return nil, fmt.Errorf("%w: filter field %d", store.ErrInvalid, f.By)
}

// GetOpportunities implements store.Opportunities.
func (s *Store) GetOpportunities(ctx context.Context, guids, externalKeys []string) ([]store.Opportunity, error) {
	return s.opps.Get(ctx, s.DB, guids, externalKeys)
}

// scanOpportunity reads one row of opportunityColumns.
func scanOpportunity(rows *sql.Rows, o *store.Opportunity) error {
	var closeDate, lastActivity, externalCreated sql.NullInt64
	var created, updated int64
	if err := rows.Scan(&o.Seq, &o.GUID, &o.ExternalID, &o.ExternalCompanyID, &o.ExternalSalesPersonID, &o.Name, &o.Description, &o.Type, &o.Stage,
		&o.Amount, &o.ExpectedRevenue, &o.Quantity, &o.Probability, &closeDate, &o.IsClosed, &o.IsWon, &o.FiscalQuarter, &o.FiscalYear,
		&o.ForecastCategory, &o.ForecastCategoryName, &o.LeadSource, &o.Source, &o.NextStep, &lastActivity, &externalCreated, &created, &updated); err != nil {
		return err
	}
	o.CloseDate = fromMicros(closeDate)
	o.LastActivityDate = fromMicros(lastActivity)
	o.ExternalCreatedDate = fromMicros(externalCreated)
	o.CreatedAt = time.UnixMicro(created).UTC()
	o.UpdatedAt = time.UnixMicro(updated).UTC()
	return nil
}

// DeleteOpportunities implements store.Opportunities.
func (s *Store) DeleteOpportunities(ctx context.Context, keys []store.OpportunityKey) ([]store.DeleteResult, error) {
	deleted, err := s.opps.Delete(ctx, len(keys), func(i int) (string, string) { return keys[i].GUID, keys[i].ExternalKey })
	return sqldb.Convert(deleted, err, func(guid string) store.DeleteResult { return store.DeleteResult{Deleted: guid != "", GUID: guid} })
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
