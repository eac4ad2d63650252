package opportunity

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/mtls"
)

// registered is every gRPC API the opportunity service serves.
var registered = []grpc.ServiceDesc{
	opportunityv1.OpportunityService_ServiceDesc,
	opportunityv1.OpportunityRoleService_ServiceDesc,
}

// startService runs a real opportunity service on a free port with SQLite in a temp dir and
// returns a client connected over gRPC.
func startService(t *testing.T) *grpc.ClientConn {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dataDir := t.TempDir()
	svc, err := New(ctx, Config{Addr: "127.0.0.1:0", Store: config.Store{DataDir: dataDir, SQLiteSynchronous: "NORMAL"}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, lis) }()
	// The service requires the client certificate it generated beside its data.
	creds, err := mtls.Load(mtls.Config{}, dataDir, mtls.Client, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(creds.Transport()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return conn
}

// statuses renders each result as its status and reason codes.
func statuses(res []*commonv1.RecordResult) []string {
	out := make([]string, len(res))
	for i, r := range res {
		out[i] = strings.TrimPrefix(r.GetStatus().String(), "RECORD_STATUS_")
		for _, reason := range r.GetReasons() {
			out[i] += " " + reason.GetCode()
		}
	}
	return out
}

// newOpp is a valid create input.
func newOpp(key string) *opportunityv1.OpportunityInput {
	return &opportunityv1.OpportunityInput{
		ExternalOpportunityId: proto.String(key), ExternalCompanyId: proto.String("CO-1"),
		ExternalSalesPersonId: proto.String("sp-1"), Name: proto.String("Deal " + key),
	}
}

func with(in *opportunityv1.OpportunityInput, edit func(in *opportunityv1.OpportunityInput)) *opportunityv1.OpportunityInput {
	edit(in)
	return in
}

func TestHealthServing(t *testing.T) {
	t.Parallel()
	h := healthpb.NewHealthClient(startService(t))
	names := []string{""}
	for _, d := range registered {
		names = append(names, d.ServiceName)
	}
	for _, name := range names {
		res, err := h.Check(t.Context(), &healthpb.HealthCheckRequest{Service: name})
		if err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health of %q = %v, %v; want SERVING", name, res, err)
		}
	}
}

func TestReflectionListsServices(t *testing.T) {
	t.Parallel()
	stream, err := reflectionpb.NewServerReflectionClient(startService(t)).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"},
	}); err != nil {
		t.Fatal(err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range res.GetListServicesResponse().GetService() {
		if !strings.HasPrefix(s.GetName(), "grpc.reflection.") {
			got = append(got, s.GetName())
		}
	}
	slices.Sort(got)
	want := []string{"grpc.health.v1.Health", "msisync.opportunity.v1.OpportunityRoleService", "msisync.opportunity.v1.OpportunityService"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reflected services (-want +got):\n%s", diff)
	}
}

func TestSyncOpportunities(t *testing.T) {
	t.Parallel()
	c := opportunityv1.NewOpportunityServiceClient(startService(t))
	ctx := t.Context()
	const guid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	closeAt := time.Date(2026, 6, 30, 17, 45, 0, 0, time.UTC)
	res, err := c.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{Input: []*opportunityv1.OpportunityInput{
		with(newOpp("{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}"), func(in *opportunityv1.OpportunityInput) {
			in.Amount, in.Probability, in.CloseDate, in.IsWon = proto.Float64(99.5), proto.Int32(40), timestamppb.New(closeAt), proto.Bool(true)
		}),
		newOpp(guid), // the same key
		with(newOpp(""), func(in *opportunityv1.OpportunityInput) { in.ExternalOpportunityId = nil }),
		with(newOpp("o-name"), func(in *opportunityv1.OpportunityInput) { in.Name = nil }),
		with(newOpp("o-co"), func(in *opportunityv1.OpportunityInput) { in.ExternalCompanyId = nil }),
		with(newOpp("o-sp"), func(in *opportunityv1.OpportunityInput) { in.ExternalSalesPersonId = proto.String("  ") }),
		with(newOpp("o-prob"), func(in *opportunityv1.OpportunityInput) { in.Probability = proto.Int32(101) }),
		with(newOpp("o-nan"), func(in *opportunityv1.OpportunityInput) { in.Amount = proto.Float64(math.NaN()) }),
		newOpp(strings.Repeat("x", 51)),
		with(newOpp("o-date"), func(in *opportunityv1.OpportunityInput) {
			in.CloseDate, in.ClearCloseDate = timestamppb.New(closeAt), true
		}),
		with(newOpp("o-blank"), func(in *opportunityv1.OpportunityInput) { in.Name = proto.String(" ") }),
		newOpp("o-2"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CREATED", "SKIPPED 1036", "SKIPPED 1002", "SKIPPED 1002", "SKIPPED 1002", "SKIPPED 1002", "SKIPPED 1001", "SKIPPED 1001", "SKIPPED 1001", "SKIPPED 1003", "SKIPPED 1002", "CREATED"}
	if diff := cmp.Diff(want, statuses(res.GetResults())); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	first := res.GetResults()[0]
	if first.GetGuid() == "" || first.GetId() != 0 || first.GetIndex() != 0 {
		t.Fatalf("first result = %v, want a GUID and id 0", first)
	}
	if msg := res.GetResults()[4].GetReasons()[0].GetMessage(); !strings.Contains(msg, "externalCompanyId") {
		t.Errorf("missing company reason %q does not name externalCompanyId", msg)
	}

	// updateOnly needs no required field; createOnly hits report the existing GUID.
	res, err = c.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{
		Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY,
		Input: []*opportunityv1.OpportunityInput{
			{ExternalOpportunityId: proto.String(guid), Stage: proto.String("Negotiation"), ClearCloseDate: true},
			{ExternalOpportunityId: proto.String("missing")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"UPDATED", "SKIPPED 1013"}, statuses(res.GetResults())); diff != "" {
		t.Fatalf("updateOnly (-want +got):\n%s", diff)
	}
	if res.GetResults()[0].GetGuid() != first.GetGuid() {
		t.Errorf("update hit %s, want %s", res.GetResults()[0].GetGuid(), first.GetGuid())
	}
	res, err = c.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{Action: commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY, Input: []*opportunityv1.OpportunityInput{newOpp("O-2")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.GetResults()[0]; got.GetReasons()[0].GetCode() != "1017" || got.GetGuid() == "" {
		t.Errorf("createOnly hit = %v, want 1017 with the GUID", got)
	}

	// updateOnly by marketoGUID.
	upper := strings.ToUpper(first.GetGuid())
	res, err = c.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{
		Action:   commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY,
		DedupeBy: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD,
		Input: []*opportunityv1.OpportunityInput{
			{MarketoGuid: proto.String(upper), ExternalOpportunityId: proto.String(strings.ToUpper(guid)), NextStep: proto.String("Sign")},
			{MarketoGuid: proto.String("00000000-0000-4000-8000-000000000000")},
			{MarketoGuid: proto.String("not-a-guid")},
			{ExternalOpportunityId: proto.String(guid)},
			{MarketoGuid: proto.String(res.GetResults()[0].GetGuid()), ExternalOpportunityId: proto.String("other")},
			{MarketoGuid: proto.String(first.GetGuid())},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"UPDATED", "SKIPPED 1013", "SKIPPED 1001", "SKIPPED 1002", "SKIPPED 1003", "SKIPPED 1036"}, statuses(res.GetResults())); diff != "" {
		t.Fatalf("updateOnly by GUID (-want +got):\n%s", diff)
	}

	got, err := c.BatchGetOpportunities(ctx, &opportunityv1.BatchGetOpportunitiesRequest{Keys: []*opportunityv1.OpportunityKey{
		{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: strings.ToUpper(guid)}},
		{Key: &opportunityv1.OpportunityKey_MarketoGuid{MarketoGuid: upper}},
		{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: "nope"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	wantOpp := &opportunityv1.Opportunity{
		MarketoGuid: first.GetGuid(), ExternalOpportunityId: guid, ExternalCompanyId: "CO-1", ExternalSalesPersonId: "sp-1",
		Name: "Deal {0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}", Stage: "Negotiation", NextStep: "Sign", Amount: 99.5, Probability: 40, IsWon: true,
	}
	if diff := cmp.Diff([]*opportunityv1.Opportunity{wantOpp}, got.GetOpportunities(), protocmp.Transform(), protocmp.IgnoreFields(&opportunityv1.Opportunity{}, "create_time", "update_time")); diff != "" {
		t.Errorf("stored opportunity (-want +got):\n%s", diff)
	}

	// The close date keeps only its UTC date.
	res, err = c.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{Input: []*opportunityv1.OpportunityInput{{ExternalOpportunityId: proto.String("o-2"), CloseDate: timestamppb.New(closeAt)}}})
	if err != nil || res.GetResults()[0].GetStatus() != commonv1.RecordStatus_RECORD_STATUS_UPDATED {
		t.Fatalf("set close date: %v, %v", res, err)
	}
	got, err = c.BatchGetOpportunities(ctx, &opportunityv1.BatchGetOpportunitiesRequest{Keys: []*opportunityv1.OpportunityKey{{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: "o-2"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := got.GetOpportunities()[0].GetCloseDate().AsTime(); !d.Equal(time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("close date stored as %v, want 2026-06-30T00:00:00Z", d)
	}

	calls := map[string]*opportunityv1.SyncOpportunitiesRequest{
		"idField with createOrUpdate": {DedupeBy: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD, Input: []*opportunityv1.OpportunityInput{{MarketoGuid: proto.String(upper)}}},
		"empty batch":                 {},
		"301 records":                 {Input: make([]*opportunityv1.OpportunityInput, 301)},
	}
	for name, req := range calls {
		if _, err := c.SyncOpportunities(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}

func TestListOpportunitiesPages(t *testing.T) {
	t.Parallel()
	c := opportunityv1.NewOpportunityServiceClient(startService(t))
	ctx := t.Context()
	var in []*opportunityv1.OpportunityInput
	var want []string
	for i := range 8 {
		o := newOpp(fmt.Sprintf("OPP-%d", i))
		if i%2 == 0 {
			o.ExternalCompanyId = proto.String("CO-EVEN")
			want = append(want, o.GetExternalOpportunityId())
		}
		in = append(in, o)
	}
	if _, err := c.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{Input: in}); err != nil {
		t.Fatal(err)
	}
	req := &opportunityv1.ListOpportunitiesRequest{FilterField: opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_COMPANY_ID, FilterValues: []string{"co-even", "CO-EVEN", "co-none"}, PageSize: 3}
	var got, guids []string
	var firstToken string
	for range 5 {
		page, err := c.ListOpportunities(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.GetOpportunities() {
			got = append(got, o.GetExternalOpportunityId())
			guids = append(guids, o.GetMarketoGuid())
		}
		if firstToken == "" {
			firstToken = page.GetNextPageToken()
		}
		if page.GetNextPageToken() == "" {
			break
		}
		req.PageToken = page.GetNextPageToken()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged opportunities (-want +got):\n%s", diff)
	}
	byGUID, err := c.ListOpportunities(ctx, &opportunityv1.ListOpportunitiesRequest{FilterField: opportunityv1.OpportunityField_OPPORTUNITY_FIELD_MARKETO_GUID, FilterValues: []string{strings.ToUpper(guids[1]), "junk"}})
	if err != nil || len(byGUID.GetOpportunities()) != 1 || byGUID.GetOpportunities()[0].GetMarketoGuid() != guids[1] {
		t.Errorf("list by GUID = %v, %v", byGUID, err)
	}
	bySP, err := c.ListOpportunities(ctx, &opportunityv1.ListOpportunitiesRequest{FilterField: opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_SALES_PERSON_ID, FilterValues: []string{"SP-1"}})
	if err != nil || len(bySP.GetOpportunities()) != 8 || bySP.GetNextPageToken() != "" {
		t.Errorf("list by sales person: %d records, token %q, %v", len(bySP.GetOpportunities()), bySP.GetNextPageToken(), err)
	}
	bad := map[string]*opportunityv1.ListOpportunitiesRequest{
		"token of another query": {FilterField: opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_COMPANY_ID, FilterValues: []string{"co-1"}, PageToken: firstToken},
		"tampered token":         {FilterField: opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_COMPANY_ID, FilterValues: []string{"co-even"}, PageToken: firstToken + "x"},
		"page size 301":          {FilterField: opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_COMPANY_ID, FilterValues: []string{"co-even"}, PageSize: 301},
		"no field":               {FilterValues: []string{"co-even"}},
		"no values":              {FilterField: opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_COMPANY_ID},
	}
	for name, req := range bad {
		if _, err := c.ListOpportunities(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}

func TestDeleteAndCountOpportunities(t *testing.T) {
	t.Parallel()
	c := opportunityv1.NewOpportunityServiceClient(startService(t))
	ctx := t.Context()
	res, err := c.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{Input: []*opportunityv1.OpportunityInput{
		newOpp("del-1"), newOpp("del-2"), with(newOpp("keep"), func(in *opportunityv1.OpportunityInput) { in.ExternalSalesPersonId = proto.String("SP-2") }),
	}})
	if err != nil {
		t.Fatal(err)
	}
	counts, err := c.CountOpportunityReferences(ctx, &opportunityv1.CountOpportunityReferencesRequest{
		ExternalCompanyIds: []string{"co-1", "co-2"}, ExternalSalesPersonIds: []string{"SP-1", "sp-2", "sp-3"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := &opportunityv1.CountOpportunityReferencesResponse{
		Companies:    []*commonv1.ReferenceCount{{ExternalId: "co-1", Count: 3}},
		SalesPersons: []*commonv1.ReferenceCount{{ExternalId: "sp-1", Count: 2}, {ExternalId: "sp-2", Count: 1}},
	}
	sortRefs := protocmp.SortRepeated(func(a, b *commonv1.ReferenceCount) bool { return a.GetExternalId() < b.GetExternalId() })
	if diff := cmp.Diff(wantCounts, counts, protocmp.Transform(), sortRefs); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	del, err := c.DeleteOpportunities(ctx, &opportunityv1.DeleteOpportunitiesRequest{Keys: []*opportunityv1.OpportunityKey{
		{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: "DEL-1"}},
		{Key: &opportunityv1.OpportunityKey_MarketoGuid{MarketoGuid: res.GetResults()[0].GetGuid()}},
		{Key: &opportunityv1.OpportunityKey_MarketoGuid{MarketoGuid: strings.ToUpper(res.GetResults()[1].GetGuid())}},
		{Key: &opportunityv1.OpportunityKey_MarketoGuid{MarketoGuid: "junk"}},
		{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: " "}},
		{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"DELETED", "SKIPPED 1013", "DELETED", "SKIPPED 1013", "SKIPPED 1002", "SKIPPED 1002"}, statuses(del.GetResults())); diff != "" {
		t.Errorf("delete (-want +got):\n%s", diff)
	}
	if g := del.GetResults()[0].GetGuid(); g != res.GetResults()[0].GetGuid() {
		t.Errorf("deleted GUID %q, want %q", g, res.GetResults()[0].GetGuid())
	}
	counts, err = c.CountOpportunityReferences(ctx, &opportunityv1.CountOpportunityReferencesRequest{ExternalSalesPersonIds: []string{"sp-1"}})
	if err != nil || len(counts.GetSalesPersons()) != 0 {
		t.Errorf("after delete counts = %v, %v; want none", counts, err)
	}
	if _, err := c.CountOpportunityReferences(ctx, &opportunityv1.CountOpportunityReferencesRequest{ExternalCompanyIds: make([]string, 301)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("count of 301 companies: %v, want InvalidArgument", err)
	}
}
