// Package sqlstore is the account store on SQLite or PostgreSQL: one implementation, with
// the SQL both engines share and per-engine migrations.
package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/config"
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

// Store implements store.Store over database/sql.
type Store struct {
	db *sqldb.DB
}

var _ store.Store = (*Store)(nil)

// Open opens and migrates the account database that cfg names.
func Open(ctx context.Context, cfg config.Store, log *slog.Logger) (*Store, error) {
	db, err := sqldb.OpenEmbedded(ctx, serviceName, cfg, migrations, log)
	if err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// Secret returns the named persisted key (see sqldb.DB.Secret).
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	return s.db.Secret(ctx, name)
}

// Close implements store.Store.
func (s *Store) Close() error { return s.db.Close() }

// List implements store.Store.
func (s *Store) List(ctx context.Context, f store.Filter) ([]store.Company, error) {
	if f.Limit < 1 || f.Limit > store.MaxBatch+1 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, f.Limit)
	}
	var col string
	var vals []any
	switch f.By {
	case store.ByID:
		col = "id"
		for _, id := range f.IDs {
			vals = append(vals, id)
		}
	case store.ByExternalKey:
		col = "external_key"
	case store.ByCompany:
		col = "company_key"
	case store.BySalesPerson:
		col = "sales_person_key"
	default:
		return nil, fmt.Errorf("%w: filter field %d", store.ErrInvalid, f.By)
	}
	if f.By != store.ByID {
		for _, k := range f.Keys {
			vals = append(vals, k)
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	args := append(vals, f.AfterID, f.Limit)
	q := "SELECT " + columns + " FROM companies WHERE " + col + " IN (" + sqldb.Placeholders(len(vals)) + ") AND id > ? ORDER BY id LIMIT ?"
	return s.query(ctx, s.db, q, args...)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, ids []int32, externalKeys []string) ([]store.Company, error) {
	return s.get(ctx, s.db, ids, externalKeys)
}

func (s *Store) get(ctx context.Context, q sqldb.Querier, ids []int32, externalKeys []string) ([]store.Company, error) {
	var conds []string
	var args []any
	if len(ids) > 0 {
		in, a := sqldb.In(ids)
		conds = append(conds, "id IN ("+in+")")
		args = append(args, a...)
	}
	if len(externalKeys) > 0 {
		in, a := sqldb.In(externalKeys)
		conds = append(conds, "external_key IN ("+in+")")
		args = append(args, a...)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	return s.query(ctx, q, "SELECT "+columns+" FROM companies WHERE "+strings.Join(conds, " OR "), args...)
}

func (s *Store) query(ctx context.Context, db sqldb.Querier, q string, args ...any) ([]store.Company, error) {
	rows, err := db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("reading companies: %w", err)
	}
	defer rows.Close()
	var out []store.Company
	for rows.Next() {
		var c store.Company
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.ExternalID, &c.SalesPersonID, &c.Company, &c.Site, &c.Website, &c.MainPhone,
			&c.Industry, &c.SICCode, &c.NumberOfEmployees, &c.AnnualRevenue, &c.BillingStreet, &c.BillingCity,
			&c.BillingState, &c.BillingPostalCode, &c.BillingCountry, &c.CompanyNotes, &created, &updated); err != nil {
			return nil, fmt.Errorf("reading companies: %w", err)
		}
		c.CreatedAt = time.UnixMicro(created).UTC()
		c.UpdatedAt = time.UnixMicro(updated).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading companies: %w", err)
	}
	return out, nil
}

// CountBySalesPerson implements store.Store.
func (s *Store) CountBySalesPerson(ctx context.Context, salesPersonKeys []string) (map[string]int, error) {
	if len(salesPersonKeys) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d keys, at most %d", store.ErrInvalid, len(salesPersonKeys), store.MaxBatch)
	}
	counts := make(map[string]int)
	if len(salesPersonKeys) == 0 {
		return counts, nil
	}
	in, args := sqldb.In(salesPersonKeys)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT sales_person_key, COUNT(*) FROM companies WHERE sales_person_key IN ("+in+") GROUP BY sales_person_key"), args...)
	if err != nil {
		return nil, fmt.Errorf("counting companies by owner: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var n int
		if err := rows.Scan(&key, &n); err != nil {
			return nil, fmt.Errorf("counting companies by owner: %w", err)
		}
		counts[key] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting companies by owner: %w", err)
	}
	return counts, nil
}
