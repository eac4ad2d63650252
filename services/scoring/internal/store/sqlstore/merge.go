package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// MergeLeads implements store.Store.
func (s *Store) MergeLeads(ctx context.Context, merges []store.LeadMerge) ([]store.Result, error) {
	if err := checkBatch(len(merges)); err != nil {
		return nil, err
	}
	var ids []any
	for i, m := range merges {
		if m.Subordinate <= 0 || m.Master <= 0 || m.Subordinate == m.Master {
			return nil, fmt.Errorf("%w: merge %d names leads %d and %d", store.ErrInvalid, i, m.Subordinate, m.Master)
		}
		ids = append(ids, m.Subordinate, m.Master)
	}
	results := make([]store.Result, len(merges))
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		bounds, err := s.boundaries(ctx, tx, model.Percentile)
		if err != nil {
			return err
		}
		found, err := s.leads(ctx, tx, "lead_id", ids)
		if err != nil {
			return err
		}
		byID, before := indexLeads(found)
		var touched []*lead
		for i, m := range merges {
			results[i].LeadID = m.Master
			master, ok := byID[m.Master]
			if !ok {
				results[i] = store.Result{Outcome: store.UnknownLead}
				continue
			}
			results[i].Outcome = store.Recorded
			sub, ok := byID[m.Subordinate]
			if !ok {
				continue
			}
			if err := model.Merge(&master.st, sub.st, bounds); err != nil {
				if errors.Is(err, model.ErrOutOfRange) {
					results[i].Outcome = store.OutOfRange
					continue
				}
				return err
			}
			if _, err := tx.ExecContext(ctx, s.db.Rebind("UPDATE activities SET lead_id = ? WHERE lead_id = ?"), m.Master, m.Subordinate); err != nil {
				return fmt.Errorf("moving activities: %w", err)
			}
			if _, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM leads WHERE lead_id = ?"), m.Subordinate); err != nil {
				return fmt.Errorf("forgetting a merged lead: %w", err)
			}
			delete(byID, m.Subordinate)
			touched = append(touched, master)
		}
		var rewrite, changed []*lead
		var fields []model.Field
		seen := map[int32]bool{}
		for _, l := range touched {
			// A master merged away later in the batch is gone: it is neither rewritten nor fed.
			if seen[l.link.LeadID] || byID[l.link.LeadID] == nil {
				continue
			}
			seen[l.link.LeadID] = true
			if f := model.Diff(before[l.link.LeadID], l.st); f != 0 {
				l.st.UpdatedAt = now
				changed, fields = append(changed, l), append(fields, f)
			}
			rewrite = append(rewrite, l)
		}
		if err := s.upsertLeads(ctx, tx, rewrite); err != nil {
			return err
		}
		return s.appendChanges(ctx, tx, changed, fields, now)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// indexLeads indexes leads read for a change by id, with their state before it (to tell
// which fields the change moved).
func indexLeads(found []*lead) (byID map[int32]*lead, before map[int32]model.State) {
	byID = make(map[int32]*lead, len(found))
	before = make(map[int32]model.State, len(found))
	for _, l := range found {
		byID[l.link.LeadID], before[l.link.LeadID] = l, l.st
	}
	return byID, before
}
