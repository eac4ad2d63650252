package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/msisync/msisync/platform/extid"
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
	upserts, err := sqldb.Upserts(len(writes), store.MaxBatch, func(i int) (sqldb.Upsert[int32], error) {
		w := writes[i]
		return sqldb.Upsert[int32]{Mode: w.Mode, ID: w.ID, Key: w.ExternalID.Key}, sqldb.KnownFields(store.Fields, w.Fields)
	})
	if err != nil {
		return nil, err
	}
	out, err := s.t.Upsert(ctx, upserts, insertColumns, func(i int, now int64) ([]any, bool) {
		w := writes[i]
		if w.SalesPerson.Key == "" {
			return nil, false // reported as MissingOwner
		}
		var employees int32
		if w.NumberOfEmployees != nil {
			employees = *w.NumberOfEmployees
		}
		var revenue float64
		if w.AnnualRevenue != nil {
			revenue = *w.AnnualRevenue
		}
		f := w.Fields
		return []any{w.ExternalID.Canonical, w.ExternalID.Key, w.SalesPerson.Canonical, w.SalesPerson.Key,
			f[store.FieldCompany], extid.Fold(f[store.FieldCompany]), f[store.FieldSite], f[store.FieldWebsite],
			f[store.FieldMainPhone], f[store.FieldIndustry], f[store.FieldSICCode], employees, revenue,
			f[store.FieldBillingStreet], f[store.FieldBillingCity], f[store.FieldBillingState],
			f[store.FieldBillingPostalCode], f[store.FieldBillingCountry], f[store.FieldCompanyNotes], now, now}, true
	}, func(ctx context.Context, tx *sql.Tx, i int, id int32, now int64) error {
		return s.update(ctx, tx, id, writes[i], now)
	})
	return sqldb.Convert(out, err, func(r sqldb.Written[int32]) store.WriteResult {
		return store.WriteResult{Outcome: r.Outcome, ID: r.ID, MissingOwner: r.Outcome == 0}
	})
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
	if _, err := tx.ExecContext(ctx, s.DB.Rebind("UPDATE companies SET "+sqldb.SetList(cols)+" WHERE id = ?"), args...); err != nil {
		return fmt.Errorf("updating company %d: %w", id, err)
	}
	return nil
}
