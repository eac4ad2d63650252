package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

const crmUserColumns = "ext_key, external_sales_person_id, source, email, full_name, active, update_time"

// PutCrmUsers implements store.Store.
func (s *Store) PutCrmUsers(ctx context.Context, users []store.CrmUser, now time.Time) (int, error) {
	// The last report of a key wins; rows go in key order so that concurrent writers on
	// PostgreSQL lock them in the same order.
	byKey := make(map[string]store.CrmUser, len(users))
	for _, u := range users {
		byKey[store.MatchKey(u.ExternalSalesPersonID)] = u
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cols := strings.Split(crmUserColumns, ", ")
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(keys); start += insertChunk {
			chunk := keys[start:min(start+insertChunk, len(keys))]
			args := make([]any, 0, len(chunk)*len(cols))
			for _, k := range chunk {
				u := byKey[k]
				args = append(args, k, u.ExternalSalesPersonID, u.Source, u.Email, u.FullName, u.Active, micros(now))
			}
			q := sqldb.InsertRows("crm_users", cols, len(chunk)) + " ON CONFLICT (ext_key) DO UPDATE SET " +
				"external_sales_person_id = excluded.external_sales_person_id, source = excluded.source, email = excluded.email, " +
				"full_name = excluded.full_name, active = excluded.active, update_time = excluded.update_time"
			if _, err := tx.ExecContext(ctx, s.db.Rebind(q), args...); err != nil {
				return fmt.Errorf("storing CRM users: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(keys), nil
}

func (s *Store) queryCrmUsers(ctx context.Context, query string, args ...any) ([]store.CrmUser, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("reading CRM users: %w", err)
	}
	defer rows.Close()
	var out []store.CrmUser
	for rows.Next() {
		var u store.CrmUser
		var key string
		var update int64
		if err := rows.Scan(&key, &u.ExternalSalesPersonID, &u.Source, &u.Email, &u.FullName, &u.Active, &update); err != nil {
			return nil, fmt.Errorf("reading CRM users: %w", err)
		}
		u.UpdateTime = fromMicros(update)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading CRM users: %w", err)
	}
	return out, nil
}

// GetCrmUsers implements store.Store.
func (s *Store) GetCrmUsers(ctx context.Context, externalIDs []string) ([]store.CrmUser, error) {
	keys := make([]string, 0, len(externalIDs))
	for _, id := range externalIDs {
		keys = append(keys, store.MatchKey(id))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	var out []store.CrmUser
	for start := 0; start < len(keys); start += inChunk {
		ph, args := sqldb.In(keys[start:min(start+inChunk, len(keys))])
		got, err := s.queryCrmUsers(ctx, "SELECT "+crmUserColumns+" FROM crm_users WHERE ext_key IN ("+ph+") ORDER BY ext_key", args...)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// ListCrmUsers implements store.Store.
func (s *Store) ListCrmUsers(ctx context.Context, after string, activeOnly bool, limit int) ([]store.CrmUser, error) {
	q := "SELECT " + crmUserColumns + " FROM crm_users WHERE ext_key > ?"
	if activeOnly {
		q += " AND active = TRUE"
	}
	return s.queryCrmUsers(ctx, q+" ORDER BY ext_key LIMIT ?", after, limit)
}

// findingKey is a finding's stored key.
type findingKey struct {
	t    store.ObjectType
	key  string
	kind store.CrmFindingKind
}

func (a findingKey) compare(b findingKey) int {
	if a.t != b.t {
		return int(a.t) - int(b.t)
	}
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	return int(a.kind) - int(b.kind)
}

func storedKey(k store.CrmFindingKey) findingKey {
	return findingKey{t: k.ObjectType, key: store.MatchKey(k.ExternalID), kind: k.Kind}
}

// ReportCrmFindings implements store.Store.
func (s *Store) ReportCrmFindings(ctx context.Context, findings []store.CrmFinding, resolved []store.CrmFindingKey, now time.Time) (int, int, error) {
	gone := make([]findingKey, 0, len(resolved))
	for _, k := range resolved {
		gone = append(gone, storedKey(k))
	}
	slices.SortFunc(gone, findingKey.compare)
	gone = slices.Compact(gone)
	byKey := make(map[findingKey]store.CrmFinding, len(findings))
	for _, f := range findings {
		byKey[storedKey(f.CrmFindingKey)] = f
	}
	keys := make([]findingKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, findingKey.compare)

	cols := []string{"object_type", "ext_key", "kind", "external_id", "source", "message", "update_time"}
	var deleted int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		deleted = 0
		for start := 0; start < len(gone); start += inChunk {
			chunk := gone[start:min(start+inChunk, len(gone))]
			rows := make([]string, len(chunk))
			args := make([]any, 0, 3*len(chunk))
			for i, k := range chunk {
				// PostgreSQL types untyped VALUES parameters as text: say they are numbers.
				rows[i] = "(CAST(? AS BIGINT), ?, CAST(? AS BIGINT))"
				args = append(args, int(k.t), k.key, int(k.kind))
			}
			res, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM crm_findings WHERE (object_type, ext_key, kind) IN (VALUES "+strings.Join(rows, ", ")+")"), args...)
			if err != nil {
				return fmt.Errorf("deleting resolved CRM findings: %w", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			deleted += n
		}
		for start := 0; start < len(keys); start += insertChunk {
			chunk := keys[start:min(start+insertChunk, len(keys))]
			args := make([]any, 0, len(chunk)*len(cols))
			for _, k := range chunk {
				f := byKey[k]
				args = append(args, int(k.t), k.key, int(k.kind), f.ExternalID, f.Source, f.Message, micros(now))
			}
			q := sqldb.InsertRows("crm_findings", cols, len(chunk)) + " ON CONFLICT (object_type, ext_key, kind) DO UPDATE SET " +
				"external_id = excluded.external_id, source = excluded.source, message = excluded.message, update_time = excluded.update_time"
			if _, err := tx.ExecContext(ctx, s.db.Rebind(q), args...); err != nil {
				return fmt.Errorf("storing CRM findings: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return len(keys), int(deleted), nil
}

// crmFindingWhere returns the WHERE clause (possibly empty) and arguments of a query's
// filters, with its After position when withAfter.
func crmFindingWhere(q store.CrmFindingQuery, withAfter bool) (string, []any) {
	var where []string
	var args []any
	if q.ObjectType != 0 {
		where = append(where, "object_type = ?")
		args = append(args, int(q.ObjectType))
	}
	if q.ExternalID != "" {
		where = append(where, "ext_key = ?")
		args = append(args, store.MatchKey(q.ExternalID))
	}
	if q.ExternalIDs != nil {
		ph := make([]string, len(q.ExternalIDs))
		for i, id := range q.ExternalIDs {
			ph[i] = "?"
			args = append(args, store.MatchKey(id))
		}
		where = append(where, "ext_key IN ("+strings.Join(append(ph, "NULL"), ", ")+")") // NULL: an empty list matches nothing
	}
	if q.Kind != 0 {
		where = append(where, "kind = ?")
		args = append(args, int(q.Kind))
	}
	if withAfter && q.After.ObjectType != 0 {
		a := storedKey(q.After)
		where = append(where, "(object_type > ? OR (object_type = ? AND (ext_key > ? OR (ext_key = ? AND kind > ?))))")
		args = append(args, int(a.t), int(a.t), a.key, a.key, int(a.kind))
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// ListCrmFindings implements store.Store.
func (s *Store) ListCrmFindings(ctx context.Context, q store.CrmFindingQuery) ([]store.CrmFinding, error) {
	where, args := crmFindingWhere(q, true)
	query := "SELECT object_type, kind, external_id, source, message, update_time FROM crm_findings" + where + " ORDER BY object_type, ext_key, kind"
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("reading CRM findings: %w", err)
	}
	defer rows.Close()
	var out []store.CrmFinding
	for rows.Next() {
		var f store.CrmFinding
		var update int64
		if err := rows.Scan(&f.ObjectType, &f.Kind, &f.ExternalID, &f.Source, &f.Message, &update); err != nil {
			return nil, fmt.Errorf("reading CRM findings: %w", err)
		}
		f.UpdateTime = fromMicros(update)
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading CRM findings: %w", err)
	}
	return out, nil
}

// CountCrmFindings implements store.Store.
func (s *Store) CountCrmFindings(ctx context.Context, q store.CrmFindingQuery) (int, error) {
	where, args := crmFindingWhere(q, false)
	var n int
	if err := s.db.QueryRowContext(ctx, s.db.Rebind("SELECT COUNT(*) FROM crm_findings"+where), args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting CRM findings: %w", err)
	}
	return n, nil
}
