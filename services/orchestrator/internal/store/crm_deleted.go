package store

import (
	"context"
	"strings"

	"github.com/msisync/msisync/platform/extid"
)

// MatchKey is how an external id (externalPersonId, externalCompanyId, …) is compared with
// the ids of CRM findings, and stored with them: the canonical key of a valid id, else the
// trimmed, case-folded text (an id extid refuses, which the services never store).
func MatchKey(id string) string {
	if k := extid.Key(id); k != "" {
		return k
	}
	return extid.Fold(strings.TrimSpace(id))
}

// FlaggedDeleted returns the keys (MatchKey) of the records of type t among externalIDs
// that a CRM connector flagged as deleted in the CRM (a DeletedInCrm finding), in one query.
func FlaggedDeleted(ctx context.Context, s CrmStore, t ObjectType, externalIDs []string) (map[string]bool, error) {
	var ids []string
	for _, id := range externalIDs {
		if strings.TrimSpace(id) != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := s.ListCrmFindings(ctx, CrmFindingQuery{ObjectType: t, ExternalIDs: ids, Kind: DeletedInCrm})
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(found))
	for _, f := range found {
		out[MatchKey(f.ExternalID)] = true
	}
	return out, nil
}
