package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// PutInsights implements store.Store.
func (s *Store) PutInsights(ctx context.Context, in []store.Reported) ([]store.Result, int, error) {
	if err := checkBatch(len(in)); err != nil {
		return nil, 0, err
	}
	ids := make([]any, 0, len(in))
	for i, r := range in {
		if r.LeadID <= 0 {
			return nil, 0, fmt.Errorf("%w: insight %d has lead id %d", store.ErrInvalid, i, r.LeadID)
		}
		ids = append(ids, r.LeadID)
	}
	results := make([]store.Result, len(in))
	var changedCount int
	err := s.write(ctx, func(tx *sql.Tx, now time.Time) error {
		found, err := s.leads(ctx, tx, "lead_id", ids)
		if err != nil {
			return err
		}
		byID, before := indexLeads(found)
		// A lead repeated in the batch keeps its last values: each lead is applied once, so
		// its entry lists the fields that differ between before the batch and after it.
		last := make(map[int32]model.Reported, len(in))
		var touched []*lead
		for i, r := range in {
			l, ok := byID[r.LeadID]
			if !ok {
				results[i] = store.Result{Outcome: store.UnknownLead}
				continue
			}
			results[i] = store.Result{Outcome: store.Recorded, LeadID: r.LeadID}
			if _, seen := last[r.LeadID]; !seen {
				touched = append(touched, l)
			}
			last[r.LeadID] = r.Values
		}
		var rewrite, changed []*lead
		var fields []model.Field
		for _, l := range touched {
			was := before[l.link.LeadID]
			if f := s.params.ApplyReported(&l.st, last[l.link.LeadID], now); f != 0 {
				l.st.UpdatedAt = now
				changed, fields = append(changed, l), append(fields, f)
			}
			if l.st != was { // also when only the representation changed (urgency key → reported)
				rewrite = append(rewrite, l)
			}
		}
		if err := s.upsertLeads(ctx, tx, rewrite); err != nil {
			return err
		}
		changedCount = len(changed)
		return s.appendChanges(ctx, tx, changed, fields, now)
	})
	if err != nil {
		return nil, 0, err
	}
	return results, changedCount, nil
}
