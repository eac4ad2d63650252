package marketoapi

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// crmDeletedField is the read-only field of leads, companies and opportunities that says
// whether a CRM connector flagged the record as deleted in the CRM (MSISYNC_DELETE_MODE=flag;
// see store.FlaggedDeleted).
const crmDeletedField = "crmDeleted"

// crmFlags answers crmDeleted from the CRM findings; a nil store reads it as false.
type crmFlags struct {
	crm store.CrmStore
}

// WithCrmFindings lets the lead reads answer crmDeleted from the CRM findings in crm.
func (s *Leads) WithCrmFindings(crm store.CrmStore) *Leads {
	s.flags.crm = crm
	return s
}

// WithCrmFindings lets the company reads answer crmDeleted from the CRM findings in crm.
func (s *Companies) WithCrmFindings(crm store.CrmStore) *Companies {
	s.flags.crm = crm
	return s
}

// WithCrmFindings lets the opportunity reads answer crmDeleted from the CRM findings in crm.
func (s *Opportunities) WithCrmFindings(crm store.CrmStore) *Opportunities {
	s.flags.crm = crm
	return s
}

// readFields is fields plus what the lead reads need to answer them: crmDeleted needs the
// lead's externalPersonId.
func readFields(fields []string) []string {
	if slices.Contains(fields, crmDeletedField) && !slices.Contains(fields, "externalPersonId") {
		return append(slices.Clone(fields), "externalPersonId")
	}
	return fields
}

// add fills crmDeleted in a page of records of type t, whose external ids are ids, when it
// is asked for: one query of the CRM findings for the whole page.
func (f crmFlags) add(ctx context.Context, t store.ObjectType, ids []string, recs []*structpb.Struct, fields []string) error {
	if !slices.Contains(fields, crmDeletedField) || len(ids) == 0 {
		return nil
	}
	flagged := map[string]bool{}
	if f.crm != nil {
		var err error
		if flagged, err = store.FlaggedDeleted(ctx, f.crm, t, ids); err != nil {
			return fmt.Errorf("reading which records are deleted in the CRM: %w", err)
		}
	}
	for i, id := range ids {
		recs[i].GetFields()[crmDeletedField] = structpb.NewBoolValue(id != "" && flagged[store.MatchKey(id)])
	}
	return nil
}

// externalIDs returns get(r) of each record.
func externalIDs[T any](recs []T, get func(T) string) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = get(r)
	}
	return out
}
