package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/opportunity/internal/store"
)

// roleColumns lists what every read of a role selects, in scan order.
const roleColumns = "seq, marketo_guid, external_opportunity_id, lead_id, role, is_primary, external_created_date, created_at, updated_at"

// roleInsertColumns are the columns a create sets, in argument order.
var roleInsertColumns = []string{"marketo_guid", "external_opportunity_id", "external_opportunity_key", "lead_id", "role", "role_key", "is_primary", "external_created_date", "created_at", "updated_at"}

// roleTable is the opportunity_roles table, keyed by marketoGUID and paged by seq. Its
// compound key has no column of its own: getRoles reads by it, and KeyOf is its Match.
func roleTable(db *sqldb.DB) *sqldb.Table[store.Role, string] {
	return &sqldb.Table[store.Role, string]{
		DB: db, Name: "opportunity_roles", What: "opportunity roles", IDColumn: "marketo_guid",
		OrderColumn: "seq", Columns: roleColumns, Scan: scanRole,
		IDOf:  func(r store.Role) string { return r.GUID },
		KeyOf: func(r store.Role) string { return roleKeyOf(r).Match() },
	}
}

// roleKeyOf returns the compound key of a stored role.
func roleKeyOf(r store.Role) store.RoleKey {
	return store.RoleKey{ExternalOpportunityID: extid.ID{Canonical: r.ExternalOpportunityID, Key: extid.Key(r.ExternalOpportunityID)}, LeadID: r.LeadID, Role: r.Role}
}

func validRoleKey(k store.RoleKey) bool {
	return k.ExternalOpportunityID.Key != "" && k.LeadID > 0 && k.Role != ""
}

// WriteRoles implements store.Roles.
func (s *Store) WriteRoles(ctx context.Context, writes []store.RoleWrite) ([]store.WriteResult, error) {
	if len(writes) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d writes, at most %d", store.ErrInvalid, len(writes), store.MaxBatch)
	}
	for i, w := range writes {
		if w.GUID == "" && !validRoleKey(w.Key) {
			return nil, fmt.Errorf("%w: write %d has no GUID and an incomplete compound key", store.ErrInvalid, i)
		}
		if w.GUID != "" && w.Mode != records.UpdateOnly {
			return nil, fmt.Errorf("%w: write %d is keyed by GUID but does not update only", store.ErrInvalid, i)
		}
	}
	results := make([]store.WriteResult, len(writes))
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var guids []string
		var keys []store.RoleKey
		for _, w := range writes {
			if w.GUID != "" {
				guids = append(guids, w.GUID)
			} else {
				keys = append(keys, w.Key)
			}
		}
		found, err := s.getRoles(ctx, tx, guids, keys)
		if err != nil {
			return err
		}
		byKey := make(map[string]string, len(found))
		byGUID := make(map[string]bool, len(found))
		for _, r := range found {
			byKey[roleKeyOf(r).Match()] = r.GUID
			byGUID[r.GUID] = true
		}
		now := time.Now().UTC().UnixMicro()
		var inserts, updates []int
		for i, w := range writes {
			var guid string
			if w.GUID != "" {
				if byGUID[w.GUID] {
					guid = w.GUID
				}
			} else {
				guid = byKey[w.Key.Match()]
			}
			switch outcome := records.Decide(w.Mode, guid != ""); outcome {
			case records.Created:
				inserts = append(inserts, i)
			case records.Updated:
				updates = append(updates, i)
				fallthrough
			default:
				results[i] = store.WriteResult{Outcome: outcome, GUID: guid}
			}
		}
		raced, err := s.insertRoles(ctx, tx, writes, inserts, results, now)
		if err != nil {
			return err
		}
		// A concurrent writer created some keys between our read and our insert: they now
		// exist, so apply the existing-record rule to them.
		if len(raced) > 0 {
			keys := make([]store.RoleKey, len(raced))
			for n, i := range raced {
				keys[n] = writes[i].Key
			}
			again, err := s.getRoles(ctx, tx, nil, keys)
			if err != nil {
				return err
			}
			for _, r := range again {
				byKey[roleKeyOf(r).Match()] = r.GUID
			}
			for _, i := range raced {
				guid, ok := byKey[writes[i].Key.Match()]
				if !ok {
					return fmt.Errorf("opportunity role %q neither created nor found", writes[i].Key.Match())
				}
				outcome := records.Decide(writes[i].Mode, true)
				results[i] = store.WriteResult{Outcome: outcome, GUID: guid}
				if outcome == records.Updated {
					updates = append(updates, i)
				}
			}
		}
		for _, i := range updates {
			if err := s.updateRole(ctx, tx, results[i].GUID, writes[i].Fields, now); err != nil {
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

// insertRoles creates the records at the given indexes with one multi-row statement, fills
// their results, and returns the indexes whose key another writer created first.
func (s *Store) insertRoles(ctx context.Context, tx *sql.Tx, writes []store.RoleWrite, idx []int, results []store.WriteResult, now int64) ([]int, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(idx)*len(roleInsertColumns))
	for _, i := range idx {
		w := writes[i]
		primary, _ := value(w.Fields.IsPrimary, false)
		created, _ := date(w.Fields.ExternalCreatedDate)
		args = append(args, newGUID(), w.Key.ExternalOpportunityID.Canonical, w.Key.ExternalOpportunityID.Key, w.Key.LeadID,
			w.Key.Role, store.FoldRole(w.Key.Role), primary, created, now, now)
	}
	q := sqldb.InsertRows("opportunity_roles", roleInsertColumns, len(idx)) +
		" ON CONFLICT (external_opportunity_key, lead_id, role_key) DO NOTHING RETURNING marketo_guid, external_opportunity_id, lead_id, role"
	rows, err := tx.QueryContext(ctx, s.DB.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("creating opportunity roles: %w", err)
	}
	defer rows.Close()
	created := make(map[string]string, len(idx))
	for rows.Next() {
		var r store.Role
		if err := rows.Scan(&r.GUID, &r.ExternalOpportunityID, &r.LeadID, &r.Role); err != nil {
			return nil, fmt.Errorf("creating opportunity roles: %w", err)
		}
		created[roleKeyOf(r).Match()] = r.GUID
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("creating opportunity roles: %w", err)
	}
	var raced []int
	for _, i := range idx {
		if guid, ok := created[writes[i].Key.Match()]; ok {
			results[i] = store.WriteResult{Outcome: records.Created, GUID: guid}
		} else {
			raced = append(raced, i)
		}
	}
	return raced, nil
}

// updateRole sets the given fields of one record.
func (s *Store) updateRole(ctx context.Context, tx *sql.Tx, guid string, f store.RoleFields, now int64) error {
	var cols []string
	var args []any
	if v, set := value(f.IsPrimary, false); set {
		cols = append(cols, "is_primary")
		args = append(args, v)
	}
	if v, set := date(f.ExternalCreatedDate); set {
		cols = append(cols, "external_created_date")
		args = append(args, v)
	}
	cols = append(cols, "updated_at")
	args = append(args, now, guid)
	if _, err := tx.ExecContext(ctx, s.DB.Rebind("UPDATE opportunity_roles SET "+sqldb.SetList(cols)+" WHERE marketo_guid = ?"), args...); err != nil {
		return fmt.Errorf("updating opportunity role %s: %w", guid, err)
	}
	return nil
}

// ListRoles implements store.Roles.
func (s *Store) ListRoles(ctx context.Context, f store.RoleFilter) ([]store.Role, error) {
	if len(f.Values) > store.MaxBatch || len(f.LeadIDs) > store.MaxBatch {
		return nil, fmt.Errorf("%w: more than %d filter values", store.ErrInvalid, store.MaxBatch)
	}
	_, values := sqldb.In(f.Values)
	switch f.By {
	case store.RoleByGUID:
		return s.roles.List(ctx, "marketo_guid", values, f.AfterSeq, f.Limit)
	case store.RoleByOpportunityKey:
		return s.roles.List(ctx, "external_opportunity_key", values, f.AfterSeq, f.Limit)
	case store.RoleByLeadID:
		_, leads := sqldb.In(f.LeadIDs)
		return s.roles.List(ctx, "lead_id", leads, f.AfterSeq, f.Limit)
	}
	return nil, fmt.Errorf("%w: filter field %d", store.ErrInvalid, f.By)
}

// GetRoles implements store.Roles.
func (s *Store) GetRoles(ctx context.Context, guids []string, keys []store.RoleKey) ([]store.Role, error) {
	return s.getRoles(ctx, s.DB, guids, keys)
}

// getRoles reads the roles with one of guids or one of keys in one query. Each compound key
// is its own AND term of the OR: both engines answer that with the unique index (a row-value
// IN list beside the GUID IN list makes them scan the table).
func (s *Store) getRoles(ctx context.Context, q sqldb.Querier, guids []string, keys []store.RoleKey) ([]store.Role, error) {
	var conds []string
	var args []any
	if len(guids) > 0 {
		ph, a := sqldb.In(guids)
		conds = append(conds, "marketo_guid IN ("+ph+")")
		args = append(args, a...)
	}
	for _, k := range keys {
		conds = append(conds, "(external_opportunity_key = ? AND lead_id = ? AND role_key = ?)")
		args = append(args, k.ExternalOpportunityID.Key, k.LeadID, store.FoldRole(k.Role))
	}
	if len(conds) == 0 {
		return nil, nil
	}
	return s.roles.Select(ctx, q, "("+strings.Join(conds, " OR ")+")", args...)
}

// scanRole reads one row of roleColumns.
func scanRole(rows *sql.Rows, r *store.Role) error {
	var externalCreated sql.NullInt64
	var created, updated int64
	if err := rows.Scan(&r.Seq, &r.GUID, &r.ExternalOpportunityID, &r.LeadID, &r.Role, &r.IsPrimary, &externalCreated, &created, &updated); err != nil {
		return err
	}
	r.ExternalCreatedDate = fromMicros(externalCreated)
	r.CreatedAt = time.UnixMicro(created).UTC()
	r.UpdatedAt = time.UnixMicro(updated).UTC()
	return nil
}

// DeleteRoles implements store.Roles.
func (s *Store) DeleteRoles(ctx context.Context, lookups []store.RoleLookup) ([]store.DeleteResult, error) {
	if len(lookups) > store.MaxBatch {
		return nil, fmt.Errorf("%w: %d keys, at most %d", store.ErrInvalid, len(lookups), store.MaxBatch)
	}
	var deleted []string
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var guids []string
		var keys []store.RoleKey
		for _, l := range lookups {
			if l.GUID != "" {
				guids = append(guids, l.GUID)
			} else if validRoleKey(l.Key) {
				keys = append(keys, l.Key)
			}
		}
		found, err := s.getRoles(ctx, tx, guids, keys)
		if err != nil {
			return err
		}
		deleted, err = s.roles.DeleteFound(ctx, tx, len(lookups), func(i int) (string, string) {
			if l := lookups[i]; l.GUID != "" || !validRoleKey(l.Key) {
				return l.GUID, ""
			}
			return "", lookups[i].Key.Match()
		}, found)
		return err
	})
	return sqldb.Convert(deleted, err, func(guid string) store.DeleteResult { return store.DeleteResult{Deleted: guid != "", GUID: guid} })
}

// CountRoleReferences implements store.Roles.
func (s *Store) CountRoleReferences(ctx context.Context, opportunityKeys []string, leadIDs []int32) ([]store.ReferenceCount, []store.ReferenceCount, error) {
	if err := checkCount(len(opportunityKeys), "opportunity keys"); err != nil {
		return nil, nil, err
	}
	if err := checkCount(len(leadIDs), "lead ids"); err != nil {
		return nil, nil, err
	}
	opportunities, err := countBy(ctx, s, "opportunity_roles", "external_opportunity_key", opportunityKeys, func(k string) store.ReferenceCount { return store.ReferenceCount{Key: k} })
	if err != nil {
		return nil, nil, err
	}
	leads, err := countBy(ctx, s, "opportunity_roles", "lead_id", leadIDs, func(id int32) store.ReferenceCount { return store.ReferenceCount{ID: id} })
	if err != nil {
		return nil, nil, err
	}
	return opportunities, leads, nil
}
