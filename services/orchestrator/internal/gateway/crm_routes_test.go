package gateway

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// crmStub records the CRM-side requests it is sent.
type crmStub struct {
	orchestratorv1.UnimplementedInsightServiceServer
	mu   sync.Mutex
	last proto.Message
}

func (s *crmStub) seen(m proto.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = proto.Clone(m)
}

func (s *crmStub) ReportCrmUsers(_ context.Context, req *orchestratorv1.ReportCrmUsersRequest) (*orchestratorv1.ReportCrmUsersResponse, error) {
	s.seen(req)
	return &orchestratorv1.ReportCrmUsersResponse{Stored: int32(len(req.GetUsers()))}, nil
}

func (s *crmStub) ReportCrmFindings(_ context.Context, req *orchestratorv1.ReportCrmFindingsRequest) (*orchestratorv1.ReportCrmFindingsResponse, error) {
	s.seen(req)
	return &orchestratorv1.ReportCrmFindingsResponse{Stored: int32(len(req.GetFindings())), Resolved: int32(len(req.GetResolved()))}, nil
}

func (s *crmStub) ListCrmFindings(_ context.Context, req *orchestratorv1.ListCrmFindingsRequest) (*orchestratorv1.ListCrmFindingsResponse, error) {
	s.seen(req)
	return &orchestratorv1.ListCrmFindingsResponse{TotalSize: 0}, nil
}

// TestCrmRoutes serves the CRM-side routes through the whole gateway handler to a stub
// InsightService over a real gRPC connection: requests reach the RPCs, and bad enums in the
// query or the body answer 400 with a sentence, before any RPC.
func TestCrmRoutes(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stub := &crmStub{}
	srv := grpc.NewServer()
	orchestratorv1.RegisterInsightServiceServer(srv, stub)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	h, err := New(context.Background(), DefaultConfig, conn, ok, ok)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		method      string
		target      string
		body        string
		wantStatus  int
		wantMessage string        // part of the error message, for errors
		wantRequest proto.Message // what the RPC received, for successes
	}{
		{
			name: "list, filtered", method: http.MethodGet,
			target:     "/v1/crm/findings?kind=CRM_FINDING_KIND_TEAM_OWNER&objectType=SYNC_OBJECT_TYPE_LEAD&pageSize=5&pageToken=abc",
			wantStatus: http.StatusOK,
			wantRequest: &orchestratorv1.ListCrmFindingsRequest{
				Kind: orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER, ObjectType: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD, PageSize: 5, PageToken: "abc",
			},
		},
		{name: "list, unknown kind", method: http.MethodGet, target: "/v1/crm/findings?kind=TEAM", wantStatus: http.StatusBadRequest, wantMessage: "TEAM"},
		{name: "list, unknown object type", method: http.MethodGet, target: "/v1/crm/findings?objectType=ACCOUNT", wantStatus: http.StatusBadRequest, wantMessage: "ACCOUNT"},
		{name: "list, page size not a number", method: http.MethodGet, target: "/v1/crm/findings?pageSize=many", wantStatus: http.StatusBadRequest, wantMessage: "many"},
		{
			name: "report findings", method: http.MethodPost, target: "/v1/crm/findings",
			body: `{"source":"dynamics","findings":[{"objectType":"SYNC_OBJECT_TYPE_LEAD","externalId":"x","kind":"CRM_FINDING_KIND_TEAM_OWNER"}],` +
				`"resolved":[{"objectType":"SYNC_OBJECT_TYPE_COMPANY","externalId":"y","kind":"CRM_FINDING_KIND_OTHER"}]}`,
			wantStatus: http.StatusOK,
			wantRequest: &orchestratorv1.ReportCrmFindingsRequest{
				Source: "dynamics",
				Findings: []*orchestratorv1.CrmFinding{{
					ObjectType: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD, ExternalId: "x", Kind: orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER,
				}},
				Resolved: []*orchestratorv1.CrmFindingKey{{
					ObjectType: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY, ExternalId: "y", Kind: orchestratorv1.CrmFindingKind_CRM_FINDING_KIND_OTHER,
				}},
			},
		},
		{
			// The gateway discards unknown JSON (DiscardUnknown), unknown enum names
			// included: the kind arrives unspecified, which InsightService refuses with
			// INVALID_ARGUMENT (insight's tests).
			name: "report findings, unknown kind", method: http.MethodPost, target: "/v1/crm/findings",
			body:       `{"source":"dynamics","findings":[{"objectType":"SYNC_OBJECT_TYPE_LEAD","externalId":"x","kind":"OWNED_BY_TEAM"}]}`,
			wantStatus: http.StatusOK,
			wantRequest: &orchestratorv1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*orchestratorv1.CrmFinding{{
				ObjectType: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD, ExternalId: "x",
			}}},
		},
		{
			name: "report users", method: http.MethodPost, target: "/v1/crm/users",
			body:       `{"source":"dynamics","users":[{"externalSalesPersonId":"u1","email":"a@example.com","fullName":"A","active":true}]}`,
			wantStatus: http.StatusOK,
			wantRequest: &orchestratorv1.ReportCrmUsersRequest{Source: "dynamics", Users: []*orchestratorv1.CrmUser{
				{ExternalSalesPersonId: "u1", Email: "a@example.com", FullName: "A", Active: true},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stub.seen(nil)
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("HTTP %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus != http.StatusOK {
				t.Logf("answer: %s", rec.Body)
				var body struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || !strings.Contains(body.Message, tt.wantMessage) || body.Code != 3 {
					t.Errorf("body = %s (%v); want google.rpc.Status with code 3 and a message naming %q", rec.Body, err, tt.wantMessage)
				}
				stub.mu.Lock()
				defer stub.mu.Unlock()
				if stub.last != nil {
					t.Errorf("the RPC was called with %v; want the gateway to refuse first", stub.last)
				}
				return
			}
			stub.mu.Lock()
			defer stub.mu.Unlock()
			if !proto.Equal(tt.wantRequest, stub.last) {
				t.Errorf("RPC request = %v, want %v", stub.last, tt.wantRequest)
			}
		})
	}
}
