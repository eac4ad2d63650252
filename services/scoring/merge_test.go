package scoring

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
)

func TestMergeLeads(t *testing.T) {
	t.Parallel()
	c, _ := startService(t, Config{})
	ctx := context.Background()
	mustSync(t, c, link(1, "p-1", ""), link(2, "p-2", ""))
	mustRecord(t, c, byLead(1, 5), byLead(2, 7))
	res, err := c.MergeLeads(ctx, &scoringv1.MergeLeadsRequest{Merges: []*scoringv1.LeadMerge{
		{SubordinateLeadId: 2, MasterLeadId: 1}, {SubordinateLeadId: 2, MasterLeadId: 404},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"UPDATED", "SKIPPED 1004"}, statuses(res.GetResults())); diff != "" {
		t.Errorf("merge results (-want +got):\n%s", diff)
	}
	got, err := c.BatchGetInsights(ctx, &scoringv1.BatchGetInsightsRequest{LeadIds: []int32{1}})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.GetInsights()[0].GetLeadScore(); s != 12 {
		t.Errorf("master's score = %d, want 12", s)
	}
	if after := mustRecord(t, c, byLead(2, 1)); statuses(after.GetResults())[0] != "SKIPPED 1004" {
		t.Errorf("the subordinate is still known: %v", statuses(after.GetResults()))
	}
	for name, m := range map[string]*scoringv1.LeadMerge{"itself": {SubordinateLeadId: 1, MasterLeadId: 1}, "zero": {MasterLeadId: 1}} {
		if _, err := c.MergeLeads(ctx, &scoringv1.MergeLeadsRequest{Merges: []*scoringv1.LeadMerge{m}}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}
