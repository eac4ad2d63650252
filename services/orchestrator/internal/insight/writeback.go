package insight

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// Columns maps msisync's MSI field names to the CRM's column names.
type Columns map[string]string

// DefaultColumns are the Dynamics 365 columns of the native MSI solution
// (docs/msi-contract.md, Writeback): the MSI doc's __c names are Salesforce names and not
// valid Dataverse names.
var DefaultColumns = Columns{
	"msiLastInterestingMomentType":   "mkt_lastinterestingmomenttype",
	"msiLastInterestingMomentDate":   "mkt_lastinterestingmomentdate",
	"msiLastInterestingMomentDesc":   "mkt_lastinterestingmomentdesc",
	"msiLastInterestingMomentSource": "mkt_leadinterestingmomentsource",
	"priority":                       "mkt_priority",
	"relativeUrgency":                "mkt_urgency",
	"relativeScore":                  "mkt_relativescore",
	"leadScore":                      "mkt_leadscore",
}

// Fields lists the MSI field names a mapping may name.
func Fields() []string {
	out := make([]string, 0, len(DefaultColumns)+1)
	for k := range DefaultColumns {
		out = append(out, k)
	}
	out = append(out, "urgency")
	sort.Strings(out)
	return out
}

// Validate reports a mapping that names an unknown MSI field or an empty column.
func (c Columns) Validate() error {
	known := map[string]bool{}
	for _, f := range Fields() {
		known[f] = true
	}
	for field, column := range c {
		if !known[field] {
			return fmt.Errorf("MSISYNC_WRITEBACK_COLUMNS names %q, which is not an MSI field; use %s", field, strings.Join(Fields(), ", "))
		}
		if strings.TrimSpace(column) == "" {
			return fmt.Errorf("MSISYNC_WRITEBACK_COLUMNS maps %q to an empty column name", field)
		}
	}
	return nil
}

// values returns a lead's MSI values by field name, as the CRM columns take them.
func values(in *scoringv1.LeadInsight) map[string]*structpb.Value {
	v := map[string]*structpb.Value{
		"leadScore":       structpb.NewNumberValue(float64(in.GetLeadScore())),
		"urgency":         structpb.NewNumberValue(in.GetUrgency()),
		"relativeScore":   structpb.NewNumberValue(float64(in.GetRelativeScore())),
		"relativeUrgency": structpb.NewNumberValue(float64(in.GetRelativeUrgency())),
		"priority":        structpb.NewNumberValue(float64(in.GetPriority())),
	}
	if t := objects.MomentTypeName(in.GetLastInterestingMomentType()); t != "" {
		v["msiLastInterestingMomentType"] = structpb.NewStringValue(t)
		v["msiLastInterestingMomentDate"] = structpb.NewStringValue(in.GetLastInterestingMomentTime().AsTime().UTC().Format(time.RFC3339))
		v["msiLastInterestingMomentDesc"] = structpb.NewStringValue(in.GetLastInterestingMomentDesc())
		v["msiLastInterestingMomentSource"] = structpb.NewStringValue(in.GetLastInterestingMomentSource())
	} else {
		for _, f := range []string{"msiLastInterestingMomentType", "msiLastInterestingMomentDate", "msiLastInterestingMomentDesc", "msiLastInterestingMomentSource"} {
			v[f] = structpb.NewNullValue()
		}
	}
	return v
}

// ListWritebackChanges implements orchestratorv1.InsightServiceServer: the change feed
// since a cursor, each entry the lead's current MSI values under the CRM's column names,
// keyed by externalPersonId. Reading it changes nothing; the reader keeps its cursor.
func (s *Server) ListWritebackChanges(ctx context.Context, req *orchestratorv1.ListWritebackChangesRequest) (*orchestratorv1.ListWritebackChangesResponse, error) {
	page, err := s.scoring.ListChanges(ctx, &scoringv1.ListChangesRequest{Cursor: req.GetCursor(), PageSize: req.GetPageSize()})
	if err != nil {
		return nil, err
	}
	resp := &orchestratorv1.ListWritebackChangesResponse{NextCursor: page.GetNextCursor()}
	// People flagged deleted in the CRM are left out (see deleted.go): there is no CRM row to
	// write to; the cursor still moves past them.
	people := make([]string, len(page.GetChanges()))
	for i, c := range page.GetChanges() {
		people[i] = c.GetExternalPersonId()
	}
	deleted, err := s.deletedInCrm(ctx, people)
	if err != nil {
		return nil, err
	}
	for _, c := range page.GetChanges() {
		if deleted[personKey(c.GetExternalPersonId())] {
			continue
		}
		vals := values(c.GetInsight())
		cols := make(map[string]*structpb.Value, len(s.columns))
		for field, column := range s.columns {
			if v, ok := vals[field]; ok {
				cols[column] = v
			}
		}
		resp.Changes = append(resp.Changes, &orchestratorv1.WritebackChange{
			ExternalPersonId: c.GetExternalPersonId(),
			LeadId:           c.GetLeadId(),
			Columns:          cols,
			ChangeTime:       c.GetChangeTime(),
		})
	}
	return resp, nil
}
