// Package sqlstore is the person store on SQLite or PostgreSQL: one implementation, with
// the SQL both engines share and per-engine migrations.
//
// The write path is built for 300-lead batches: one transaction per batch, one lookup
// SELECT per key kind (email, external person id, id), one multi-row INSERT … RETURNING for
// the creates and one prepared UPDATE per distinct set of changed columns, reused for every
// existing lead of the batch.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/person/internal/store"
)

//go:embed migrations
var migrations embed.FS

// serviceName names the SQLite file and the PostgreSQL schema.
const serviceName = "person"

// personKeyIn is the condition matching external person keys: it repeats the predicate of
// the partial unique index so that both engines use the index.
const personKeyIn = "external_person_key <> '' AND external_person_key IN "

// otherText are the text fields other than email, in column order.
var otherText = store.Fields[1:]

// insertColumns are the columns a create sets, in argument order (see insertArgs).
var insertColumns = append(append([]string{"email", "email_key", "external_person_id", "external_person_key",
	"external_company_id", "external_company_key", "external_sales_person_id", "external_sales_person_key"},
	fieldNames(otherText)...),
	"annual_revenue", "number_of_employees", "unsubscribed", "do_not_call", "custom_fields", "created_at", "updated_at")

// Store implements store.Store over database/sql. It owns its database, whose Secret and
// Close are its own.
type Store struct {
	*sqldb.DB
	// keys deletes leads by id and external person key, reading only those, and makes the
	// condition Get reads leads by.
	keys *sqldb.Table[leadKeys, int32]
}

// leadKeys are the keys of a stored lead.
type leadKeys struct {
	id        int32
	personKey string
}

var _ store.Store = (*Store)(nil)

// Open opens and migrates the person database that cfg names.
func Open(ctx context.Context, cfg config.Store, log *slog.Logger) (*Store, error) {
	db, err := sqldb.OpenEmbedded(ctx, serviceName, cfg, migrations, log)
	if err != nil {
		return nil, err
	}
	return &Store{DB: db, keys: &sqldb.Table[leadKeys, int32]{
		DB: db, Name: "leads", What: "leads", IDColumn: "id", KeyColumn: "external_person_key",
		KeyGuard: "external_person_key <> ''", Columns: "id, external_person_key",
		Scan:  func(rows *sql.Rows, k *leadKeys) error { return rows.Scan(&k.id, &k.personKey) },
		IDOf:  func(k leadKeys) int32 { return k.id },
		KeyOf: func(k leadKeys) string { return k.personKey },
	}}, nil
}

// filterCondition returns the WHERE condition and arguments of f, or ok false when f can
// match nothing.
func filterCondition(f store.Filter) (cond string, args []any, ok bool, err error) {
	if f.By == store.ByID {
		if len(f.IDs) == 0 {
			return "", nil, false, nil
		}
		in, args := sqldb.In(f.IDs)
		return "id IN (" + in + ")", args, true, nil
	}
	var col string
	switch f.By {
	case store.ByEmail:
		col = "email_key IN "
	case store.ByExternalPersonKey:
		col = personKeyIn
	case store.ByExternalCompanyKey:
		col = "external_company_key IN "
	case store.ByExternalSalesPersonKey:
		col = "external_sales_person_key IN "
	default:
		return "", nil, false, fmt.Errorf("%w: filter field %d", store.ErrInvalid, f.By)
	}
	keys := sqldb.NonEmpty(f.Keys)
	if len(keys) == 0 {
		return "", nil, false, nil
	}
	in, args := sqldb.In(keys)
	return col + "(" + in + ")", args, true, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, f store.Filter) ([]store.Lead, error) {
	if f.Limit < 1 || f.Limit > store.MaxBatch+1 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, f.Limit)
	}
	cond, args, ok, err := filterCondition(f)
	if err != nil || !ok {
		return nil, err
	}
	sel, err := selectionOf(f.Read)
	if err != nil {
		return nil, err
	}
	args = append(args, f.AfterID, f.Limit)
	// Most filters match about one lead per value.
	expect := min(f.Limit, len(f.IDs)+len(f.Keys))
	return s.query(ctx, sel, expect, "SELECT "+sel.list+" FROM leads WHERE "+cond+" AND id > ? ORDER BY id LIMIT ?", args...)
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context, f store.Filter) (int, error) {
	cond, args, ok, err := filterCondition(f)
	if err != nil || !ok {
		return 0, err
	}
	var n int
	if err := s.DB.QueryRowContext(ctx, s.DB.Rebind("SELECT COUNT(*) FROM leads WHERE "+cond), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting leads: %w", err)
	}
	return n, nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, ids []int32, externalKeys []string, read store.Projection) ([]store.Lead, error) {
	sel, err := selectionOf(read)
	if err != nil {
		return nil, err
	}
	cond, args := s.keys.KeyWhere(ids, externalKeys)
	if cond == "" {
		return nil, nil
	}
	return s.query(ctx, sel, len(ids)+len(externalKeys), "SELECT "+sel.list+" FROM leads WHERE "+cond, args...)
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, keys []store.Key) ([]store.DeleteResult, error) {
	return sqldb.DeleteKeys(ctx, s.keys, keys)
}

// CountReferences implements store.Store.
func (s *Store) CountReferences(ctx context.Context, companyKeys, salesPersonKeys []string) (map[string]int, map[string]int, error) {
	if len(companyKeys) > store.MaxBatch || len(salesPersonKeys) > store.MaxBatch {
		return nil, nil, fmt.Errorf("%w: at most %d keys of each kind", store.ErrInvalid, store.MaxBatch)
	}
	companies, err := sqldb.CountBy(ctx, s.DB, "leads", "external_company_key", sqldb.NonEmpty(companyKeys))
	if err != nil {
		return nil, nil, err
	}
	salesPersons, err := sqldb.CountBy(ctx, s.DB, "leads", "external_sales_person_key", sqldb.NonEmpty(salesPersonKeys))
	if err != nil {
		return nil, nil, err
	}
	return companies, salesPersons, nil
}

func fieldNames(fs []store.Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

// CountAll implements store.Store.
func (s *Store) CountAll(ctx context.Context) (int64, error) {
	return s.keys.Count(ctx)
}
