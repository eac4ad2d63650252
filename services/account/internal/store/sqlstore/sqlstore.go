// Package sqlstore is the account store on SQLite or PostgreSQL: one implementation, with
// the SQL both engines share and per-engine migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/account/internal/store"
)

//go:embed migrations
var migrations embed.FS

// serviceName names the SQLite file and the PostgreSQL schema.
const serviceName = "account"

// columns lists what every read selects, in scan order.
const columns = "id, external_id, external_sales_person_id, company, site, website, main_phone, industry, sic_code, " +
	"number_of_employees, annual_revenue, billing_street, billing_city, billing_state, billing_postal_code, " +
	"billing_country, company_notes, created_at, updated_at"

// Store implements store.Store over database/sql. It owns its database, whose Secret and
// Close are its own.
type Store struct {
	*sqldb.DB
	t *sqldb.Table[store.Company, int32]
}

var _ store.Store = (*Store)(nil)

// Open opens and migrates the account database that cfg names.
func Open(ctx context.Context, cfg config.Store, log *slog.Logger) (*Store, error) {
	db, err := sqldb.OpenEmbedded(ctx, serviceName, cfg, migrations, log)
	if err != nil {
		return nil, err
	}
	return &Store{DB: db, t: &sqldb.Table[store.Company, int32]{
		DB: db, Name: "companies", What: "companies", IDColumn: "id", KeyColumn: "external_key",
		Columns: columns, Scan: scan,
		IDOf:  func(c store.Company) int32 { return c.ID },
		KeyOf: func(c store.Company) string { return extid.Key(c.ExternalID) },
	}}, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, f store.Filter) ([]store.Company, error) {
	_, ids := sqldb.In(f.IDs)
	_, keys := sqldb.In(f.Keys)
	switch f.By {
	case store.ByID:
		return s.t.List(ctx, "id", ids, f.AfterID, f.Limit)
	case store.ByExternalKey:
		return s.t.List(ctx, "external_key", keys, f.AfterID, f.Limit)
	case store.ByCompany:
		return s.t.List(ctx, "company_key", keys, f.AfterID, f.Limit)
	case store.BySalesPerson:
		return s.t.List(ctx, "sales_person_key", keys, f.AfterID, f.Limit)
	}
	return nil, fmt.Errorf("%w: filter field %d", store.ErrInvalid, f.By)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, ids []int32, externalKeys []string) ([]store.Company, error) {
	return s.t.Get(ctx, s.DB, ids, externalKeys)
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, keys []store.Key) ([]store.DeleteResult, error) {
	return sqldb.DeleteKeys(ctx, s.t, keys)
}

// scan reads one row of columns.
func scan(rows *sql.Rows, c *store.Company) error {
	var created, updated int64
	if err := rows.Scan(&c.ID, &c.ExternalID, &c.SalesPersonID, &c.Company, &c.Site, &c.Website, &c.MainPhone,
		&c.Industry, &c.SICCode, &c.NumberOfEmployees, &c.AnnualRevenue, &c.BillingStreet, &c.BillingCity,
		&c.BillingState, &c.BillingPostalCode, &c.BillingCountry, &c.CompanyNotes, &created, &updated); err != nil {
		return err
	}
	c.CreatedAt = time.UnixMicro(created).UTC()
	c.UpdatedAt = time.UnixMicro(updated).UTC()
	return nil
}

// CountBySalesPerson implements store.Store.
func (s *Store) CountBySalesPerson(ctx context.Context, salesPersonKeys []string) (map[string]int, error) {
	if len(salesPersonKeys) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d keys, at most %d", store.ErrInvalid, len(salesPersonKeys), store.MaxBatch)
	}
	return sqldb.CountBy(ctx, s.DB, "companies", "sales_person_key", salesPersonKeys)
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context) (int64, error) {
	return s.t.Count(ctx)
}
