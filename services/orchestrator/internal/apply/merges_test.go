package apply

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
)

// ListOpportunityRoles answers lead 23's one role until it was moved (deleted).
func (w *world) ListOpportunityRoles(_ context.Context, in *opportunityv1.ListOpportunityRolesRequest, _ ...grpc.CallOption) (*opportunityv1.ListOpportunityRolesResponse, error) {
	w.logf("list roles %v %s", in.GetFilterField(), strings.Join(in.GetFilterValues(), ","))
	for _, l := range w.log {
		if strings.HasPrefix(l, "delete roles") {
			return &opportunityv1.ListOpportunityRolesResponse{}, nil
		}
	}
	return &opportunityv1.ListOpportunityRolesResponse{OpportunityRoles: []*opportunityv1.OpportunityRole{
		{MarketoGuid: "role-1", ExternalOpportunityId: "O1", LeadId: 23, Role: "Champion", IsPrimary: true},
	}}, nil
}

func (w *world) MergeLeads(_ context.Context, in *scoringv1.MergeLeadsRequest, _ ...grpc.CallOption) (*scoringv1.MergeLeadsResponse, error) {
	var s []string
	for _, m := range in.GetMerges() {
		s = append(s, fmt.Sprintf("%d>%d", m.GetSubordinateLeadId(), m.GetMasterLeadId()))
	}
	w.logf("merge scoring %s", strings.Join(s, ","))
	return &scoringv1.MergeLeadsResponse{Results: answer(len(s), commonv1.RecordStatus_RECORD_STATUS_UPDATED, func(int) int32 { return 21 })}, nil
}

func TestMergePersonMovesRolesAndScoringThenDeletes(t *testing.T) {
	w := newWorld()
	out, err := w.applier().MergePerson(context.Background(), "P3", "p1")
	if err != nil {
		t.Fatal(err)
	}
	if out != (MergeOutcome{Result: Merged, MasterID: 21}) {
		t.Errorf("outcome = %+v", out)
	}
	want := []string{
		"get leads 0P3,0p1 fields external_person_id,external_sales_person_id",
		"lock shared  exclusive lead:p1,lead:p3,leadId:21,leadId:23",
		"get leads 0P3,0p1 fields external_person_id,external_sales_person_id",
		"list roles OPPORTUNITY_ROLE_FIELD_LEAD_ID 23",
		"sync roles SYNC_ACTION_UNSPECIFIED DEDUPE_BY_UNSPECIFIED O1/21",
		"delete roles role-1",
		"list roles OPPORTUNITY_ROLE_FIELD_LEAD_ID 23",
		"merge scoring 23>21",
		"delete leads 23",
		"unlock",
	}
	if diff := cmp.Diff(want, w.calls()); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestMergeOfAnUnknownSubordinateMovesNothing(t *testing.T) {
	w := newWorld()
	out, err := w.applier().MergePerson(context.Background(), "ghost", "p1")
	if err != nil || out != (MergeOutcome{Result: NothingToMove, MasterID: 21}) {
		t.Errorf("person: %+v, %v", out, err)
	}
	out, err = w.applier().MergeCompany(context.Background(), "ghost", "acme")
	if err != nil || out != (MergeOutcome{Result: NothingToMove, MasterID: 11}) {
		t.Errorf("company: %+v, %v", out, err)
	}
	out, err = w.applier().MergeCompany(context.Background(), "free", "nowhere")
	if err != nil || out.Result != MergeSkipped || !strings.Contains(out.Reason, "'nowhere' is not synced yet") {
		t.Errorf("company without its master: %+v, %v", out, err)
	}
	for _, c := range w.calls() {
		if strings.HasPrefix(c, "delete") || strings.HasPrefix(c, "sync") || strings.HasPrefix(c, "merge") {
			t.Errorf("a merge with nothing to move wrote: %s", c)
		}
	}
}
