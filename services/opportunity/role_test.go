package opportunity

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
)

func newRole(opportunity string, lead int32, role string) *opportunityv1.OpportunityRoleInput {
	return &opportunityv1.OpportunityRoleInput{ExternalOpportunityId: proto.String(opportunity), LeadId: proto.Int32(lead), Role: proto.String(role)}
}

func dedupe(opportunity string, lead int32, role string) *opportunityv1.OpportunityRoleKey {
	return &opportunityv1.OpportunityRoleKey{Key: &opportunityv1.OpportunityRoleKey_DedupeKey{DedupeKey: &opportunityv1.OpportunityRoleDedupeKey{ExternalOpportunityId: opportunity, LeadId: lead, Role: role}}}
}

func byGUID(guid string) *opportunityv1.OpportunityRoleKey {
	return &opportunityv1.OpportunityRoleKey{Key: &opportunityv1.OpportunityRoleKey_MarketoGuid{MarketoGuid: guid}}
}

func TestSyncOpportunityRoles(t *testing.T) {
	t.Parallel()
	c := opportunityv1.NewOpportunityRoleServiceClient(startService(t))
	ctx := t.Context()
	created := timestamppb.New(time.Date(2025, 4, 5, 6, 7, 8, 0, time.UTC))
	primary := newRole("OPP-1", 10, "Technical Buyer")
	primary.IsPrimary, primary.ExternalCreatedDate = proto.Bool(true), created
	res, err := c.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{Input: []*opportunityv1.OpportunityRoleInput{
		primary,
		newRole("opp-1", 10, "technical buyer"), // the same key
		newRole("opp-1", 10, "Influencer"),      // another role: another record
		{LeadId: proto.Int32(10), Role: proto.String("Buyer")},
		{ExternalOpportunityId: proto.String("opp-1"), Role: proto.String("Buyer")},
		{ExternalOpportunityId: proto.String("opp-1"), LeadId: proto.Int32(10), Role: proto.String(" ")},
		newRole("opp-1", -1, "Buyer"),
		newRole("opp-1", 10, strings.Repeat("r", 51)),
		newRole(strings.Repeat("o", 51), 10, "Buyer"),
		{ExternalOpportunityId: proto.String("opp-1"), LeadId: proto.Int32(11), Role: proto.String("Buyer"), ExternalCreatedDate: created, ClearExternalCreatedDate: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CREATED", "SKIPPED 1036", "CREATED", "SKIPPED 1002", "SKIPPED 1002", "SKIPPED 1002", "SKIPPED 1001", "SKIPPED 1001", "SKIPPED 1001", "SKIPPED 1003"}
	if diff := cmp.Diff(want, statuses(res.GetResults())); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	first, influencer := res.GetResults()[0].GetGuid(), res.GetResults()[2].GetGuid()
	if first == "" || influencer == "" || first == influencer || res.GetResults()[0].GetId() != 0 {
		t.Fatalf("results = %v, want two distinct GUIDs and id 0", res.GetResults())
	}

	res, err = c.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{Action: commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY, Input: []*opportunityv1.OpportunityRoleInput{
		newRole("OPP-1", 10, "TECHNICAL BUYER"), newRole("opp-1", 11, "Technical Buyer"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"SKIPPED 1017", "CREATED"}, statuses(res.GetResults())); diff != "" {
		t.Errorf("createOnly (-want +got):\n%s", diff)
	}
	if res.GetResults()[0].GetGuid() != first {
		t.Errorf("createOnly hit reports GUID %q, want %q", res.GetResults()[0].GetGuid(), first)
	}

	res, err = c.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, Input: []*opportunityv1.OpportunityRoleInput{
		newRole("opp-1", 12, "Technical Buyer"),
		{ExternalOpportunityId: proto.String("opp-1"), LeadId: proto.Int32(10), Role: proto.String("Influencer"), IsPrimary: proto.Bool(true)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"SKIPPED 1013", "UPDATED"}, statuses(res.GetResults())); diff != "" {
		t.Errorf("updateOnly (-want +got):\n%s", diff)
	}

	res, err = c.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{
		Action:   commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY,
		DedupeBy: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD,
		Input: []*opportunityv1.OpportunityRoleInput{
			{MarketoGuid: proto.String(strings.ToUpper(first)), ExternalOpportunityId: proto.String("OPP-1"), Role: proto.String("technical buyer"), IsPrimary: proto.Bool(false)},
			{MarketoGuid: proto.String(influencer), LeadId: proto.Int32(99)},
			{MarketoGuid: proto.String(influencer), Role: proto.String("Champion")},
			{MarketoGuid: proto.String("00000000-0000-4000-8000-000000000000")},
			{MarketoGuid: proto.String("junk")},
			{IsPrimary: proto.Bool(true)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"UPDATED", "SKIPPED 1003", "SKIPPED 1036", "SKIPPED 1013", "SKIPPED 1001", "SKIPPED 1002"}, statuses(res.GetResults())); diff != "" {
		t.Errorf("updateOnly by GUID (-want +got):\n%s", diff)
	}

	got, err := c.BatchGetOpportunityRoles(ctx, &opportunityv1.BatchGetOpportunityRolesRequest{Keys: []*opportunityv1.OpportunityRoleKey{byGUID(first)}})
	if err != nil {
		t.Fatal(err)
	}
	wantRole := &opportunityv1.OpportunityRole{MarketoGuid: first, ExternalOpportunityId: "OPP-1", LeadId: 10, Role: "Technical Buyer", ExternalCreatedDate: created}
	if diff := cmp.Diff([]*opportunityv1.OpportunityRole{wantRole}, got.GetOpportunityRoles(), protocmp.Transform(), protocmp.IgnoreFields(&opportunityv1.OpportunityRole{}, "create_time", "update_time")); diff != "" {
		t.Errorf("stored role (-want +got):\n%s", diff)
	}

	if _, err := c.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{DedupeBy: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD, Input: []*opportunityv1.OpportunityRoleInput{{MarketoGuid: proto.String(first)}}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("idField with createOrUpdate: %v, want InvalidArgument", err)
	}
	if _, err := c.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{Input: make([]*opportunityv1.OpportunityRoleInput, 301)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("301 roles: %v, want InvalidArgument", err)
	}
}

func TestRoleLookups(t *testing.T) {
	t.Parallel()
	c := opportunityv1.NewOpportunityRoleServiceClient(startService(t))
	ctx := t.Context()
	var in []*opportunityv1.OpportunityRoleInput
	for i := range 6 {
		in = append(in, newRole([]string{"OPP-A", "OPP-B"}[i%2], int32(1+i%3), "Buyer"))
	}
	res, err := c.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{Input: in})
	if err != nil {
		t.Fatal(err)
	}
	guid := func(i int) string { return res.GetResults()[i].GetGuid() }

	// The orchestrator's compound-key query: GUIDs and dedupe keys, case-insensitive.
	got, err := c.BatchGetOpportunityRoles(ctx, &opportunityv1.BatchGetOpportunityRolesRequest{Keys: []*opportunityv1.OpportunityRoleKey{
		dedupe("opp-a", 1, "BUYER"), dedupe("OPP-B", 2, "Buyer"), dedupe("opp-a", 2, "Buyer"), byGUID(guid(0)),
		dedupe("opp-a", 0, "Buyer"), dedupe("", 1, "Buyer"), byGUID("junk"), {},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var guids []string
	for _, r := range got.GetOpportunityRoles() {
		guids = append(guids, r.GetMarketoGuid())
	}
	// Records 0 to 5 are (A,1), (B,2), (A,3), (B,1), (A,2), (B,3).
	want := []string{guid(0), guid(1), guid(4)}
	if diff := cmp.Diff(want, guids, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("BatchGet (-want +got):\n%s", diff)
	}

	// List by lead id, two per page.
	req := &opportunityv1.ListOpportunityRolesRequest{FilterField: opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_LEAD_ID, FilterValues: []string{"1", " 3 "}, PageSize: 2}
	var listed []string
	for range 5 {
		page, err := c.ListOpportunityRoles(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.GetOpportunityRoles() {
			listed = append(listed, r.GetMarketoGuid())
		}
		if page.GetNextPageToken() == "" {
			break
		}
		req.PageToken = page.GetNextPageToken()
	}
	if diff := cmp.Diff([]string{guid(0), guid(2), guid(3), guid(5)}, listed); diff != "" {
		t.Errorf("list by lead (-want +got):\n%s", diff)
	}
	byOpp, err := c.ListOpportunityRoles(ctx, &opportunityv1.ListOpportunityRolesRequest{FilterField: opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_EXTERNAL_OPPORTUNITY_ID, FilterValues: []string{"opp-b"}})
	if err != nil || len(byOpp.GetOpportunityRoles()) != 3 {
		t.Errorf("list by opportunity = %v, %v; want 3 roles", byOpp, err)
	}
	bad := map[string]*opportunityv1.ListOpportunityRolesRequest{
		"lead id not a number":   {FilterField: opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_LEAD_ID, FilterValues: []string{"x"}},
		"token of another query": {FilterField: opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_LEAD_ID, FilterValues: []string{"1"}, PageToken: req.GetPageToken()},
		"no field":               {FilterValues: []string{"1"}},
		"301 values":             {FilterField: opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_MARKETO_GUID, FilterValues: make([]string, 301)},
	}
	for name, req := range bad {
		if _, err := c.ListOpportunityRoles(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}

func TestDeleteAndCountRoles(t *testing.T) {
	t.Parallel()
	c := opportunityv1.NewOpportunityRoleServiceClient(startService(t))
	ctx := t.Context()
	res, err := c.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{Input: []*opportunityv1.OpportunityRoleInput{
		newRole("OPP-A", 1, "Buyer"), newRole("OPP-A", 2, "Buyer"), newRole("opp-b", 1, "Buyer"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := c.CountOpportunityRoleReferences(ctx, &opportunityv1.CountOpportunityRoleReferencesRequest{ExternalOpportunityIds: []string{"opp-a", "OPP-B", "opp-c"}, LeadIds: []int32{1, 2, 3}})
	if err != nil {
		t.Fatal(err)
	}
	want := &opportunityv1.CountOpportunityRoleReferencesResponse{
		Opportunities: []*commonv1.ReferenceCount{{ExternalId: "opp-a", Count: 2}, {ExternalId: "opp-b", Count: 1}},
		Leads:         []*commonv1.ReferenceCount{{Id: 1, Count: 2}, {Id: 2, Count: 1}},
	}
	sortRefs := protocmp.SortRepeated(func(a, b *commonv1.ReferenceCount) bool {
		return a.GetExternalId() < b.GetExternalId() || (a.GetExternalId() == b.GetExternalId() && a.GetId() < b.GetId())
	})
	if diff := cmp.Diff(want, counts, protocmp.Transform(), sortRefs); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	del, err := c.DeleteOpportunityRoles(ctx, &opportunityv1.DeleteOpportunityRolesRequest{Keys: []*opportunityv1.OpportunityRoleKey{
		dedupe("opp-a", 1, "buyer"), byGUID(strings.ToUpper(res.GetResults()[0].GetGuid())), byGUID(res.GetResults()[2].GetGuid()),
		dedupe("opp-a", 0, "Buyer"), dedupe("opp-a", 3, "Buyer"), byGUID(""), {},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"DELETED", "SKIPPED 1013", "DELETED", "SKIPPED 1002", "SKIPPED 1013", "SKIPPED 1002", "SKIPPED 1002"}, statuses(del.GetResults())); diff != "" {
		t.Errorf("delete (-want +got):\n%s", diff)
	}
	if g := del.GetResults()[0].GetGuid(); g != res.GetResults()[0].GetGuid() {
		t.Errorf("deleted GUID %q, want %q", g, res.GetResults()[0].GetGuid())
	}
	counts, err = c.CountOpportunityRoleReferences(ctx, &opportunityv1.CountOpportunityRoleReferencesRequest{LeadIds: []int32{1}})
	if err != nil || len(counts.GetLeads()) != 0 {
		t.Errorf("after delete counts = %v, %v; want none", counts, err)
	}
	if _, err := c.CountOpportunityRoleReferences(ctx, &opportunityv1.CountOpportunityRoleReferencesRequest{LeadIds: make([]int32, 301)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("count of 301 leads: %v, want InvalidArgument", err)
	}
}
