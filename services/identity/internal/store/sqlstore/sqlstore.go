// Package sqlstore is the identity store on SQLite or PostgreSQL: one implementation, with
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
	"github.com/msisync/msisync/services/identity/internal/store"
)

//go:embed migrations
var migrations embed.FS

// serviceName names the SQLite file and the PostgreSQL schema.
const serviceName = "identity"

// insertColumns are the columns a create sets, in argument order.
var insertColumns = []string{"external_id", "external_key", "email", "email_key", "first_name", "last_name", "title", "phone", "mobile_phone", "fax", "created_at", "updated_at"}

// columns lists what every read selects, in scan order.
const columns = "id, external_id, email, first_name, last_name, title, phone, mobile_phone, fax, created_at, updated_at"

// Store implements store.Store over database/sql. It owns its database, whose Secret and
// Close are its own.
type Store struct {
	*sqldb.DB
	t *sqldb.Table[store.SalesPerson, int32]
}

var _ store.Store = (*Store)(nil)

// Open opens and migrates the identity database that cfg names.
func Open(ctx context.Context, cfg config.Store, log *slog.Logger) (*Store, error) {
	db, err := sqldb.OpenEmbedded(ctx, serviceName, cfg, migrations, log)
	if err != nil {
		return nil, err
	}
	return &Store{DB: db, t: &sqldb.Table[store.SalesPerson, int32]{
		DB: db, Name: "sales_persons", What: "sales persons", IDColumn: "id", KeyColumn: "external_key",
		Columns: columns, Scan: scan,
		IDOf:  func(p store.SalesPerson) int32 { return p.ID },
		KeyOf: func(p store.SalesPerson) string { return extid.Key(p.ExternalID) },
	}}, nil
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
		email := w.Fields[store.FieldEmail]
		return []any{w.ExternalID.Canonical, w.ExternalID.Key, email, extid.Fold(email),
			w.Fields[store.FieldFirstName], w.Fields[store.FieldLastName], w.Fields[store.FieldTitle],
			w.Fields[store.FieldPhone], w.Fields[store.FieldMobilePhone], w.Fields[store.FieldFax], now, now}, true
	}, func(ctx context.Context, tx *sql.Tx, i int, id int32, now int64) error {
		return s.update(ctx, tx, id, writes[i].Fields, now)
	})
	return sqldb.Convert(out, err, func(r sqldb.Written[int32]) store.WriteResult {
		return store.WriteResult{Outcome: r.Outcome, ID: r.ID}
	})
}

// update sets the given fields of one record.
func (s *Store) update(ctx context.Context, tx *sql.Tx, id int32, fields map[store.Field]string, now int64) error {
	var cols []string
	args := make([]any, 0, len(fields)+3)
	for _, f := range store.Fields {
		v, ok := fields[f]
		if !ok {
			continue
		}
		cols = append(cols, string(f))
		args = append(args, v)
		if f == store.FieldEmail {
			cols = append(cols, "email_key")
			args = append(args, extid.Fold(v))
		}
	}
	cols = append(cols, "updated_at")
	args = append(args, now, id)
	if _, err := tx.ExecContext(ctx, s.DB.Rebind("UPDATE sales_persons SET "+sqldb.SetList(cols)+" WHERE id = ?"), args...); err != nil {
		return fmt.Errorf("updating sales person %d: %w", id, err)
	}
	return nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, f store.Filter) ([]store.SalesPerson, error) {
	_, ids := sqldb.In(f.IDs)
	_, keys := sqldb.In(f.Keys)
	switch f.By {
	case store.ByID:
		return s.t.List(ctx, "id", ids, f.AfterID, f.Limit)
	case store.ByExternalKey:
		return s.t.List(ctx, "external_key", keys, f.AfterID, f.Limit)
	case store.ByEmail:
		return s.t.List(ctx, "email_key", keys, f.AfterID, f.Limit)
	}
	return nil, fmt.Errorf("%w: filter field %d", store.ErrInvalid, f.By)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, ids []int32, externalKeys []string) ([]store.SalesPerson, error) {
	return s.t.Get(ctx, s.DB, ids, externalKeys)
}

// scan reads one row of columns.
func scan(rows *sql.Rows, p *store.SalesPerson) error {
	var created, updated int64
	if err := rows.Scan(&p.ID, &p.ExternalID, &p.Email, &p.FirstName, &p.LastName, &p.Title, &p.Phone, &p.MobilePhone, &p.Fax, &created, &updated); err != nil {
		return err
	}
	p.CreatedAt = time.UnixMicro(created).UTC()
	p.UpdatedAt = time.UnixMicro(updated).UTC()
	return nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, keys []store.Key) ([]store.DeleteResult, error) {
	return sqldb.DeleteKeys(ctx, s.t, keys)
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context) (int64, error) {
	return s.t.Count(ctx)
}
