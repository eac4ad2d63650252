package marketoapi

import (
	"context"
	"fmt"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// fakeIdentity is an identityv1.SalesPersonServiceClient that records the requests it
// gets and answers with canned responses.
type fakeIdentity struct {
	mu         sync.Mutex
	syncReqs   []*identityv1.SyncSalesPersonsRequest
	listReqs   []*identityv1.ListSalesPersonsRequest
	deleteReqs []*identityv1.DeleteSalesPersonsRequest

	syncResp   *identityv1.SyncSalesPersonsResponse
	listResp   *identityv1.ListSalesPersonsResponse
	deleteResp *identityv1.DeleteSalesPersonsResponse
	err        error
}

var _ identityv1.SalesPersonServiceClient = (*fakeIdentity)(nil)

func (f *fakeIdentity) CountSalesPersons(context.Context, *identityv1.CountSalesPersonsRequest, ...grpc.CallOption) (*identityv1.CountSalesPersonsResponse, error) {
	return nil, f.err
}

func (f *fakeIdentity) SyncSalesPersons(_ context.Context, in *identityv1.SyncSalesPersonsRequest, _ ...grpc.CallOption) (*identityv1.SyncSalesPersonsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncReqs = append(f.syncReqs, in)
	return f.syncResp, f.err
}

func (f *fakeIdentity) ListSalesPersons(_ context.Context, in *identityv1.ListSalesPersonsRequest, _ ...grpc.CallOption) (*identityv1.ListSalesPersonsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listReqs = append(f.listReqs, in)
	return f.listResp, f.err
}

// BatchGetSalesPersons finds nobody, so deletes go ahead without a reference check (the
// 1022 refusal is tested against real services end to end).
func (f *fakeIdentity) BatchGetSalesPersons(context.Context, *identityv1.BatchGetSalesPersonsRequest, ...grpc.CallOption) (*identityv1.BatchGetSalesPersonsResponse, error) {
	return &identityv1.BatchGetSalesPersonsResponse{}, nil
}

func (f *fakeIdentity) DeleteSalesPersons(_ context.Context, in *identityv1.DeleteSalesPersonsRequest, _ ...grpc.CallOption) (*identityv1.DeleteSalesPersonsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleteReqs = append(f.deleteReqs, in)
	// Like the identity service, number the results by their position in the request.
	for i, r := range f.deleteResp.GetResults() {
		r.Index = int32(i)
	}
	return f.deleteResp, f.err
}

// testRequestID is the id the gateway would put in the incoming metadata.
const testRequestID = "e42b#14272d07d78"

func gatewayContext() context.Context {
	return metadata.NewIncomingContext(context.Background(), metadata.Pairs(RequestIDHeader, testRequestID))
}

var requestIDPattern = regexp.MustCompile(`^[0-9a-f]+#[0-9a-f]+$`)

func skipped(seq int32, code, message string) *orchestratorv1.MarketoRecordResult {
	return &orchestratorv1.MarketoRecordResult{Seq: seq, Status: "skipped", Reasons: []*commonv1.Reason{{Code: code, Message: message}}}
}

func TestSalesPersonInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		record     map[string]any
		want       *identityv1.SalesPersonInput
		wantReason *commonv1.Reason
	}{
		{
			name: "all fields mapped",
			record: map[string]any{
				"id":                    float64(7),
				"externalSalesPersonId": "ext-7",
				"email":                 "ada@example.com",
				"firstName":             "Ada",
				"lastName":              "Lovelace",
				"title":                 "Analyst",
				"phone":                 "+44 20 1234",
				"mobilePhone":           float64(447700900123),
				"fax":                   "+44 20 5678",
			},
			want: &identityv1.SalesPersonInput{
				Id:                    proto.Int32(7),
				ExternalSalesPersonId: proto.String("ext-7"),
				Email:                 proto.String("ada@example.com"),
				FirstName:             proto.String("Ada"),
				LastName:              proto.String("Lovelace"),
				Title:                 proto.String("Analyst"),
				Phone:                 proto.String("+44 20 1234"),
				MobilePhone:           proto.String("447700900123"),
				Fax:                   proto.String("+44 20 5678"),
			},
		},
		{
			name:   "absent fields stay absent",
			record: map[string]any{"externalSalesPersonId": "ext-1"},
			want:   &identityv1.SalesPersonInput{ExternalSalesPersonId: proto.String("ext-1")},
		},
		{
			name:   "null clears a field (present empty string)",
			record: map[string]any{"externalSalesPersonId": "ext-1", "title": nil, "phone": ""},
			want:   &identityv1.SalesPersonInput{ExternalSalesPersonId: proto.String("ext-1"), Title: proto.String(""), Phone: proto.String("")},
		},
		{
			name:   "null id is ignored",
			record: map[string]any{"id": nil, "externalSalesPersonId": "ext-1"},
			want:   &identityv1.SalesPersonInput{ExternalSalesPersonId: proto.String("ext-1")},
		},
		{
			name:   "id as a digit string",
			record: map[string]any{"id": "12"},
			want:   &identityv1.SalesPersonInput{Id: proto.Int32(12)},
		},
		{
			name:       "id of the wrong type",
			record:     map[string]any{"id": "twelve", "externalSalesPersonId": "ext-1"},
			wantReason: &commonv1.Reason{Code: "1001", Message: "Invalid value for 'id'. Required of type 'integer'"},
		},
		{
			name:       "id as a bool",
			record:     map[string]any{"id": true},
			wantReason: &commonv1.Reason{Code: "1001", Message: "Invalid value for 'id'. Required of type 'integer'"},
		},
		{
			name:       "string field given an object",
			record:     map[string]any{"email": map[string]any{"address": "a@example.com"}},
			wantReason: &commonv1.Reason{Code: "1001", Message: "Invalid value for 'email'. Required of type 'string'"},
		},
		{
			name:       "unknown field",
			record:     map[string]any{"externalSalesPersonId": "ext-1", "nickname": "Ada"},
			wantReason: &commonv1.Reason{Code: "1006", Message: "Field 'nickname' not found"},
		},
		{
			name:       "field names are case-sensitive",
			record:     map[string]any{"Email": "a@example.com"},
			wantReason: &commonv1.Reason{Code: "1006", Message: "Field 'Email' not found"},
		},
		{
			name:       "createdAt is set by msisync",
			record:     map[string]any{"externalSalesPersonId": "ext-1", "createdAt": "2026-01-01T00:00:00Z"},
			wantReason: &commonv1.Reason{Code: "1003", Message: "Invalid data: field 'createdAt' is set by msisync and cannot be written"},
		},
		{
			name:       "updatedAt is set by msisync",
			record:     map[string]any{"updatedAt": "2026-01-01T00:00:00Z"},
			wantReason: &commonv1.Reason{Code: "1003", Message: "Invalid data: field 'updatedAt' is set by msisync and cannot be written"},
		},
		{
			name:       "the first problem in field-name order is reported",
			record:     map[string]any{"zzz": "x", "createdAt": "2026-01-01T00:00:00Z", "email": []any{"a"}},
			wantReason: &commonv1.Reason{Code: "1003", Message: "Invalid data: field 'createdAt' is set by msisync and cannot be written"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, why := salesPersonInput(mustStruct(t, tt.record))
			if diff := cmp.Diff(tt.wantReason, why, protocmp.Transform()); diff != "" {
				t.Errorf("reason mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("input mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func testPerson() *identityv1.SalesPerson {
	return &identityv1.SalesPerson{
		Id:                    5,
		ExternalSalesPersonId: "ext-5",
		Email:                 "grace@example.com",
		FirstName:             "Grace",
		CreateTime:            timestamppb.New(time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)),
		UpdateTime:            timestamppb.New(time.Date(2026, 11, 2, 10, 0, 0, 0, time.FixedZone("CET", 3600))),
	}
}

func TestSalesPersonRecord(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		seq    int
		fields []string
		want   map[string]any
	}{
		{
			name: "default fields are the populated ones plus seq, id and timestamps",
			seq:  3,
			want: map[string]any{
				"seq":                   float64(3),
				"id":                    float64(5),
				"externalSalesPersonId": "ext-5",
				"email":                 "grace@example.com",
				"firstName":             "Grace",
				"createdAt":             "2026-11-01T09:30:00Z",
				"updatedAt":             "2026-11-02T09:00:00Z",
			},
		},
		{
			name:   "requested fields, null when empty",
			seq:    0,
			fields: []string{"email", "lastName", "title", "createdAt"},
			want: map[string]any{
				"seq":       float64(0),
				"id":        float64(5),
				"email":     "grace@example.com",
				"lastName":  nil,
				"title":     nil,
				"createdAt": "2026-11-01T09:30:00Z",
			},
		},
		{
			name:   "requesting id keeps the numeric id",
			seq:    1,
			fields: []string{"id", "firstName"},
			want: map[string]any{
				"seq":       float64(1),
				"id":        float64(5),
				"firstName": "Grace",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := salesPersonRecord(tt.seq, testPerson(), tt.fields)
			if diff := cmp.Diff(tt.want, got.AsMap()); diff != "" {
				t.Errorf("record mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSyncSalesPersons(t *testing.T) {
	t.Parallel()
	identity := &fakeIdentity{syncResp: &identityv1.SyncSalesPersonsResponse{Results: []*commonv1.RecordResult{
		{Index: 0, Status: commonv1.RecordStatus_RECORD_STATUS_CREATED, Id: 10},
		{Index: 1, Status: commonv1.RecordStatus_RECORD_STATUS_UPDATED, Id: 11, Guid: "guid-11"},
		{Index: 2, Status: commonv1.RecordStatus_RECORD_STATUS_SKIPPED, Reasons: []*commonv1.Reason{{Code: "1036", Message: "Duplicate object found in input"}}},
	}}}
	req := &orchestratorv1.SyncSalesPersonsRequest{
		Action:   "createOrUpdate",
		DedupeBy: "dedupeFields",
		Input: []*structpb.Struct{
			mustStruct(t, map[string]any{"externalSalesPersonId": "ext-a", "email": "a@example.com"}),
			mustStruct(t, map[string]any{"externalSalesPersonId": "ext-b", "nickname": "B"}),
			mustStruct(t, map[string]any{"externalSalesPersonId": "ext-c"}),
			mustStruct(t, map[string]any{"externalSalesPersonId": "ext-d", "createdAt": "2026-01-01T00:00:00Z"}),
			mustStruct(t, map[string]any{"externalSalesPersonId": "ext-c", "id": 3}),
		},
	}
	got, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).SyncSalesPersons(gatewayContext(), req)
	if err != nil {
		t.Fatalf("SyncSalesPersons: %v", err)
	}
	wantCalls := []*identityv1.SyncSalesPersonsRequest{{
		Action:   commonv1.SyncAction_SYNC_ACTION_CREATE_OR_UPDATE,
		DedupeBy: commonv1.DedupeBy_DEDUPE_BY_DEDUPE_FIELDS,
		Input: []*identityv1.SalesPersonInput{
			{ExternalSalesPersonId: proto.String("ext-a"), Email: proto.String("a@example.com")},
			{ExternalSalesPersonId: proto.String("ext-c")},
			{ExternalSalesPersonId: proto.String("ext-c"), Id: proto.Int32(3)},
		},
	}}
	if diff := cmp.Diff(wantCalls, identity.syncReqs, protocmp.Transform()); diff != "" {
		t.Errorf("identity calls mismatch (-want +got):\n%s", diff)
	}
	want := &orchestratorv1.SyncSalesPersonsResponse{
		RequestId: testRequestID,
		Success:   true,
		Result: []*orchestratorv1.MarketoRecordResult{
			{Seq: 0, Status: "created", Id: proto.Int32(10)},
			skipped(1, "1006", "Field 'nickname' not found"),
			{Seq: 2, Status: "updated", Id: proto.Int32(11), MarketoGuid: proto.String("guid-11")},
			skipped(3, "1003", "Invalid data: field 'createdAt' is set by msisync and cannot be written"),
			skipped(4, "1036", "Duplicate object found in input"),
		},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
}

func TestSyncSalesPersonsAllInvalidMakesNoCall(t *testing.T) {
	t.Parallel()
	identity := &fakeIdentity{}
	got, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).SyncSalesPersons(gatewayContext(), &orchestratorv1.SyncSalesPersonsRequest{
		Input: []*structpb.Struct{
			mustStruct(t, map[string]any{"bogus": 1}),
			mustStruct(t, map[string]any{"id": 1.5}),
		},
	})
	if err != nil {
		t.Fatalf("SyncSalesPersons: %v", err)
	}
	want := &orchestratorv1.SyncSalesPersonsResponse{
		RequestId: testRequestID,
		Success:   true,
		Result: []*orchestratorv1.MarketoRecordResult{
			skipped(0, "1006", "Field 'bogus' not found"),
			skipped(1, "1001", "Invalid value for 'id'. Required of type 'integer'"),
		},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
	if len(identity.syncReqs) != 0 {
		t.Errorf("identity was called %d times, want 0", len(identity.syncReqs))
	}
}

func manyRecords(t *testing.T, n int, rec func(i int) map[string]any) []*structpb.Struct {
	t.Helper()
	out := make([]*structpb.Struct, n)
	for i := range out {
		out[i] = mustStruct(t, rec(i))
	}
	return out
}

func TestSyncSalesPersonsRequestErrors(t *testing.T) {
	t.Parallel()
	one := func(int) map[string]any { return map[string]any{"externalSalesPersonId": "ext"} }
	tests := []struct {
		name string
		req  *orchestratorv1.SyncSalesPersonsRequest
		want *requestErrorOf
	}{
		{
			name: "empty input",
			req:  &orchestratorv1.SyncSalesPersonsRequest{},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "701", Message: "input cannot be blank: send 1 to 300 records"},
		},
		{
			name: "more than 300 records",
			req:  &orchestratorv1.SyncSalesPersonsRequest{Input: manyRecords(t, 301, one)},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid data: 301 records in input, at most 300 per call"},
		},
		{
			name: "unknown action",
			req:  &orchestratorv1.SyncSalesPersonsRequest{Action: "replace", Input: manyRecords(t, 1, one)},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid action 'replace': use createOnly, updateOnly or createOrUpdate"},
		},
		{
			name: "unknown dedupeBy",
			req:  &orchestratorv1.SyncSalesPersonsRequest{DedupeBy: "email", Input: manyRecords(t, 1, one)},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid dedupeBy 'email': use dedupeFields or idField"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			identity := &fakeIdentity{}
			resp, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).SyncSalesPersons(gatewayContext(), tt.req)
			if diff := cmp.Diff(tt.want, describeError(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if resp != nil {
				t.Errorf("response = %v, want nil", resp)
			}
			if len(identity.syncReqs) != 0 {
				t.Errorf("identity was called %d times, want 0", len(identity.syncReqs))
			}
		})
	}
}

func TestSyncSalesPersonsAcceptsExactly300(t *testing.T) {
	t.Parallel()
	results := make([]*commonv1.RecordResult, 300)
	for i := range results {
		results[i] = &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_CREATED, Id: int32(i + 1)}
	}
	identity := &fakeIdentity{syncResp: &identityv1.SyncSalesPersonsResponse{Results: results}}
	got, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).SyncSalesPersons(gatewayContext(), &orchestratorv1.SyncSalesPersonsRequest{
		Input: manyRecords(t, 300, func(i int) map[string]any { return map[string]any{"externalSalesPersonId": fmt.Sprint("ext-", i)} }),
	})
	if err != nil {
		t.Fatalf("SyncSalesPersons: %v", err)
	}
	if len(identity.syncReqs) != 1 || len(identity.syncReqs[0].GetInput()) != 300 {
		t.Fatalf("identity calls = %d, want one call with 300 inputs", len(identity.syncReqs))
	}
	if n := len(got.GetResult()); n != 300 || got.GetResult()[299].GetSeq() != 299 || got.GetResult()[299].GetId() != 300 {
		t.Errorf("got %d results, last %v; want 300 with seq 299 id 300", n, got.GetResult()[n-1])
	}
}

func TestSyncSalesPersonsPassesIdentityErrors(t *testing.T) {
	t.Parallel()
	identity := &fakeIdentity{err: status.Error(codes.Unavailable, "identity down")}
	_, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).SyncSalesPersons(gatewayContext(), &orchestratorv1.SyncSalesPersonsRequest{
		Input: []*structpb.Struct{mustStruct(t, map[string]any{"externalSalesPersonId": "ext"})},
	})
	if got := status.Code(err); got != codes.Unavailable {
		t.Errorf("error code = %v (%v), want Unavailable", got, err)
	}
}

func TestGetSalesPersonsRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *orchestratorv1.GetSalesPersonsRequest
		want *identityv1.ListSalesPersonsRequest
	}{
		{
			name: "externalSalesPersonId with comma and repeated values",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "externalSalesPersonId", FilterValues: []string{"a, b", "c"}},
			want: &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_EXTERNAL_SALES_PERSON_ID, FilterValues: []string{"a", "b", "c"}},
		},
		{
			name: "dedupeFields alias",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "dedupeFields", FilterValues: []string{"a"}},
			want: &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_EXTERNAL_SALES_PERSON_ID, FilterValues: []string{"a"}},
		},
		{
			name: "idField alias",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "idField", FilterValues: []string{"1,2"}},
			want: &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_ID, FilterValues: []string{"1", "2"}},
		},
		{
			name: "id, case-insensitive",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "ID", FilterValues: []string{"1"}},
			want: &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_ID, FilterValues: []string{"1"}},
		},
		{
			name: "email with blanks around the filter type",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: " Email ", FilterValues: []string{"a@example.com,b@example.com"}},
			want: &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_EMAIL, FilterValues: []string{"a@example.com", "b@example.com"}},
		},
		{
			name: "DEDUPEFIELDS upper case",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "DEDUPEFIELDS", FilterValues: []string{"x"}},
			want: &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_EXTERNAL_SALES_PERSON_ID, FilterValues: []string{"x"}},
		},
		{
			name: "batch size and page token are passed",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "email", FilterValues: []string{"a@example.com"}, BatchSize: 50, NextPageToken: "page-2"},
			want: &identityv1.ListSalesPersonsRequest{FilterField: identityv1.SalesPersonField_SALES_PERSON_FIELD_EMAIL, FilterValues: []string{"a@example.com"}, PageSize: 50, PageToken: "page-2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			identity := &fakeIdentity{listResp: &identityv1.ListSalesPersonsResponse{}}
			if _, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).GetSalesPersons(gatewayContext(), tt.req); err != nil {
				t.Fatalf("GetSalesPersons: %v", err)
			}
			if diff := cmp.Diff([]*identityv1.ListSalesPersonsRequest{tt.want}, identity.listReqs, protocmp.Transform()); diff != "" {
				t.Errorf("identity calls mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetSalesPersonsRequestErrors(t *testing.T) {
	t.Parallel()
	many := make([]string, 301)
	for i := range many {
		many[i] = fmt.Sprint(i + 1)
	}
	tests := []struct {
		name string
		req  *orchestratorv1.GetSalesPersonsRequest
		want *requestErrorOf
	}{
		{
			name: "blank filterType",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: " ", FilterValues: []string{"a"}},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "701", Message: "filterType cannot be blank: use externalSalesPersonId, id or email"},
		},
		{
			name: "unknown filterType",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "firstName", FilterValues: []string{"a"}},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid filterType 'firstName': use externalSalesPersonId, id or email"},
		},
		{
			name: "blank filterValues",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "id", FilterValues: []string{" , "}},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "701", Message: "filterValues cannot be blank"},
		},
		{
			name: "more than 300 filterValues",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "id", FilterValues: []string{strings.Join(many, ",")}},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid data: 301 filterValues, at most 300"},
		},
		{
			name: "unknown field",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "id", FilterValues: []string{"1"}, Fields: []string{"email,nickname"}},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1006", Message: "Field 'nickname' not found"},
		},
		{
			name: "batchSize too large",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "id", FilterValues: []string{"1"}, BatchSize: 301},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid batchSize 301: use 1 to 300"},
		},
		{
			name: "negative batchSize",
			req:  &orchestratorv1.GetSalesPersonsRequest{FilterType: "id", FilterValues: []string{"1"}, BatchSize: -1},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid batchSize -1: use 1 to 300"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			identity := &fakeIdentity{listResp: &identityv1.ListSalesPersonsResponse{}}
			_, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).GetSalesPersons(gatewayContext(), tt.req)
			if diff := cmp.Diff(tt.want, describeError(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if len(identity.listReqs) != 0 {
				t.Errorf("identity was called %d times, want 0", len(identity.listReqs))
			}
		})
	}
}

func TestGetSalesPersonsResponse(t *testing.T) {
	t.Parallel()
	other := &identityv1.SalesPerson{Id: 6, ExternalSalesPersonId: "ext-6", CreateTime: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), UpdateTime: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	tests := []struct {
		name      string
		token     string
		fields    []string
		wantMore  *bool
		wantToken *string
		wantRecs  []map[string]any
	}{
		{
			name:      "more results",
			token:     "page-2",
			fields:    []string{"email,firstName"},
			wantMore:  proto.Bool(true),
			wantToken: proto.String("page-2"),
			wantRecs: []map[string]any{
				{"seq": float64(0), "id": float64(5), "email": "grace@example.com", "firstName": "Grace"},
				{"seq": float64(1), "id": float64(6), "email": nil, "firstName": nil},
			},
		},
		{
			name: "last page",
			wantRecs: []map[string]any{
				{"seq": float64(0), "id": float64(5), "externalSalesPersonId": "ext-5", "email": "grace@example.com", "firstName": "Grace", "createdAt": "2026-11-01T09:30:00Z", "updatedAt": "2026-11-02T09:00:00Z"},
				{"seq": float64(1), "id": float64(6), "externalSalesPersonId": "ext-6", "createdAt": "2026-01-02T03:04:05Z", "updatedAt": "2026-01-02T03:04:05Z"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			identity := &fakeIdentity{listResp: &identityv1.ListSalesPersonsResponse{SalesPersons: []*identityv1.SalesPerson{testPerson(), other}, NextPageToken: tt.token}}
			got, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).GetSalesPersons(gatewayContext(), &orchestratorv1.GetSalesPersonsRequest{FilterType: "id", FilterValues: []string{"5,6"}, Fields: tt.fields})
			if err != nil {
				t.Fatalf("GetSalesPersons: %v", err)
			}
			type summary struct {
				RequestID  string
				Success    bool
				MoreResult *bool
				NextToken  *string
				Records    []map[string]any
			}
			gotSummary := summary{RequestID: got.GetRequestId(), Success: got.GetSuccess(), MoreResult: got.MoreResult, NextToken: got.NextPageToken}
			for _, r := range got.GetResult() {
				gotSummary.Records = append(gotSummary.Records, r.AsMap())
			}
			want := summary{RequestID: testRequestID, Success: true, MoreResult: tt.wantMore, NextToken: tt.wantToken, Records: tt.wantRecs}
			if diff := cmp.Diff(want, gotSummary); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetSalesPersonsNoMatchIsAnEmptyResult(t *testing.T) {
	t.Parallel()
	identity := &fakeIdentity{listResp: &identityv1.ListSalesPersonsResponse{}}
	got, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).GetSalesPersons(gatewayContext(), &orchestratorv1.GetSalesPersonsRequest{FilterType: "email", FilterValues: []string{"nobody@example.com"}})
	if err != nil {
		t.Fatalf("GetSalesPersons: %v", err)
	}
	want := &orchestratorv1.GetSalesPersonsResponse{RequestId: testRequestID, Success: true, Result: []*structpb.Struct{}}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("response mismatch (-want +got):\n%s", diff)
	}
}

func TestDeleteSalesPersons(t *testing.T) {
	t.Parallel()
	deleted := func(id int32) *commonv1.RecordResult {
		return &commonv1.RecordResult{Status: commonv1.RecordStatus_RECORD_STATUS_DELETED, Id: id}
	}
	notFound := &commonv1.RecordResult{Status: commonv1.RecordStatus_RECORD_STATUS_SKIPPED, Reasons: []*commonv1.Reason{{Code: "1013", Message: "Object not found"}}}
	tests := []struct {
		name      string
		deleteBy  string
		input     []map[string]any
		resp      []*commonv1.RecordResult
		wantCalls []*identityv1.DeleteSalesPersonsRequest
		want      []*orchestratorv1.MarketoRecordResult
	}{
		{
			name:     "by idField",
			deleteBy: "idField",
			input: []map[string]any{
				{"id": 1},
				{"externalSalesPersonId": "ext-2"},
				{"id": "abc"},
				{"id": "4"},
			},
			resp: []*commonv1.RecordResult{deleted(1), notFound},
			wantCalls: []*identityv1.DeleteSalesPersonsRequest{{Keys: []*identityv1.SalesPersonKey{
				{Key: &identityv1.SalesPersonKey_Id{Id: 1}},
				{Key: &identityv1.SalesPersonKey_Id{Id: 4}},
			}}},
			want: []*orchestratorv1.MarketoRecordResult{
				{Seq: 0, Status: "deleted", Id: proto.Int32(1)},
				skipped(1, "1002", "Missing value for the required parameter 'id'"),
				skipped(2, "1001", "Invalid value for 'id'. Required of type 'integer'"),
				skipped(3, "1013", "Object not found"),
			},
		},
		{
			name:     "by dedupeFields",
			deleteBy: "DedupeFields",
			input: []map[string]any{
				{"id": 2},
				{"externalSalesPersonId": "ext-1"},
				{"externalSalesPersonId": "  "},
				{"externalSalesPersonId": nil},
				{"externalSalesPersonId": "ext-5"},
				{"externalSalesPersonId": []any{"x"}},
			},
			resp: []*commonv1.RecordResult{deleted(11), deleted(15)},
			wantCalls: []*identityv1.DeleteSalesPersonsRequest{{Keys: []*identityv1.SalesPersonKey{
				{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: "ext-1"}},
				{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: "ext-5"}},
			}}},
			want: []*orchestratorv1.MarketoRecordResult{
				skipped(0, "1002", "Missing value for the required parameter 'externalSalesPersonId'"),
				{Seq: 1, Status: "deleted", Id: proto.Int32(11)},
				skipped(2, "1002", "Missing value for the required parameter 'externalSalesPersonId'"),
				skipped(3, "1002", "Missing value for the required parameter 'externalSalesPersonId'"),
				{Seq: 4, Status: "deleted", Id: proto.Int32(15)},
				skipped(5, "1001", "Invalid value for 'externalSalesPersonId'. Required of type 'string'"),
			},
		},
		{
			name:     "default deleteBy is dedupeFields",
			deleteBy: "",
			input:    []map[string]any{{"externalSalesPersonId": "ext-1"}},
			resp:     []*commonv1.RecordResult{deleted(11)},
			wantCalls: []*identityv1.DeleteSalesPersonsRequest{{Keys: []*identityv1.SalesPersonKey{
				{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: "ext-1"}},
			}}},
			want: []*orchestratorv1.MarketoRecordResult{{Seq: 0, Status: "deleted", Id: proto.Int32(11)}},
		},
		{
			name:     "no valid key makes no call",
			deleteBy: "idField",
			input:    []map[string]any{{"externalSalesPersonId": "ext-1"}},
			want: []*orchestratorv1.MarketoRecordResult{
				skipped(0, "1002", "Missing value for the required parameter 'id'"),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			identity := &fakeIdentity{deleteResp: &identityv1.DeleteSalesPersonsResponse{Results: tt.resp}}
			input := make([]*structpb.Struct, len(tt.input))
			for i, rec := range tt.input {
				input[i] = mustStruct(t, rec)
			}
			got, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).DeleteSalesPersons(gatewayContext(), &orchestratorv1.DeleteSalesPersonsRequest{DeleteBy: tt.deleteBy, Input: input})
			if err != nil {
				t.Fatalf("DeleteSalesPersons: %v", err)
			}
			if diff := cmp.Diff(tt.wantCalls, identity.deleteReqs, protocmp.Transform()); diff != "" {
				t.Errorf("identity calls mismatch (-want +got):\n%s", diff)
			}
			want := &orchestratorv1.DeleteSalesPersonsResponse{RequestId: testRequestID, Success: true, Result: tt.want}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("response mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeleteSalesPersonsRequestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *orchestratorv1.DeleteSalesPersonsRequest
		want *requestErrorOf
	}{
		{
			name: "empty input",
			req:  &orchestratorv1.DeleteSalesPersonsRequest{DeleteBy: "idField"},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "701", Message: "input cannot be blank: send 1 to 300 records"},
		},
		{
			name: "more than 300 records",
			req:  &orchestratorv1.DeleteSalesPersonsRequest{Input: manyRecords(t, 301, func(i int) map[string]any { return map[string]any{"id": i + 1} })},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid data: 301 records in input, at most 300 per call"},
		},
		{
			name: "unknown deleteBy",
			req:  &orchestratorv1.DeleteSalesPersonsRequest{DeleteBy: "email", Input: manyRecords(t, 1, func(int) map[string]any { return map[string]any{"id": 1} })},
			want: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid deleteBy 'email': use dedupeFields or idField"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			identity := &fakeIdentity{}
			_, err := NewSalesPersons(apply.New(links.Clients{SalesPersons: identity}, nil)).DeleteSalesPersons(gatewayContext(), tt.req)
			if diff := cmp.Diff(tt.want, describeError(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if len(identity.deleteReqs) != 0 {
				t.Errorf("identity was called %d times, want 0", len(identity.deleteReqs))
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ctx  context.Context
		want string // "" means a generated id is expected
	}{
		{name: "from the gateway", ctx: gatewayContext(), want: testRequestID},
		{name: "metadata key is case-insensitive", ctx: metadata.NewIncomingContext(context.Background(), metadata.MD{"X-Request-Id": {"abc#123"}}), want: "abc#123"},
		{name: "first of several values", ctx: metadata.NewIncomingContext(context.Background(), metadata.Pairs(RequestIDHeader, "a#1", RequestIDHeader, "b#2")), want: "a#1"},
		{name: "no metadata", ctx: context.Background()},
		{name: "metadata without the id", ctx: metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer x"))},
		{name: "empty id", ctx: metadata.NewIncomingContext(context.Background(), metadata.Pairs(RequestIDHeader, ""))},
		{name: "overlong id", ctx: metadata.NewIncomingContext(context.Background(), metadata.Pairs(RequestIDHeader, strings.Repeat("a", 65)))},
		{name: "outgoing metadata is not the caller's", ctx: metadata.NewOutgoingContext(context.Background(), metadata.Pairs(RequestIDHeader, "out#1"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := requestID(tt.ctx)
			if tt.want != "" {
				if got != tt.want {
					t.Errorf("requestID = %q, want %q", got, tt.want)
				}
				return
			}
			if !requestIDPattern.MatchString(got) {
				t.Errorf("requestID = %q, want a generated <hex>#<hex>", got)
			}
		})
	}
}
