package marketoapi

import (
	"context"
	"fmt"
	"slices"

	"google.golang.org/protobuf/types/known/structpb"

	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// crmDeletedField is the read-only lead field that says whether a CRM connector flagged the
// person as deleted in the CRM (MSISYNC_DELETE_MODE=flag; see store.FlaggedDeleted).
const crmDeletedField = "crmDeleted"

// WithCrmFindings lets the lead reads answer crmDeleted from the CRM findings in s; without
// it crmDeleted reads false.
func (s *Leads) WithCrmFindings(crm store.CrmStore) *Leads {
	s.crm = crm
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

// addCrmDeleted fills crmDeleted in a page of lead records when it is asked for: one query
// of the CRM findings for the whole page.
func (s *Leads) addCrmDeleted(ctx context.Context, leads []*personv1.Lead, recs []*structpb.Struct, fields []string) error {
	if !slices.Contains(fields, crmDeletedField) || len(leads) == 0 {
		return nil
	}
	flagged := map[string]bool{}
	if s.crm != nil {
		people := make([]string, len(leads))
		for i, l := range leads {
			people[i] = l.GetExternalPersonId()
		}
		var err error
		if flagged, err = store.FlaggedDeleted(ctx, s.crm, people); err != nil {
			return fmt.Errorf("reading which leads are deleted in the CRM: %w", err)
		}
	}
	for i, l := range leads {
		recs[i].GetFields()[crmDeletedField] = structpb.NewBoolValue(l.GetExternalPersonId() != "" && flagged[store.PersonKey(l.GetExternalPersonId())])
	}
	return nil
}
