package account

import (
	"context"
	"fmt"
	"log/slog"
	"math"
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
	"google.golang.org/protobuf/testing/protocmp"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/mtls"
)

// startService runs a real account service on a free port with SQLite in a temp dir and
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

func startClient(t *testing.T) accountv1.CompanyServiceClient {
	t.Helper()
	return accountv1.NewCompanyServiceClient(startService(t))
}

func statuses(res []*commonv1.RecordResult) []string {
	out := make([]string, len(res))
	for i, r := range res {
		out[i] = r.GetStatus().String()
		for _, reason := range r.GetReasons() {
			out[i] += " " + reason.GetCode()
		}
	}
	return out
}

// sync runs one SyncCompanies call that must succeed.
func sync(t *testing.T, c accountv1.CompanyServiceClient, req *accountv1.SyncCompaniesRequest) []*commonv1.RecordResult {
	t.Helper()
	res, err := c.SyncCompanies(context.Background(), req)
	if err != nil {
		t.Fatalf("SyncCompanies: %v", err)
	}
	if len(res.GetResults()) != len(req.GetInput()) {
		t.Fatalf("%d results for %d records", len(res.GetResults()), len(req.GetInput()))
	}
	for i, r := range res.GetResults() {
		if r.GetIndex() != int32(i) {
			t.Errorf("result %d has index %d", i, r.GetIndex())
		}
	}
	return res.GetResults()
}

// company is a create input for key owned by owner.
func company(key, owner string) *accountv1.CompanyInput {
	return &accountv1.CompanyInput{ExternalCompanyId: proto.String(key), ExternalSalesPersonId: proto.String(owner)}
}

func TestSyncCompanies(t *testing.T) {
	t.Parallel()
	c := startClient(t)
	const guid = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
	const upperGUID = "{6F9619FF-8B86-D011-B42D-00C04FC964FF}"
	full := company(upperGUID, "SP-1")
	full.Company, full.Website, full.BillingCity = proto.String(" Acme Corp "), proto.String("acme.example"), proto.String("Lyon")
	full.NumberOfEmployees, full.AnnualRevenue = proto.Int32(250), proto.Float64(1.5e6)
	withNotes := company("co-7", "sp-2")
	withNotes.CompanyNotes = proto.String(strings.Repeat("n", 1000))
	withLongSite := company("co-6", "sp-2")
	withLongSite.Website = proto.String(strings.Repeat("w", 256))
	negative := company("co-4", "sp-2")
	negative.NumberOfEmployees = proto.Int32(-1)
	notANumber := company("co-5", "sp-2")
	notANumber.AnnualRevenue = proto.Float64(math.NaN())

	first := sync(t, c, &accountv1.SyncCompaniesRequest{Input: []*accountv1.CompanyInput{
		full,
		company(guid, "sp-1"),
		{ExternalSalesPersonId: proto.String("sp-1")},
		{ExternalCompanyId: proto.String("co-2")},
		company("co-3", " "),
		company(strings.Repeat("x", 101), "sp-1"),
		negative,
		notANumber,
		withLongSite,
		withNotes,
	}})
	want := []string{
		"RECORD_STATUS_CREATED", "RECORD_STATUS_SKIPPED 1036", "RECORD_STATUS_SKIPPED 1002", "RECORD_STATUS_SKIPPED 1002",
		"RECORD_STATUS_SKIPPED 1002", "RECORD_STATUS_SKIPPED 1001", "RECORD_STATUS_SKIPPED 1001", "RECORD_STATUS_SKIPPED 1001",
		"RECORD_STATUS_SKIPPED 1001", "RECORD_STATUS_CREATED",
	}
	if diff := cmp.Diff(want, statuses(first)); diff != "" {
		t.Fatalf("first batch (-want +got):\n%s", diff)
	}
	acme, notes := first[0].GetId(), first[9].GetId()

	steps := []struct {
		name string
		req  *accountv1.SyncCompaniesRequest
		want []string
	}{
		{
			name: "createOnly",
			req: &accountv1.SyncCompaniesRequest{Action: commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY, Input: []*accountv1.CompanyInput{
				company(guid, "sp-1"), company("co-8", "sp-1"), {ExternalCompanyId: proto.String("co-9")},
			}},
			want: []string{"RECORD_STATUS_SKIPPED 1017", "RECORD_STATUS_CREATED", "RECORD_STATUS_SKIPPED 1002"},
		},
		{
			name: "updateOnly",
			req: &accountv1.SyncCompaniesRequest{Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, Input: []*accountv1.CompanyInput{
				{ExternalCompanyId: proto.String(guid), ExternalSalesPersonId: proto.String("SP-3"), Industry: proto.String("Retail"), BillingCity: proto.String("")},
				{ExternalCompanyId: proto.String("missing")},
			}},
			want: []string{"RECORD_STATUS_UPDATED", "RECORD_STATUS_SKIPPED 1013"},
		},
		{
			name: "updateOnly by id",
			req: &accountv1.SyncCompaniesRequest{Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, DedupeBy: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD, Input: []*accountv1.CompanyInput{
				{Id: proto.Int32(acme), ExternalCompanyId: proto.String(upperGUID), SicCode: proto.String("7372")},
				{Id: proto.Int32(acme + 1000)},
				{Id: proto.Int32(acme), Site: proto.String("HQ")},
				{Id: proto.Int32(notes), ExternalCompanyId: proto.String("other")},
				{Id: proto.Int32(0)},
				{Site: proto.String("HQ")},
			}},
			want: []string{
				"RECORD_STATUS_UPDATED", "RECORD_STATUS_SKIPPED 1013", "RECORD_STATUS_SKIPPED 1036",
				"RECORD_STATUS_SKIPPED 1003", "RECORD_STATUS_SKIPPED 1001", "RECORD_STATUS_SKIPPED 1002",
			},
		},
	}
	for _, step := range steps {
		got := sync(t, c, step.req)
		if diff := cmp.Diff(step.want, statuses(got)); diff != "" {
			t.Fatalf("%s (-want +got):\n%s", step.name, diff)
		}
		if got[0].GetId() != acme && step.name != "createOnly" {
			t.Errorf("%s: hit id %d, want %d", step.name, got[0].GetId(), acme)
		}
	}

	res, err := c.BatchGetCompanies(context.Background(), &accountv1.BatchGetCompaniesRequest{Keys: []*accountv1.CompanyKey{{Key: &accountv1.CompanyKey_Id{Id: acme}}}})
	if err != nil {
		t.Fatal(err)
	}
	wantCompany := &accountv1.Company{
		Id: acme, ExternalCompanyId: guid, ExternalSalesPersonId: "SP-3", Company: "Acme Corp", Website: "acme.example",
		Industry: "Retail", SicCode: "7372", NumberOfEmployees: 250, AnnualRevenue: 1.5e6,
	}
	if diff := cmp.Diff([]*accountv1.Company{wantCompany}, res.GetCompanies(), protocmp.Transform(),
		protocmp.IgnoreFields(&accountv1.Company{}, "create_time", "update_time")); diff != "" {
		t.Errorf("stored company (-want +got):\n%s", diff)
	}

	bad := []struct {
		name string
		req  *accountv1.SyncCompaniesRequest
	}{
		{"idField with createOrUpdate", &accountv1.SyncCompaniesRequest{DedupeBy: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD, Input: []*accountv1.CompanyInput{{Id: proto.Int32(acme)}}}},
		{"empty batch", &accountv1.SyncCompaniesRequest{}},
		{"301 records", &accountv1.SyncCompaniesRequest{Input: make([]*accountv1.CompanyInput, 301)}},
	}
	for _, tt := range bad {
		if _, err := c.SyncCompanies(context.Background(), tt.req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", tt.name, err)
		}
	}
}

func TestListCompanies(t *testing.T) {
	t.Parallel()
	c := startClient(t)
	ctx := context.Background()
	var in []*accountv1.CompanyInput
	var keys []string
	for i := range 7 {
		k := fmt.Sprintf("CO-%d", i)
		rec := company(k, fmt.Sprintf("SP-%d", i%2))
		rec.Company = proto.String([]string{"Acme", "Globex"}[i%2])
		in = append(in, rec)
		keys = append(keys, k)
	}
	created := sync(t, c, &accountv1.SyncCompaniesRequest{Input: in})

	pageAll := func(req *accountv1.ListCompaniesRequest) ([]string, string) {
		t.Helper()
		var got []string
		var firstToken string
		for range 10 {
			page, err := c.ListCompanies(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			for _, co := range page.GetCompanies() {
				got = append(got, co.GetExternalCompanyId())
			}
			if firstToken == "" {
				firstToken = page.GetNextPageToken()
			}
			if page.GetNextPageToken() == "" {
				break
			}
			req.PageToken = page.GetNextPageToken()
		}
		return got, firstToken
	}
	tests := []struct {
		name   string
		field  accountv1.CompanyField
		values []string
		want   []string
	}{
		{"external ids, any case", accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_COMPANY_ID, append([]string{"co-0", "nope"}, keys[1:]...), keys},
		{"owner, any case", accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_SALES_PERSON_ID, []string{"sp-1"}, []string{"CO-1", "CO-3", "CO-5"}},
		{"company name, case-folded", accountv1.CompanyField_COMPANY_FIELD_COMPANY, []string{" ACME "}, []string{"CO-0", "CO-2", "CO-4", "CO-6"}},
		{"ids", accountv1.CompanyField_COMPANY_FIELD_ID, []string{fmt.Sprint(created[6].GetId()), fmt.Sprint(created[2].GetId()), "99999"}, []string{"CO-2", "CO-6"}},
		{"nothing matches", accountv1.CompanyField_COMPANY_FIELD_COMPANY, []string{"Initech"}, nil},
	}
	for _, tt := range tests {
		got, _ := pageAll(&accountv1.ListCompaniesRequest{FilterField: tt.field, FilterValues: tt.values, PageSize: 2})
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: paged ids (-want +got):\n%s", tt.name, diff)
		}
	}

	_, token := pageAll(&accountv1.ListCompaniesRequest{FilterField: accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_COMPANY_ID, FilterValues: keys, PageSize: 3})
	bad := []struct {
		name string
		req  *accountv1.ListCompaniesRequest
	}{
		{"token of another query", &accountv1.ListCompaniesRequest{FilterField: accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_COMPANY_ID, FilterValues: keys[:2], PageToken: token}},
		{"forged token", &accountv1.ListCompaniesRequest{FilterField: accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_COMPANY_ID, FilterValues: keys, PageToken: token + "x"}},
		{"no field", &accountv1.ListCompaniesRequest{FilterValues: keys}},
		{"no values", &accountv1.ListCompaniesRequest{FilterField: accountv1.CompanyField_COMPANY_FIELD_COMPANY}},
		{"301 values", &accountv1.ListCompaniesRequest{FilterField: accountv1.CompanyField_COMPANY_FIELD_COMPANY, FilterValues: make([]string, 301)}},
		{"page size 301", &accountv1.ListCompaniesRequest{FilterField: accountv1.CompanyField_COMPANY_FIELD_COMPANY, FilterValues: []string{"Acme"}, PageSize: 301}},
		{"id not an integer", &accountv1.ListCompaniesRequest{FilterField: accountv1.CompanyField_COMPANY_FIELD_ID, FilterValues: []string{"CO-1"}}},
	}
	for _, tt := range bad {
		if _, err := c.ListCompanies(ctx, tt.req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v, want InvalidArgument", tt.name, err)
		}
	}
}

func TestBatchGetCompanies(t *testing.T) {
	t.Parallel()
	c := startClient(t)
	ctx := context.Background()
	created := sync(t, c, &accountv1.SyncCompaniesRequest{Input: []*accountv1.CompanyInput{company("g-1", "sp"), company("G-2", "sp")}})
	res, err := c.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: []*accountv1.CompanyKey{
		{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: "G-1"}},
		{Key: &accountv1.CompanyKey_Id{Id: created[0].GetId()}},
		{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: "g-2"}},
		{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: "unknown"}},
		{Key: &accountv1.CompanyKey_Id{Id: 99999}},
		{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, co := range res.GetCompanies() {
		got = append(got, co.GetExternalCompanyId())
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{"G-2", "g-1"}, got); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if _, err := c.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: make([]*accountv1.CompanyKey, 301)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("301 keys: %v, want InvalidArgument", err)
	}
}

func TestDeleteCompanies(t *testing.T) {
	t.Parallel()
	c := startClient(t)
	ctx := context.Background()
	created := sync(t, c, &accountv1.SyncCompaniesRequest{Input: []*accountv1.CompanyInput{company("del-1", "sp"), company("del-2", "sp")}})
	del, err := c.DeleteCompanies(ctx, &accountv1.DeleteCompaniesRequest{Keys: []*accountv1.CompanyKey{
		{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: "DEL-1"}},
		{Key: &accountv1.CompanyKey_Id{Id: created[0].GetId()}},
		{Key: &accountv1.CompanyKey_Id{Id: created[1].GetId()}},
		{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: "missing"}},
		{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: " "}},
		{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"RECORD_STATUS_DELETED", "RECORD_STATUS_SKIPPED 1013", "RECORD_STATUS_DELETED",
		"RECORD_STATUS_SKIPPED 1013", "RECORD_STATUS_SKIPPED 1002", "RECORD_STATUS_SKIPPED 1002",
	}
	if diff := cmp.Diff(want, statuses(del.GetResults())); diff != "" {
		t.Errorf("delete (-want +got):\n%s", diff)
	}
	if del.GetResults()[0].GetId() != created[0].GetId() || del.GetResults()[3].GetReasons()[0].GetMessage() != "Record not found" {
		t.Errorf("delete results = %v", del.GetResults())
	}
	left, err := c.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: []*accountv1.CompanyKey{
		{Key: &accountv1.CompanyKey_Id{Id: created[0].GetId()}}, {Key: &accountv1.CompanyKey_Id{Id: created[1].GetId()}},
	}})
	if err != nil || len(left.GetCompanies()) != 0 {
		t.Errorf("after delete found %v, %v", left.GetCompanies(), err)
	}
	if _, err := c.DeleteCompanies(ctx, &accountv1.DeleteCompaniesRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no keys: %v, want InvalidArgument", err)
	}
}

func TestCountCompanyReferences(t *testing.T) {
	t.Parallel()
	c := startClient(t)
	ctx := context.Background()
	const owner = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	sync(t, c, &accountv1.SyncCompaniesRequest{Input: []*accountv1.CompanyInput{
		company("c-1", "{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}"), company("c-2", owner), company("c-3", "SP-A"), company("c-4", "sp-other"),
	}})
	res, err := c.CountCompanyReferences(ctx, &accountv1.CountCompanyReferencesRequest{ExternalSalesPersonIds: []string{
		"0A1B2C3D4E5F60718293A4B5C6D7E8F9", " sp-a ", "SP-A", "sp-none", "",
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []*commonv1.ReferenceCount{{ExternalId: owner, Count: 2}, {ExternalId: "sp-a", Count: 1}}
	if diff := cmp.Diff(want, res.GetSalesPersons(), protocmp.Transform()); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if _, err := c.CountCompanyReferences(ctx, &accountv1.CountCompanyReferencesRequest{ExternalSalesPersonIds: make([]string, 301)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("301 ids: %v, want InvalidArgument", err)
	}
}

func TestHealthServing(t *testing.T) {
	t.Parallel()
	h := healthpb.NewHealthClient(startService(t))
	for _, name := range []string{"", accountv1.CompanyService_ServiceDesc.ServiceName} {
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
	want := []string{"grpc.health.v1.Health", "msisync.account.v1.CompanyService"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reflected services (-want +got):\n%s", diff)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	store := config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}
	tests := []struct {
		name  string
		cfg   Config
		valid bool
	}{
		{"sqlite", Config{Addr: "127.0.0.1:9102", Store: store}, true},
		{"own postgres url", Config{Addr: "127.0.0.1:9102", DatabaseURL: "postgres://db/x", Store: config.Store{SQLiteSynchronous: "NORMAL"}, TLS: mtls.Config{CA: "ca.pem", Cert: "server.pem", Key: "server-key.pem"}}, true},
		{"postgres, no data dir for the development certificates", Config{Addr: "127.0.0.1:9102", DatabaseURL: "postgres://db/x", Store: config.Store{SQLiteSynchronous: "NORMAL"}}, false},
		{"bad internal TLS mode", Config{Addr: "127.0.0.1:9102", Store: store, TLS: mtls.Config{Mode: "yes"}}, false},
		{"no port", Config{Addr: "no-port", Store: store}, false},
		{"no data dir", Config{Addr: "127.0.0.1:9102", Store: config.Store{SQLiteSynchronous: "NORMAL"}}, false},
		{"bad database url", Config{Addr: "127.0.0.1:9102", DatabaseURL: "mysql://db", Store: store}, false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.valid {
			t.Errorf("%s: Validate = %v, want valid %v", tt.name, err, tt.valid)
		}
	}
	if _, err := New(context.Background(), Config{Addr: "no-port", Store: store}, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("New accepted an address without a port")
	}
}
