package person

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// startService runs a real person service on a free port with SQLite in a temp dir and
// returns a client connected over gRPC.
func startService(t *testing.T) *grpc.ClientConn {
	t.Helper()
	return startServiceOn(t, config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"})
}

// startServiceOn is startService over the given storage (its DataDir keeps the certificates).
func startServiceOn(t *testing.T, st config.Store) *grpc.ClientConn {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dataDir := st.DataDir
	svc, err := New(ctx, Config{Addr: "127.0.0.1:0", Store: st}, slog.New(slog.DiscardHandler))
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

func sync(t *testing.T, c personv1.LeadServiceClient, req *personv1.SyncLeadsRequest) []*commonv1.RecordResult {
	t.Helper()
	res, err := c.SyncLeads(context.Background(), req)
	if err != nil {
		t.Fatalf("SyncLeads: %v", err)
	}
	return res.GetResults()
}

func TestSyncLeadsByEmail(t *testing.T) {
	t.Parallel()
	c := personv1.NewLeadServiceClient(startService(t))
	custom := func(kv ...any) map[string]*structpb.Value {
		m := map[string]*structpb.Value{}
		for i := 0; i < len(kv); i += 2 {
			v, err := structpb.NewValue(kv[i+1])
			if err != nil {
				t.Fatal(err)
			}
			m[kv[i].(string)] = v
		}
		return m
	}
	tests := []struct {
		name string
		req  *personv1.SyncLeadsRequest
		want []string
	}{
		{"create and per-record checks", &personv1.SyncLeadsRequest{Input: []*personv1.LeadInput{
			{Email: proto.String("Ann@Example.com"), FirstName: proto.String("Ann"), CustomFields: custom("segment", "smb")},
			{Email: proto.String("ann@example.COM")},
			{FirstName: proto.String("no email")},
			{Email: proto.String("not an email")},
			{Email: proto.String("id@example.com"), Id: proto.Int32(5)},
			{Email: proto.String("std@example.com"), CustomFields: custom("FirstName", "x")},
			{Email: proto.String("list@example.com"), CustomFields: custom("tags", []any{"a"})},
			{Email: proto.String("bob@example.com"), ExternalPersonId: proto.String("CRM-BOB")},
			{Email: proto.String("bob2@example.com"), ExternalPersonId: proto.String("crm-bob")},
		}}, []string{"CREATED", "SKIPPED 1036", "SKIPPED 1002", "SKIPPED 1001", "SKIPPED 1003", "SKIPPED 1003", "SKIPPED 1001", "CREATED", "SKIPPED 1036"}},
		{"createOnly hit", &personv1.SyncLeadsRequest{Action: commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY, Input: []*personv1.LeadInput{
			{Email: proto.String("ANN@example.com")}, {Email: proto.String("cat@example.com")},
		}}, []string{"SKIPPED 1005", "CREATED"}},
		{"updateOnly miss", &personv1.SyncLeadsRequest{Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, Input: []*personv1.LeadInput{
			{Email: proto.String("ann@example.com"), Id: proto.Int32(99), LastName: proto.String("Lee"), CustomFields: custom("segment", nil, "vip", true)},
			{Email: proto.String("nobody@example.com")},
		}}, []string{"UPDATED", "SKIPPED 1004"}},
		{"external person id of another lead", &personv1.SyncLeadsRequest{Input: []*personv1.LeadInput{
			{Email: proto.String("cat@example.com"), ExternalPersonId: proto.String("Crm-Bob")},
			{Email: proto.String("dan@example.com"), ExternalPersonId: proto.String("crm-BOB")},
		}}, []string{"SKIPPED 1003", "SKIPPED 1036"}},
		{"createDuplicate", &personv1.SyncLeadsRequest{CreateDuplicate: true, Input: []*personv1.LeadInput{
			{Email: proto.String("cat@example.com")}, {Email: proto.String("CAT@example.com")}, {Email: proto.String("eve@example.com"), ExternalPersonId: proto.String("crm-bob")},
		}}, []string{"CREATED", "CREATED", "SKIPPED 1036"}},
		{"ambiguous", &personv1.SyncLeadsRequest{Input: []*personv1.LeadInput{{Email: proto.String("cat@example.com")}}}, []string{"SKIPPED 1007"}},
		{"ambiguous updateOnly", &personv1.SyncLeadsRequest{Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, Input: []*personv1.LeadInput{{Email: proto.String("cat@example.com")}}}, []string{"SKIPPED 1007"}},
		{"ambiguous createOnly", &personv1.SyncLeadsRequest{Action: commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY, Input: []*personv1.LeadInput{{Email: proto.String("cat@example.com")}}}, []string{"SKIPPED 1005"}},
	}
	var annID int32
	for _, tt := range tests { // in order: each step builds on the last
		got := sync(t, c, tt.req)
		if diff := cmp.Diff(tt.want, statuses(got)); diff != "" {
			t.Fatalf("%s (-want +got):\n%s", tt.name, diff)
		}
		if annID == 0 {
			annID = got[0].GetId()
		}
		if tt.name == "external person id of another lead" && !strings.Contains(got[0].GetReasons()[0].GetMessage(), "belongs to lead") {
			t.Errorf("1003 message %q does not name the other lead", got[0].GetReasons()[0].GetMessage())
		}
	}
	res, err := c.BatchGetLeads(context.Background(), &personv1.BatchGetLeadsRequest{Keys: []*personv1.LeadKey{{Key: &personv1.LeadKey_Id{Id: annID}}}})
	if err != nil || len(res.GetLeads()) != 1 {
		t.Fatalf("BatchGetLeads = %v, %v", res, err)
	}
	ann := res.GetLeads()[0]
	if ann.GetEmail() != "ann@example.com" || ann.GetFirstName() != "Ann" || ann.GetLastName() != "Lee" {
		t.Errorf("stored lead = %v", ann)
	}
	if got := len(ann.GetCustomFields()); got != 1 || !ann.GetCustomFields()["vip"].GetBoolValue() {
		t.Errorf("custom fields after merge = %v, want only vip=true", ann.GetCustomFields())
	}
}

func TestSyncLeadsByExternalPersonIDAndID(t *testing.T) {
	t.Parallel()
	c := personv1.NewLeadServiceClient(startService(t))
	const guid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	got := sync(t, c, &personv1.SyncLeadsRequest{LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID, Input: []*personv1.LeadInput{
		{ExternalPersonId: proto.String("{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}"), ExternalCompanyId: proto.String("CO-1"), ExternalSalesPersonId: proto.String("SP-1"), Email: proto.String("a@x.io")},
		{ExternalPersonId: proto.String(guid)},
		{Email: proto.String("nokey@x.io")},
		{ExternalPersonId: proto.String("crm-2"), Email: proto.String("a@x.io")},
	}})
	if diff := cmp.Diff([]string{"CREATED", "SKIPPED 1036", "SKIPPED 1002", "CREATED"}, statuses(got)); diff != "" {
		t.Fatalf("by external person id (-want +got):\n%s", diff)
	}
	first := got[0].GetId()
	got = sync(t, c, &personv1.SyncLeadsRequest{
		Action:      commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY,
		LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_ID,
		Input: []*personv1.LeadInput{
			{Id: proto.Int32(first), Title: proto.String("CTO"), ExternalCompanyId: proto.String("")},
			{Id: proto.Int32(first + 1000)},
			{Id: proto.Int32(first)},
			{Title: proto.String("no id")},
			{Id: proto.Int32(got[3].GetId()), ExternalPersonId: proto.String(strings.ToUpper(guid))},
		},
	})
	if diff := cmp.Diff([]string{"UPDATED", "SKIPPED 1004", "SKIPPED 1036", "SKIPPED 1002", "SKIPPED 1003"}, statuses(got)); diff != "" {
		t.Fatalf("updateOnly by id (-want +got):\n%s", diff)
	}
	res, err := c.BatchGetLeads(context.Background(), &personv1.BatchGetLeadsRequest{Keys: []*personv1.LeadKey{
		{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: strings.ToUpper(guid)}},
		{Key: &personv1.LeadKey_Id{Id: first}},
		{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: "unknown"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.GetLeads()) != 1 {
		t.Fatalf("BatchGetLeads found %d leads, want 1", len(res.GetLeads()))
	}
	l := res.GetLeads()[0]
	if l.GetExternalPersonId() != guid || l.GetTitle() != "CTO" || l.GetExternalCompanyId() != "" || l.GetExternalSalesPersonId() != "SP-1" {
		t.Errorf("stored lead = %v", l)
	}

	for name, req := range map[string]*personv1.SyncLeadsRequest{
		"id with createOrUpdate":  {LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_ID, Input: []*personv1.LeadInput{{Id: proto.Int32(first)}}},
		"id with createDuplicate": {LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_ID, Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, CreateDuplicate: true, Input: []*personv1.LeadInput{{Id: proto.Int32(first)}}},
		"empty batch":             {},
		"batch over 300":          {Input: make([]*personv1.LeadInput, 301)},
		"unknown lookup field":    {LookupField: 42, Input: []*personv1.LeadInput{{Email: proto.String("a@x.io")}}},
	} {
		if _, err := c.SyncLeads(context.Background(), req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}

func TestListLeadsPagesWithTotal(t *testing.T) {
	t.Parallel()
	c := personv1.NewLeadServiceClient(startService(t))
	ctx := context.Background()
	var in []*personv1.LeadInput
	var want []string
	for i := range 7 {
		in = append(in, &personv1.LeadInput{ExternalPersonId: proto.String(fmt.Sprintf("P-%d", i)), ExternalCompanyId: proto.String("CO-1")})
		want = append(want, fmt.Sprintf("P-%d", i))
	}
	in = append(in, &personv1.LeadInput{ExternalPersonId: proto.String("other"), ExternalCompanyId: proto.String("CO-2")})
	sync(t, c, &personv1.SyncLeadsRequest{LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID, Input: in})

	req := &personv1.ListLeadsRequest{FilterField: personv1.LeadField_LEAD_FIELD_EXTERNAL_COMPANY_ID, FilterValues: []string{"co-1", "CO-1", "co-9"}, PageSize: 3}
	var got []string
	var totals []int32
	var firstToken string
	for range 5 {
		page, err := c.ListLeads(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.GetLeads() {
			got = append(got, l.GetExternalPersonId())
		}
		totals = append(totals, page.GetTotalSize())
		if firstToken == "" {
			firstToken = page.GetNextPageToken()
		}
		if page.GetNextPageToken() == "" {
			break
		}
		req.PageToken = page.GetNextPageToken()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged leads (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int32{7, 7, 7}, totals); diff != "" {
		t.Errorf("total_size per page (-want +got):\n%s", diff)
	}
	one, err := c.ListLeads(ctx, &personv1.ListLeadsRequest{FilterField: personv1.LeadField_LEAD_FIELD_EXTERNAL_PERSON_ID, FilterValues: []string{"OTHER"}})
	if err != nil || len(one.GetLeads()) != 1 || one.GetTotalSize() != 1 || one.GetNextPageToken() != "" {
		t.Errorf("list by external person id = %v, %v", one, err)
	}
	for name, bad := range map[string]*personv1.ListLeadsRequest{
		"token of another query": {FilterField: personv1.LeadField_LEAD_FIELD_EXTERNAL_COMPANY_ID, FilterValues: []string{"co-2"}, PageToken: firstToken},
		"page size over 300":     {FilterField: personv1.LeadField_LEAD_FIELD_EMAIL, FilterValues: []string{"a@x.io"}, PageSize: 301},
		"no values":              {FilterField: personv1.LeadField_LEAD_FIELD_EMAIL},
		"no field":               {FilterValues: []string{"x"}},
		"id not a number":        {FilterField: personv1.LeadField_LEAD_FIELD_ID, FilterValues: []string{"x"}},
	} {
		if _, err := c.ListLeads(ctx, bad); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", name, err)
		}
	}
}

func TestReadFieldsProjectLeads(t *testing.T) {
	t.Parallel()
	c := personv1.NewLeadServiceClient(startService(t))
	ctx := context.Background()
	got := sync(t, c, &personv1.SyncLeadsRequest{LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID, Input: []*personv1.LeadInput{{
		ExternalPersonId: proto.String("P-1"), Email: proto.String("ann@x.io"), FirstName: proto.String("Ann"), City: proto.String("Oslo"),
		CustomFields: map[string]*structpb.Value{"segment": structpb.NewStringValue("smb")},
	}}})
	id := got[0].GetId()

	list, err := c.ListLeads(ctx, &personv1.ListLeadsRequest{
		FilterField: personv1.LeadField_LEAD_FIELD_EXTERNAL_PERSON_ID, FilterValues: []string{"p-1"},
		ReadFields: []string{"email", "custom_fields", "id"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &personv1.Lead{Id: id, Email: "ann@x.io", CustomFields: map[string]*structpb.Value{"segment": structpb.NewStringValue("smb")}}
	if len(list.GetLeads()) != 1 || !proto.Equal(list.GetLeads()[0], want) {
		t.Errorf("ListLeads with read_fields = %v, want %v", list.GetLeads(), want)
	}
	batch, err := c.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{
		Keys: []*personv1.LeadKey{{Key: &personv1.LeadKey_Id{Id: id}}}, ReadFields: []string{"first_name", "create_time"},
	})
	if err != nil || len(batch.GetLeads()) != 1 {
		t.Fatalf("BatchGetLeads with read_fields = %v, %v", batch, err)
	}
	if l := batch.GetLeads()[0]; l.GetId() != id || l.GetFirstName() != "Ann" || l.GetCreateTime() == nil || l.GetUpdateTime() != nil || l.GetEmail() != "" || l.GetCity() != "" {
		t.Errorf("BatchGetLeads with read_fields = %v", l)
	}
	only, err := c.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: []*personv1.LeadKey{{Key: &personv1.LeadKey_Id{Id: id}}}, ReadFields: []string{"id"}})
	if err != nil || len(only.GetLeads()) != 1 || !proto.Equal(only.GetLeads()[0], &personv1.Lead{Id: id}) {
		t.Errorf("BatchGetLeads of the id only = %v, %v", only, err)
	}

	for _, name := range []string{"createdAt", "firstName", "created_at", ""} {
		_, err := c.ListLeads(ctx, &personv1.ListLeadsRequest{FilterField: personv1.LeadField_LEAD_FIELD_ID, FilterValues: []string{"1"}, ReadFields: []string{"email", name}})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("ListLeads reading %q: %v, want InvalidArgument", name, err)
		}
		_, err = c.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: []*personv1.LeadKey{{Key: &personv1.LeadKey_Id{Id: id}}}, ReadFields: []string{name}})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("BatchGetLeads reading %q: %v, want InvalidArgument", name, err)
		}
	}
}

func TestDeleteAndCountReferences(t *testing.T) {
	t.Parallel()
	c := personv1.NewLeadServiceClient(startService(t))
	ctx := context.Background()
	got := sync(t, c, &personv1.SyncLeadsRequest{LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID, Input: []*personv1.LeadInput{
		{ExternalPersonId: proto.String("del-1"), ExternalCompanyId: proto.String("CO-1"), ExternalSalesPersonId: proto.String("SP-1")},
		{ExternalPersonId: proto.String("del-2"), ExternalCompanyId: proto.String("co-1")},
	}})
	refs, err := c.CountLeadReferences(ctx, &personv1.CountLeadReferencesRequest{ExternalCompanyIds: []string{"CO-1", "co-1", "co-2"}, ExternalSalesPersonIds: []string{"sp-1"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &personv1.CountLeadReferencesResponse{
		Companies:    []*commonv1.ReferenceCount{{ExternalId: "co-1", Count: 2}},
		SalesPersons: []*commonv1.ReferenceCount{{ExternalId: "sp-1", Count: 1}},
	}
	if !proto.Equal(want, refs) {
		t.Errorf("CountLeadReferences = %v, want %v", refs, want)
	}
	if _, err := c.CountLeadReferences(ctx, &personv1.CountLeadReferencesRequest{ExternalCompanyIds: make([]string, 301)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("301 company ids: %v, want InvalidArgument", err)
	}
	del, err := c.DeleteLeads(ctx, &personv1.DeleteLeadsRequest{Keys: []*personv1.LeadKey{
		{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: "DEL-1"}},
		{Key: &personv1.LeadKey_Id{Id: got[0].GetId()}},
		{Key: &personv1.LeadKey_Id{Id: got[1].GetId()}},
		{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: " "}},
		{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"DELETED", "SKIPPED 1013", "DELETED", "SKIPPED 1002", "SKIPPED 1002"}, statuses(del.GetResults())); diff != "" {
		t.Errorf("delete (-want +got):\n%s", diff)
	}
	refs, err = c.CountLeadReferences(ctx, &personv1.CountLeadReferencesRequest{ExternalCompanyIds: []string{"co-1"}})
	if err != nil || len(refs.GetCompanies()) != 0 {
		t.Errorf("after delete CountLeadReferences = %v, %v; want none", refs, err)
	}
}

// registered is every gRPC API the person service serves.
var registered = []grpc.ServiceDesc{
	personv1.LeadService_ServiceDesc,
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
		// The reflection services themselves (v1 and v1alpha) are left out: that the call
		// answered proves them.
		if !strings.HasPrefix(s.GetName(), "grpc.reflection.") {
			got = append(got, s.GetName())
		}
	}
	slices.Sort(got)
	want := []string{"grpc.health.v1.Health", "msisync.person.v1.LeadService"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reflected services (-want +got):\n%s", diff)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	store := config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}
	if err := (Config{Addr: "127.0.0.1:9103", Store: store}).Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	for name, cfg := range map[string]Config{
		"address without a port": {Addr: "no-port", Store: store},
		"no data directory":      {Addr: "127.0.0.1:9103", Store: config.Store{SQLiteSynchronous: "NORMAL"}},
		"not a PostgreSQL URL":   {Addr: "127.0.0.1:9103", Store: store, DatabaseURL: "mysql://x"},
	} {
		if _, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}

// TestControlCharactersAreRefusedPerRecord: a direct gRPC caller that sends a NUL (which
// PostgreSQL cannot store) or another control character gets that record skipped with 1001;
// the other records of the batch are written.
func TestControlCharactersAreRefusedPerRecord(t *testing.T) {
	t.Parallel()
	c := personv1.NewLeadServiceClient(startService(t))
	nul, _ := structpb.NewValue("a\x00b")
	res := sync(t, c, &personv1.SyncLeadsRequest{LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID, Input: []*personv1.LeadInput{
		{ExternalPersonId: proto.String("cc-1"), Title: proto.String("Line\r\none\tok")},
		{ExternalPersonId: proto.String("cc-2"), Title: proto.String("Head\x00 of")},
		{ExternalPersonId: proto.String("cc-3\x00")},
		{ExternalPersonId: proto.String("cc-4"), ExternalCompanyId: proto.String("acc\x07")},
		{ExternalPersonId: proto.String("cc-5"), Email: proto.String("a\x00@example.com")},
		{ExternalPersonId: proto.String("cc-6"), CustomFields: map[string]*structpb.Value{"note": nul}},
		{ExternalPersonId: proto.String("cc-7")},
	}})
	if got, want := strings.Join(statuses(res), ","), "CREATED,SKIPPED 1001,SKIPPED 1001,SKIPPED 1001,SKIPPED 1001,SKIPPED 1001,CREATED"; got != want {
		t.Errorf("statuses = %s, want %s (%v)", got, want, res)
	}
}

// TestControlCharactersInAFilterMatchNothing queries leads by an email that no lead can hold
// on PostgreSQL, which refuses NUL in text: the answer is no lead, not an internal error.
func TestControlCharactersInAFilterMatchNothing(t *testing.T) {
	t.Parallel()
	c := personv1.NewLeadServiceClient(startServiceOn(t, config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL", DatabaseURL: config.Secret(pgtest.NewDatabase(t))}))
	got, err := c.ListLeads(context.Background(), &personv1.ListLeadsRequest{FilterField: personv1.LeadField_LEAD_FIELD_EMAIL, FilterValues: []string{"a\x00@example.com", "b@example.com"}})
	if err != nil || len(got.GetLeads()) != 0 {
		t.Errorf("ListLeads by an email holding NUL = %v, %v; want no lead and no error", got.GetLeads(), err)
	}
}
