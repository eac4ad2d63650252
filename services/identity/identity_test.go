package identity

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// startService runs a real identity service on a free port with SQLite in a temp dir and
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
		svc.Close()
	})
	return conn
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

func TestSyncSalesPersons(t *testing.T) {
	t.Parallel()
	c := identityv1.NewSalesPersonServiceClient(startService(t))
	ctx := context.Background()
	const guid = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	res, err := c.SyncSalesPersons(ctx, &identityv1.SyncSalesPersonsRequest{Input: []*identityv1.SalesPersonInput{
		{ExternalSalesPersonId: proto.String("{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}"), Email: proto.String("Rep@Example.com"), FirstName: proto.String("Ann")},
		{ExternalSalesPersonId: proto.String(guid)},
		{Email: proto.String("nokey@example.com")},
		{ExternalSalesPersonId: proto.String("crm-2"), Email: proto.String("not an email")},
		{ExternalSalesPersonId: proto.String("crm-3")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"RECORD_STATUS_CREATED", "RECORD_STATUS_SKIPPED 1036", "RECORD_STATUS_SKIPPED 1002", "RECORD_STATUS_SKIPPED 1001", "RECORD_STATUS_CREATED"}
	if diff := cmp.Diff(want, statuses(res.GetResults())); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	first := res.GetResults()[0].GetId()

	res, err = c.SyncSalesPersons(ctx, &identityv1.SyncSalesPersonsRequest{
		Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY,
		Input: []*identityv1.SalesPersonInput{
			{ExternalSalesPersonId: proto.String(guid), LastName: proto.String("Lee")},
			{ExternalSalesPersonId: proto.String("missing")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"RECORD_STATUS_UPDATED", "RECORD_STATUS_SKIPPED 1013"}, statuses(res.GetResults())); diff != "" {
		t.Fatalf("updateOnly (-want +got):\n%s", diff)
	}
	if res.GetResults()[0].GetId() != first {
		t.Errorf("upper-case GUID update hit id %d, want %d", res.GetResults()[0].GetId(), first)
	}

	res, err = c.SyncSalesPersons(ctx, &identityv1.SyncSalesPersonsRequest{
		Action:   commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY,
		DedupeBy: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD,
		Input: []*identityv1.SalesPersonInput{
			{Id: proto.Int32(first), Title: proto.String("AE")},
			{Id: proto.Int32(first + 1000)},
			{Id: proto.Int32(first), ExternalSalesPersonId: proto.String("other")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"RECORD_STATUS_UPDATED", "RECORD_STATUS_SKIPPED 1013", "RECORD_STATUS_SKIPPED 1036"}, statuses(res.GetResults())); diff != "" {
		t.Fatalf("updateOnly by id (-want +got):\n%s", diff)
	}

	got, err := c.ListSalesPersons(ctx, &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_EMAIL, FilterValues: []string{"rep@EXAMPLE.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetSalesPersons()) != 1 {
		t.Fatalf("list by email found %d", len(got.GetSalesPersons()))
	}
	p := got.GetSalesPersons()[0]
	if p.GetExternalSalesPersonId() != guid || p.GetEmail() != "Rep@Example.com" || p.GetFirstName() != "Ann" || p.GetLastName() != "Lee" || p.GetTitle() != "AE" {
		t.Errorf("stored record = %v", p)
	}

	_, err = c.SyncSalesPersons(ctx, &identityv1.SyncSalesPersonsRequest{DedupeBy: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD, Input: []*identityv1.SalesPersonInput{{Id: proto.Int32(first)}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("idField with createOrUpdate: %v, want InvalidArgument", err)
	}
}

func TestListPagesWithSignedTokens(t *testing.T) {
	t.Parallel()
	c := identityv1.NewSalesPersonServiceClient(startService(t))
	ctx := context.Background()
	var in []*identityv1.SalesPersonInput
	var keys []string
	for i := range 7 {
		k := fmt.Sprintf("SP-%d", i)
		in = append(in, &identityv1.SalesPersonInput{ExternalSalesPersonId: proto.String(k)})
		keys = append(keys, k)
	}
	if _, err := c.SyncSalesPersons(ctx, &identityv1.SyncSalesPersonsRequest{Input: in}); err != nil {
		t.Fatal(err)
	}
	req := &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_EXTERNAL_SALES_PERSON_ID, FilterValues: keys, PageSize: 3}
	var got []string
	var firstToken string
	for range 5 {
		page, err := c.ListSalesPersons(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.GetSalesPersons() {
			got = append(got, p.GetExternalSalesPersonId())
		}
		if firstToken == "" {
			firstToken = page.GetNextPageToken()
		}
		if page.GetNextPageToken() == "" {
			break
		}
		req.PageToken = page.GetNextPageToken()
	}
	if diff := cmp.Diff(keys, got); diff != "" {
		t.Errorf("paged ids (-want +got):\n%s", diff)
	}
	// The token of one query does not page another.
	_, err := c.ListSalesPersons(ctx, &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_EXTERNAL_SALES_PERSON_ID, FilterValues: keys[:2], PageToken: firstToken})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("token replayed on another query: %v, want InvalidArgument", err)
	}
}

func TestDeleteAndHealth(t *testing.T) {
	t.Parallel()
	conn := startService(t)
	c := identityv1.NewSalesPersonServiceClient(conn)
	ctx := context.Background()
	res, err := c.SyncSalesPersons(ctx, &identityv1.SyncSalesPersonsRequest{Input: []*identityv1.SalesPersonInput{{ExternalSalesPersonId: proto.String("del-1")}}})
	if err != nil {
		t.Fatal(err)
	}
	del, err := c.DeleteSalesPersons(ctx, &identityv1.DeleteSalesPersonsRequest{Keys: []*identityv1.SalesPersonKey{
		{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: "DEL-1"}},
		{Key: &identityv1.SalesPersonKey_Id{Id: res.GetResults()[0].GetId()}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"RECORD_STATUS_DELETED", "RECORD_STATUS_SKIPPED 1013"}, statuses(del.GetResults())); diff != "" {
		t.Errorf("delete (-want +got):\n%s", diff)
	}
	h, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: identityv1.SalesPersonService_ServiceDesc.ServiceName})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health = %v, %v; want SERVING", h, err)
	}
}

// TestControlCharactersInAFilterMatchNothing queries sales persons by an email that none can
// hold on PostgreSQL, which refuses NUL in text: the answer is no sales person, not an
// internal error.
func TestControlCharactersInAFilterMatchNothing(t *testing.T) {
	t.Parallel()
	c := identityv1.NewSalesPersonServiceClient(startServiceOn(t, config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL", DatabaseURL: config.Secret(pgtest.NewDatabase(t))}))
	got, err := c.ListSalesPersons(context.Background(), &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_EMAIL, FilterValues: []string{"a\x00@example.com", "b@example.com"}})
	if err != nil || len(got.GetSalesPersons()) != 0 {
		t.Errorf("ListSalesPersons by an email holding NUL = %v, %v; want no sales person and no error", got.GetSalesPersons(), err)
	}
}
