// Package sqlstore is the identity store on SQLite or PostgreSQL: one implementation, with
// the SQL both engines share and per-engine migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
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

// Store implements store.Store over database/sql.
type Store struct {
	db *sqldb.DB
}

var _ store.Store = (*Store)(nil)

// Open opens and migrates the identity database that cfg names.
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

// Write implements store.Store.
func (s *Store) Write(ctx context.Context, writes []store.Write) ([]store.WriteResult, error) {
	if len(writes) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d writes, at most %d", store.ErrInvalid, len(writes), store.MaxBatch)
	}
	for i, w := range writes {
		if w.ID == 0 && w.ExternalID.Key == "" {
			return nil, fmt.Errorf("%w: write %d has no key", store.ErrInvalid, i)
		}
		if w.ID != 0 && w.Mode != records.UpdateOnly {
			return nil, fmt.Errorf("%w: write %d is keyed by id but does not update only", store.ErrInvalid, i)
		}
		for f := range w.Fields {
			if !validField(f) {
				return nil, fmt.Errorf("%w: unknown field %q", store.ErrInvalid, f)
			}
		}
	}
	results := make([]store.WriteResult, len(writes))
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		byKey, byID, err := s.existing(ctx, tx, writes)
		if err != nil {
			return err
		}
		now := time.Now().UTC().UnixMicro()
		var inserts []int
		var updates []int
		for i, w := range writes {
			id, found := byKey[w.ExternalID.Key], false
			if w.ID != 0 {
				id, found = w.ID, byID[w.ID]
			} else {
				found = id != 0
			}
			switch outcome := records.Decide(w.Mode, found); outcome {
			case records.Created:
				inserts = append(inserts, i)
			case records.Updated:
				updates = append(updates, i)
				fallthrough
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
		for _, i := range raced {
			var id int32
			if err := tx.QueryRowContext(ctx, s.db.Rebind("SELECT id FROM sales_persons WHERE external_key = ?"), writes[i].ExternalID.Key).Scan(&id); err != nil {
				return fmt.Errorf("reading concurrently created sales person: %w", err)
			}
			outcome := records.Decide(writes[i].Mode, true)
			results[i] = store.WriteResult{Outcome: outcome, ID: id}
			if outcome == records.Updated {
				updates = append(updates, i)
			}
		}
		for _, i := range updates {
			if err := s.update(ctx, tx, results[i].ID, writes[i].Fields, now); err != nil {
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

// existing finds which of the writes' keys are already stored.
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
	byKey := make(map[string]int32, len(keys))
	byID := make(map[int32]bool, len(ids))
	if len(keys) > 0 {
		in, args := sqldb.In(keys)
		rows, err := tx.QueryContext(ctx, s.db.Rebind("SELECT id, external_key FROM sales_persons WHERE external_key IN ("+in+")"), args...)
		if err != nil {
			return nil, nil, fmt.Errorf("finding existing sales persons: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int32
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				return nil, nil, fmt.Errorf("finding existing sales persons: %w", err)
			}
			byKey[key] = id
		}
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("finding existing sales persons: %w", err)
		}
	}
	if len(ids) > 0 {
		in, args := sqldb.In(ids)
		rows, err := tx.QueryContext(ctx, s.db.Rebind("SELECT id FROM sales_persons WHERE id IN ("+in+")"), args...)
		if err != nil {
			return nil, nil, fmt.Errorf("finding existing sales persons: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int32
			if err := rows.Scan(&id); err != nil {
				return nil, nil, fmt.Errorf("finding existing sales persons: %w", err)
			}
			byID[id] = true
		}
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("finding existing sales persons: %w", err)
		}
	}
	return byKey, byID, nil
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
		email := w.Fields[store.FieldEmail]
		args = append(args, w.ExternalID.Canonical, w.ExternalID.Key, email, extid.Fold(email),
			w.Fields[store.FieldFirstName], w.Fields[store.FieldLastName], w.Fields[store.FieldTitle],
			w.Fields[store.FieldPhone], w.Fields[store.FieldMobilePhone], w.Fields[store.FieldFax], now, now)
	}
	q := sqldb.InsertRows("sales_persons", insertColumns, len(idx)) + " ON CONFLICT (external_key) DO NOTHING RETURNING id, external_key"
	rows, err := tx.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("creating sales persons: %w", err)
	}
	defer rows.Close()
	created := make(map[string]int32, len(idx))
	for rows.Next() {
		var id int32
		var key string
		if err := rows.Scan(&id, &key); err != nil {
			return nil, fmt.Errorf("creating sales persons: %w", err)
		}
		created[key] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("creating sales persons: %w", err)
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
	if _, err := tx.ExecContext(ctx, s.db.Rebind("UPDATE sales_persons SET "+sqldb.SetList(cols)+" WHERE id = ?"), args...); err != nil {
		return fmt.Errorf("updating sales person %d: %w", id, err)
	}
	return nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, f store.Filter) ([]store.SalesPerson, error) {
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
	case store.ByEmail:
		col = "email_key"
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
	q := "SELECT " + columns + " FROM sales_persons WHERE " + col + " IN (" + sqldb.Placeholders(len(vals)) + ") AND id > ? ORDER BY id LIMIT ?"
	return s.query(ctx, s.db, q, args...)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, ids []int32, externalKeys []string) ([]store.SalesPerson, error) {
	return s.get(ctx, s.db, ids, externalKeys)
}

func (s *Store) get(ctx context.Context, q sqldb.Querier, ids []int32, externalKeys []string) ([]store.SalesPerson, error) {
	var conds []string
	var args []any
	if len(ids) > 0 {
		conds = append(conds, "id IN ("+sqldb.Placeholders(len(ids))+")")
		for _, id := range ids {
			args = append(args, id)
		}
	}
	if len(externalKeys) > 0 {
		conds = append(conds, "external_key IN ("+sqldb.Placeholders(len(externalKeys))+")")
		for _, k := range externalKeys {
			args = append(args, k)
		}
	}
	if len(conds) == 0 {
		return nil, nil
	}
	return s.query(ctx, q, "SELECT "+columns+" FROM sales_persons WHERE "+strings.Join(conds, " OR "), args...)
}

func (s *Store) query(ctx context.Context, db sqldb.Querier, q string, args ...any) ([]store.SalesPerson, error) {
	rows, err := db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("reading sales persons: %w", err)
	}
	defer rows.Close()
	var out []store.SalesPerson
	for rows.Next() {
		var p store.SalesPerson
		var created, updated int64
		if err := rows.Scan(&p.ID, &p.ExternalID, &p.Email, &p.FirstName, &p.LastName, &p.Title, &p.Phone, &p.MobilePhone, &p.Fax, &created, &updated); err != nil {
			return nil, fmt.Errorf("reading sales persons: %w", err)
		}
		p.CreatedAt = time.UnixMicro(created).UTC()
		p.UpdatedAt = time.UnixMicro(updated).UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading sales persons: %w", err)
	}
	return out, nil
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, keys []store.Key) ([]store.DeleteResult, error) {
	if len(keys) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d keys, at most %d", store.ErrInvalid, len(keys), store.MaxBatch)
	}
	results := make([]store.DeleteResult, len(keys))
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var ids []int32
		var extKeys []string
		for _, k := range keys {
			if k.ID != 0 {
				ids = append(ids, k.ID)
			} else {
				extKeys = append(extKeys, k.ExternalKey)
			}
		}
		found, err := s.get(ctx, tx, ids, extKeys)
		if err != nil {
			return err
		}
		byID := make(map[int32]bool, len(found))
		byKey := make(map[string]int32, len(found))
		for _, p := range found {
			byID[p.ID] = true
			byKey[extid.Key(p.ExternalID)] = p.ID
		}
		var doomed []any
		for i, k := range keys {
			id := k.ID
			if id == 0 {
				id = byKey[k.ExternalKey]
			}
			if id == 0 || !byID[id] {
				continue
			}
			delete(byID, id) // a second key for the same record finds it gone
			results[i] = store.DeleteResult{Deleted: true, ID: id}
			doomed = append(doomed, id)
		}
		if len(doomed) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM sales_persons WHERE id IN ("+sqldb.Placeholders(len(doomed))+")"), doomed...); err != nil {
			return fmt.Errorf("deleting sales persons: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func validField(f store.Field) bool {
	for _, g := range store.Fields {
		if f == g {
			return true
		}
	}
	return false
}
