package insight

import (
	"context"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// A CRM connector whose delete mode is flag (MSISYNC_DELETE_MODE=flag) does not delete a
// person the CRM deleted: it reports a CRM_FINDING_KIND_DELETED_IN_CRM finding instead, and
// resolves it when the CRM restores the record. That finding is the stored flag: the person
// stays in msisync (its lead, scores and history), visible in queries (the lead field
// crmDeleted) and diagnostics, but Best Bets and the writeback feed leave it out while it is
// flagged.

// personKey is how a person's externalPersonId is compared with the findings' ids.
func personKey(id string) string { return store.MatchKey(id) }

// deletedInCrm returns the keys (personKey) of the people among externalPersonIds that are
// flagged deleted in the CRM.
func (s *Server) deletedInCrm(ctx context.Context, externalPersonIDs []string) (map[string]bool, error) {
	out, err := store.FlaggedDeleted(ctx, s.crm, store.Lead, externalPersonIDs)
	if err != nil {
		return nil, internal(err)
	}
	return out, nil
}
