package console

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// fakeRecords answers a company page: the company is found, its people cannot be read.
type fakeRecords struct {
	orchestratorv1.UnimplementedInsightServiceServer
	orchestratorv1.UnimplementedMarketoCompanyServiceServer
	orchestratorv1.UnimplementedMarketoLeadServiceServer
	orchestratorv1.UnimplementedMarketoOpportunityServiceServer
}

func (fakeRecords) GetCompanyDiagnostics(_ context.Context, req *orchestratorv1.GetCompanyDiagnosticsRequest) (*orchestratorv1.GetCompanyDiagnosticsResponse, error) {
	return &orchestratorv1.GetCompanyDiagnosticsResponse{ExternalCompanyId: req.GetExternalCompanyId(), Passed: true}, nil
}

func (fakeRecords) GetCompanies(context.Context, *orchestratorv1.GetCompaniesRequest) (*orchestratorv1.GetCompaniesResponse, error) {
	rec, _ := structpb.NewStruct(map[string]any{"externalCompanyId": "acme", "company": "Acme"})
	return &orchestratorv1.GetCompaniesResponse{Result: []*structpb.Struct{rec}}, nil
}

func (fakeRecords) GetLeads(context.Context, *orchestratorv1.GetLeadsRequest) (*orchestratorv1.GetLeadsResponse, error) {
	return nil, status.Error(codes.Unavailable, "person service unavailable")
}

func (fakeRecords) GetOpportunities(context.Context, *orchestratorv1.GetOpportunitiesRequest) (*orchestratorv1.GetOpportunitiesResponse, error) {
	rec, _ := structpb.NewStruct(map[string]any{"externalOpportunityId": "opp-1", "name": "Renewal"})
	return &orchestratorv1.GetOpportunitiesResponse{Result: []*structpb.Struct{rec}}, nil
}

// A related list that cannot be read is said so on the record's page, not shown as empty;
// the lists that could be read are still shown.
func TestARelatedListThatFailsIsNotShownAsEmpty(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAPI{}
	srv := grpc.NewServer()
	orchestratorv1.RegisterAuthServiceServer(srv, f)
	orchestratorv1.RegisterSyncRunServiceServer(srv, f)
	orchestratorv1.RegisterInsightServiceServer(srv, fakeRecords{})
	orchestratorv1.RegisterMarketoCompanyServiceServer(srv, fakeRecords{})
	orchestratorv1.RegisterMarketoLeadServiceServer(srv, fakeRecords{})
	orchestratorv1.RegisterMarketoOpportunityServiceServer(srv, fakeRecords{})
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); srv.Stop() })
	c := New(Config{Conn: conn, Key: "the-key"})

	_, ck := signIn(t, c, "right-secret-0123456789")
	req := httptest.NewRequest(http.MethodGet, "/console/companies/acme", nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d:\n%s", rec.Code, body)
	}
	if !strings.Contains(body, "The company&#39;s people could not be read") {
		t.Errorf("the page does not say the company's people could not be read:\n%s", body)
	}
	if !strings.Contains(body, "/console/opportunities/opp-1") {
		t.Errorf("the opportunities that could be read are not shown:\n%s", body)
	}
}
