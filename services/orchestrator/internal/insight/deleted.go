package insight

import (
	"context"
	"strings"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// A CRM connector whose delete mode is flag (MSISYNC_DELETE_MODE=flag) does not delete a
// person the CRM deleted: it reports a CRM_FINDING_KIND_DELETED_IN_CRM finding instead, and
// resolves it when the CRM restores the record. That finding is the stored flag: the person
// stays in msisync (its lead, scores and history), visible in queries and diagnostics, but
// Best Bets and the writeback feed leave it out while it is flagged.

// personKey is how a person's externalPersonId is compared with the findings' ids.
func personKey(id string) string {
	if k := extid.Key(id); k != "" {
		return k
	}
	return extid.Fold(strings.TrimSpace(id))
}

// deletedInCrm returns the keys (personKey) of the people among externalPersonIds that are
// flagged deleted in the CRM.
func (s *Server) deletedInCrm(ctx context.Context, externalPersonIDs []string) (map[string]bool, error) {
	var ids []string
	for _, id := range externalPersonIDs {
		if strings.TrimSpace(id) != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := s.crm.ListCrmFindings(ctx, store.CrmFindingQuery{ObjectType: store.Lead, ExternalIDs: ids, Kind: store.DeletedInCrm})
	if err != nil {
		return nil, internal(err)
	}
	out := make(map[string]bool, len(found))
	for _, f := range found {
		out[personKey(f.ExternalID)] = true
	}
	return out, nil
}
