package insight

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	ov1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

const (
	spAnn = "a1b2c3d4-0000-4000-8000-00000000000a"
	spBob = "b1b2c3d4-0000-4000-8000-00000000000b"
)

func user(id, email string, active bool) *ov1.CrmUser {
	return &ov1.CrmUser{ExternalSalesPersonId: id, Email: email, FullName: "User " + id, Active: active}
}

func users(n int) []*ov1.CrmUser {
	out := make([]*ov1.CrmUser, n)
	for i := range out {
		out[i] = user(fmt.Sprintf("user-%04d", i), fmt.Sprintf("u%d@example.com", i), true)
	}
	return out
}

func pfinding(t ov1.SyncObjectType, id string, kind ov1.CrmFindingKind, msg string) *ov1.CrmFinding {
	return &ov1.CrmFinding{ObjectType: t, ExternalId: id, Kind: kind, Message: msg}
}

func findings(n int) []*ov1.CrmFinding {
	out := make([]*ov1.CrmFinding, n)
	for i := range out {
		out[i] = pfinding(ov1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD, fmt.Sprintf("lead-%04d", i), ov1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER, "")
	}
	return out
}

// wantInvalid checks that err is INVALID_ARGUMENT with a message containing want.
func wantInvalid(t *testing.T, err error, want string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), want) {
		t.Errorf("error = %v; want INVALID_ARGUMENT containing %q", err, want)
	}
}

func TestReportCrmUsersRefusesBadInputAndStoresNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *ov1.ReportCrmUsersRequest
		want string
	}{
		{"no source", &ov1.ReportCrmUsersRequest{Source: " ", Users: users(1)}, "source is required"},
		{"source too long", &ov1.ReportCrmUsersRequest{Source: strings.Repeat("d", 51), Users: users(1)}, "source is 51 characters long, at most 50"},
		{"no users", &ov1.ReportCrmUsersRequest{Source: "dynamics"}, "users is empty"},
		{"too many users", &ov1.ReportCrmUsersRequest{Source: "dynamics", Users: users(1001)}, "users holds 1001 CRM users, at most 1000"},
		{"empty id", &ov1.ReportCrmUsersRequest{Source: "dynamics", Users: append(users(2), user("", "x@example.com", true))}, "users[2].external_sales_person_id: external id is empty"},
		{"repeated id", &ov1.ReportCrmUsersRequest{Source: "dynamics", Users: []*ov1.CrmUser{user(spAnn, "a@x", true), user(spBob, "b@x", true), user("{"+strings.ToUpper(spAnn)+"}", "a@x", true)}},
			"users[2] repeats the external_sales_person_id '" + spAnn + "' of users[0]"},
		{"email too long", &ov1.ReportCrmUsersRequest{Source: "dynamics", Users: []*ov1.CrmUser{user(spAnn, strings.Repeat("a", 250)+"@x.com", true)}}, "users[0].email is 256 characters long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			_, err := h.srv.ReportCrmUsers(context.Background(), tt.req)
			wantInvalid(t, err, tt.want)
			if got, err := h.store.ListCrmUsers(context.Background(), "", false, 10); err != nil || len(got) != 0 {
				t.Errorf("stored users = %v, %v; want none", got, err)
			}
		})
	}
}

func TestReportCrmFindingsRefusesBadInputAndChangesNothing(t *testing.T) {
	t.Parallel()
	const (
		lead  = ov1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD
		team  = ov1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER
		other = ov1.CrmFindingKind_CRM_FINDING_KIND_OTHER
		email = ov1.CrmFindingKind_CRM_FINDING_KIND_SALES_PERSON_EMAIL_MISMATCH
	)
	ok := pfinding(lead, "lead-1", team, "")
	tests := []struct {
		name string
		req  *ov1.ReportCrmFindingsRequest
		want string
	}{
		{"no source", &ov1.ReportCrmFindingsRequest{Findings: []*ov1.CrmFinding{ok}}, "source is required"},
		{"nothing", &ov1.ReportCrmFindingsRequest{Source: "dynamics"}, "findings and resolved are both empty"},
		{"too many together", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: findings(600), Resolved: make([]*ov1.CrmFindingKey, 401)}, "hold 1001 entries together, at most 1000"},
		{"object type unspecified", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{ok, pfinding(0, "x", team, "")}}, "findings[1].object_type is required"},
		{"object type unknown", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{pfinding(9, "x", team, "")}}, "findings[0].object_type 9 is not an object type"},
		{"empty external id", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{pfinding(lead, "  ", team, "")}}, "findings[0].external_id: external id is empty"},
		{"kind unspecified", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{pfinding(lead, "x", 0, "")}}, "findings[0].kind is required"},
		{"kind unknown", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{pfinding(lead, "x", 42, "")}}, "findings[0].kind 42 is not a CRM finding kind"},
		{"computed kind as input", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{pfinding(ov1.SyncObjectType_SYNC_OBJECT_TYPE_SALES_PERSON, "x", email, "differs")}}, "msisync computes from the reported CRM users"},
		{"computed kind resolved", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{ok}, Resolved: []*ov1.CrmFindingKey{{ObjectType: lead, ExternalId: "x", Kind: email}}}, "resolved[0].kind is CRM_FINDING_KIND_SALES_PERSON_EMAIL_MISMATCH"},
		{"other without a message", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{pfinding(lead, "x", other, " ")}}, "findings[0].message is required for CRM_FINDING_KIND_OTHER"},
		{"message too long", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{pfinding(lead, "x", other, strings.Repeat("m", 1001))}}, "findings[0].message is 1001 characters long"},
		{"repeated finding", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{ok, pfinding(lead, "LEAD-1", team, "again")}}, "findings[1] repeats the finding of findings[0]"},
		{"reported and resolved", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{ok}, Resolved: []*ov1.CrmFindingKey{{ObjectType: lead, ExternalId: "Lead-1", Kind: team}}}, "resolved[0] names the finding of findings[0] again"},
		{"resolved without object type", &ov1.ReportCrmFindingsRequest{Source: "dynamics", Resolved: []*ov1.CrmFindingKey{{ExternalId: "x", Kind: team}}}, "resolved[0].object_type is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			ctx := context.Background()
			if _, err := h.srv.ReportCrmFindings(ctx, &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{pfinding(lead, "kept", team, "")}}); err != nil {
				t.Fatal(err)
			}
			_, err := h.srv.ReportCrmFindings(ctx, tt.req)
			wantInvalid(t, err, tt.want)
			got, err := h.store.ListCrmFindings(ctx, store.CrmFindingQuery{})
			if err != nil || len(got) != 1 || got[0].ExternalID != "kept" {
				t.Errorf("stored findings = %+v, %v; want only 'kept'", got, err)
			}
		})
	}
}

// listAll reads every page of a query and checks total_size on each.
func listAll(t *testing.T, h *harness, req *ov1.ListCrmFindingsRequest) []*ov1.CrmFinding {
	t.Helper()
	var out []*ov1.CrmFinding
	total := int32(-1)
	for range 100 {
		resp, err := h.srv.ListCrmFindings(context.Background(), req)
		if err != nil {
			t.Fatalf("ListCrmFindings(%v): %v", req, err)
		}
		if total >= 0 && resp.GetTotalSize() != total {
			t.Errorf("total_size changed between pages: %d then %d", total, resp.GetTotalSize())
		}
		total = resp.GetTotalSize()
		out = append(out, resp.GetFindings()...)
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if int(total) != len(out) {
		t.Errorf("total_size %d, but the pages held %d findings", total, len(out))
	}
	return out
}

func TestCrmFindingsAreListedWithComputedEmailMismatches(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	h.identity.add(spAnn, "ann@example.com")
	h.identity.add(spBob, "Bob@Example.com")
	h.identity.add("carol", "carol@example.com")
	h.identity.add("dave", "")
	got, err := h.srv.ReportCrmUsers(ctx, &ov1.ReportCrmUsersRequest{Source: "dynamics", Users: []*ov1.CrmUser{
		user(strings.ToUpper(spAnn), "ann.smith@example.com", true), // differs: a mismatch
		user(spBob, "bob@example.COM", true),                        // same but for case
		user("carol", "caroline@example.com", false),                // differs, but inactive
		user("dave", "dave@example.com", true),                      // no email in msisync
		user("erin", "erin@example.com", true),                      // no sales person
		user("frank", "", true),                                     // no email in the CRM
	}})
	if err != nil || got.GetStored() != 6 {
		t.Fatalf("ReportCrmUsers = %v, %v; want 6 stored", got, err)
	}
	const (
		sp   = ov1.SyncObjectType_SYNC_OBJECT_TYPE_SALES_PERSON
		co   = ov1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY
		lead = ov1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD
	)
	rep, err := h.srv.ReportCrmFindings(ctx, &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: []*ov1.CrmFinding{
		pfinding(lead, "Lead-2", ov1.CrmFindingKind_CRM_FINDING_KIND_PARENT_IS_CONTACT, ""),
		pfinding(co, "acme", ov1.CrmFindingKind_CRM_FINDING_KIND_INACTIVE_OWNER, "owned by the disabled user Zed"),
		pfinding(sp, spAnn, ov1.CrmFindingKind_CRM_FINDING_KIND_OTHER, "Ann is on leave"),
		pfinding(sp, spAnn, ov1.CrmFindingKind_CRM_FINDING_KIND_INACTIVE_OWNER, "odd, but stored"),
		pfinding(lead, "lead-1", ov1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER, ""),
	}})
	if err != nil || rep.GetStored() != 5 || rep.GetResolved() != 0 {
		t.Fatalf("ReportCrmFindings = %v, %v; want 5 stored", rep, err)
	}
	ts := timestamppb.New(t0)
	mismatch := &ov1.CrmFinding{ObjectType: sp, ExternalId: spAnn, Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_SALES_PERSON_EMAIL_MISMATCH, UpdateTime: ts,
		Message: "sales person '" + spAnn + "' has the email ann@example.com in msisync but the CRM user's email is ann.smith@example.com: MSI matches them by email, so make them equal"}
	all := []*ov1.CrmFinding{
		{ObjectType: sp, ExternalId: spAnn, Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_INACTIVE_OWNER, Message: "odd, but stored", UpdateTime: ts},
		mismatch,
		{ObjectType: sp, ExternalId: spAnn, Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_OTHER, Message: "Ann is on leave", UpdateTime: ts},
		{ObjectType: co, ExternalId: "acme", Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_INACTIVE_OWNER, Message: "owned by the disabled user Zed", UpdateTime: ts},
		{ObjectType: lead, ExternalId: "lead-1", Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER, Message: standardMessages[store.TeamOwner], UpdateTime: ts},
		{ObjectType: lead, ExternalId: "Lead-2", Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_PARENT_IS_CONTACT, Message: standardMessages[store.ParentIsContact], UpdateTime: ts},
	}
	tests := []struct {
		name string
		req  *ov1.ListCrmFindingsRequest
		want []*ov1.CrmFinding
	}{
		{"all, one page", &ov1.ListCrmFindingsRequest{}, all},
		{"all, pages of 1", &ov1.ListCrmFindingsRequest{PageSize: 1}, all},
		{"all, pages of 2", &ov1.ListCrmFindingsRequest{PageSize: 2}, all},
		{"mismatches only", &ov1.ListCrmFindingsRequest{Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_SALES_PERSON_EMAIL_MISMATCH}, []*ov1.CrmFinding{mismatch}},
		{"sales persons, pages of 1", &ov1.ListCrmFindingsRequest{ObjectType: sp, PageSize: 1}, all[:3]},
		{"inactive owners", &ov1.ListCrmFindingsRequest{Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_INACTIVE_OWNER}, []*ov1.CrmFinding{all[0], all[3]}},
		{"leads", &ov1.ListCrmFindingsRequest{ObjectType: lead}, all[4:]},
		{"mismatches of companies", &ov1.ListCrmFindingsRequest{ObjectType: co, Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_SALES_PERSON_EMAIL_MISMATCH}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listAll(t, h, tt.req)
			if diff := cmp.Diff(tt.want, got, protocmp.Transform()); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}

	// Fixing the email in the CRM makes the mismatch go; resolving deletes.
	if _, err := h.srv.ReportCrmUsers(ctx, &ov1.ReportCrmUsersRequest{Source: "dynamics", Users: []*ov1.CrmUser{user(spAnn, "ANN@example.com", true)}}); err != nil {
		t.Fatal(err)
	}
	rep, err = h.srv.ReportCrmFindings(ctx, &ov1.ReportCrmFindingsRequest{Source: "dynamics", Resolved: []*ov1.CrmFindingKey{
		{ObjectType: sp, ExternalId: "{" + strings.ToUpper(spAnn) + "}", Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_OTHER},
		{ObjectType: sp, ExternalId: spAnn, Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER}, // never stored
	}})
	if err != nil || rep.GetStored() != 0 || rep.GetResolved() != 1 {
		t.Fatalf("resolving = %v, %v; want 1 resolved", rep, err)
	}
	if diff := cmp.Diff([]*ov1.CrmFinding{all[0]}, listAll(t, h, &ov1.ListCrmFindingsRequest{ObjectType: sp}), protocmp.Transform()); diff != "" {
		t.Errorf("sales person findings after the fixes (-want +got):\n%s", diff)
	}
}

func TestListCrmFindingsReadsSalesPersonsInBatches(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	us := users(650)
	for i, u := range us {
		email := u.GetEmail()
		if i%100 == 0 {
			email = "old-" + email
		}
		h.identity.add(u.GetExternalSalesPersonId(), email)
	}
	if _, err := h.srv.ReportCrmUsers(ctx, &ov1.ReportCrmUsersRequest{Source: "dynamics", Users: us}); err != nil {
		t.Fatal(err)
	}
	resp, err := h.srv.ListCrmFindings(ctx, &ov1.ListCrmFindingsRequest{PageSize: 300})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(resp.GetFindings()); got != 7 || resp.GetTotalSize() != 7 {
		t.Errorf("got %d findings, total_size %d; want the 7 mismatches", got, resp.GetTotalSize())
	}
	if h.identity.calls != 3 {
		t.Errorf("BatchGetSalesPersons called %d times for 650 CRM users; want 3 (300 at a time)", h.identity.calls)
	}
}

func TestListCrmFindingsRefusesBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.srv.ReportCrmFindings(ctx, &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: findings(3)}); err != nil {
		t.Fatal(err)
	}
	page, err := h.srv.ListCrmFindings(ctx, &ov1.ListCrmFindingsRequest{PageSize: 1})
	if err != nil || page.GetNextPageToken() == "" {
		t.Fatalf("first page = %v, %v; want a next page", page, err)
	}
	tests := []struct {
		name string
		req  *ov1.ListCrmFindingsRequest
		want string
	}{
		{"page size too large", &ov1.ListCrmFindingsRequest{PageSize: 301}, "page_size 301 is out of range: use 1 to 300"},
		{"negative page size", &ov1.ListCrmFindingsRequest{PageSize: -1}, "page_size -1 is out of range"},
		{"unknown kind", &ov1.ListCrmFindingsRequest{Kind: 17}, "kind 17 is not a CRM finding kind"},
		{"unknown object type", &ov1.ListCrmFindingsRequest{ObjectType: 8}, "object_type 8 is not an object type"},
		{"garbage page token", &ov1.ListCrmFindingsRequest{PageToken: "not-a-token"}, "page_token is not valid for this query"},
		{"page token of another query", &ov1.ListCrmFindingsRequest{Kind: ov1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER, PageToken: page.GetNextPageToken()}, "page_token is not valid for this query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.srv.ListCrmFindings(ctx, tt.req)
			wantInvalid(t, err, tt.want)
		})
	}
}

// The store's clock is the server's: a later report moves update_time.
func TestReportedFindingsCarryTheReportTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	h.srv.now = func() time.Time { return t0.Add(time.Hour) }
	if _, err := h.srv.ReportCrmFindings(ctx, &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: findings(1)}); err != nil {
		t.Fatal(err)
	}
	resp, err := h.srv.ListCrmFindings(ctx, &ov1.ListCrmFindingsRequest{})
	if err != nil || len(resp.GetFindings()) != 1 || !resp.GetFindings()[0].GetUpdateTime().AsTime().Equal(t0.Add(time.Hour)) {
		t.Errorf("ListCrmFindings = %v, %v; want one finding updated at %v", resp, err, t0.Add(time.Hour))
	}
}
