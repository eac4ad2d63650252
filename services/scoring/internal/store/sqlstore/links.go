package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// linkColumns are the columns a link upsert sets, in argument order.
var linkColumns = []string{"lead_id", "external_person_id", "person_key", "owner_id", "owner_key"}

// SyncLinks implements store.Store.
func (s *Store) SyncLinks(ctx context.Context, links []store.Link) error {
	if err := checkBatch(len(links)); err != nil {
		return err
	}
	last := make(map[int32]int, len(links))
	for i, l := range links {
		if l.LeadID <= 0 {
			return fmt.Errorf("%w: link %d has lead id %d", store.ErrInvalid, i, l.LeadID)
		}
		last[l.LeadID] = i
	}
	if len(links) == 0 {
		return nil
	}
	args := make([]any, 0, len(last)*len(linkColumns))
	for i, l := range links {
		if last[l.LeadID] == i {
			args = append(args, l.LeadID, l.PersonID, l.PersonKey, l.OwnerID, l.OwnerKey)
		}
	}
	q := sqldb.InsertRows("leads", linkColumns, len(last)) + " ON CONFLICT (lead_id) DO UPDATE SET " +
		"external_person_id = excluded.external_person_id, person_key = excluded.person_key, owner_id = excluded.owner_id, owner_key = excluded.owner_key"
	ids := make([]any, 0, len(last))
	for id := range last {
		ids = append(ids, id)
	}
	return s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		before, err := s.leads(ctx, tx, "lead_id", ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind(q), args...); err != nil {
			return fmt.Errorf("storing lead links: %w", err)
		}
		// A lead with MSI values that now has another CRM id (a CRM lead qualified into a
		// contact, say) gets a feed entry with all its values, so that the writeback fills
		// in the new CRM row at once.
		var moved []*lead
		var fields []model.Field
		for _, l := range before {
			n := links[last[l.link.LeadID]]
			if n.PersonKey == l.link.PersonKey || n.PersonKey == "" || l.st.UpdatedAt.IsZero() {
				continue
			}
			l.link = n
			moved, fields = append(moved, l), append(fields, allFields)
		}
		return s.appendChanges(ctx, tx, moved, fields, now)
	})
}

// allFields are all the MSI fields a feed entry can list.
const allFields = model.FieldLeadScore | model.FieldUrgency | model.FieldRelativeScore | model.FieldRelativeUrgency | model.FieldPriority |
	model.FieldMomentType | model.FieldMomentDate | model.FieldMomentDesc | model.FieldMomentSource

// DeleteLeads implements store.Store.
func (s *Store) DeleteLeads(ctx context.Context, leadIDs []int32) error {
	if err := checkBatch(len(leadIDs)); err != nil {
		return err
	}
	if len(leadIDs) == 0 {
		return nil
	}
	in, args := sqldb.In(leadIDs)
	return s.write(ctx, func(tx *sql.Tx, _ time.Time) error {
		if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM activities WHERE lead_id IN ("+in+")"), args...); err != nil {
			return fmt.Errorf("deleting activities: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM leads WHERE lead_id IN ("+in+")"), args...); err != nil {
			return fmt.Errorf("deleting leads: %w", err)
		}
		return nil
	})
}

// Insights implements store.Store.
func (s *Store) Insights(ctx context.Context, leadIDs []int32) ([]store.Insight, error) {
	if err := checkBatch(len(leadIDs)); err != nil {
		return nil, err
	}
	seen := make(map[int32]bool, len(leadIDs))
	var ids []any
	for _, id := range leadIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	found, err := s.leads(ctx, s.db, "lead_id", ids)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	byID := make(map[int32]*lead, len(found))
	for _, l := range found {
		byID[l.link.LeadID] = l
	}
	out := make([]store.Insight, 0, len(ids))
	for _, v := range ids {
		id := v.(int32)
		if l, ok := byID[id]; ok {
			out = append(out, s.insight(l, now))
		} else {
			out = append(out, store.Insight{LeadID: id})
		}
	}
	return out, nil
}

// BestBets implements store.Store.
func (s *Store) BestBets(ctx context.Context, ownerKey string, after *store.BestBetsCursor, limit int) ([]store.Insight, error) {
	if limit < 1 || limit > store.MaxBatch+1 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, limit)
	}
	if ownerKey == "" {
		return nil, fmt.Errorf("%w: no owner", store.ErrInvalid)
	}
	q := "SELECT " + leadColumns + " FROM leads WHERE owner_key = ? AND priority > 0"
	args := []any{ownerKey}
	if after != nil {
		q += " AND (priority < ? OR (priority = ? AND lead_id > ?))"
		args = append(args, after.Priority, after.Priority, after.LeadID)
	}
	q += " ORDER BY priority DESC, lead_id LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("reading best bets: %w", err)
	}
	defer rows.Close()
	now := s.clock()
	var out []store.Insight
	for rows.Next() {
		l, err := scanLead(rows)
		if err != nil {
			return nil, fmt.Errorf("reading best bets: %w", err)
		}
		out = append(out, s.insight(l, now))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading best bets: %w", err)
	}
	return out, nil
}
