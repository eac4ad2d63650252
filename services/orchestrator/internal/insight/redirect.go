package insight

import (
	"context"
	"errors"
	"fmt"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// redirected returns what the diagnostics say about a record that is not synced: where it
// went when the CRM merged or qualified it, otherwise notSynced.
func (s *Server) redirected(ctx context.Context, t store.ObjectType, id, notSynced string) (string, error) {
	r, err := s.crm.GetRedirect(ctx, t, id)
	if errors.Is(err, store.ErrNotFound) {
		return notSynced, nil
	}
	if err != nil {
		return "", internal(err)
	}
	when := r.MergeTime.UTC().Format("2006-01-02 15:04 UTC")
	if r.Kind == store.Qualified {
		return fmt.Sprintf("'%s' is no longer synced: the CRM qualified this lead into contact '%s' on %s, which keeps its score, interesting moments and roles; check '%s' instead", r.ExternalID, r.MasterExternalID, when, r.MasterExternalID), nil
	}
	what := "person"
	if t == store.Company {
		what = "company"
	}
	return fmt.Sprintf("'%s' is no longer synced: the CRM merged it into %s '%s' on %s, which took over its records; check '%s' instead", r.ExternalID, what, r.MasterExternalID, when, r.MasterExternalID), nil
}
