package insight

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	ov1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/extid"
)

// check is a DiagnosticCheck in a test's expectations.
func check(name string, passed bool, msg string) *ov1.DiagnosticCheck {
	return &ov1.DiagnosticCheck{Name: name, Passed: passed, Message: msg}
}

// seed gives the harness one sales person, one company, one lead and one opportunity, all
// linked.
func seed(h *harness, spEmail string) {
	h.identity.add(spAnn, spEmail)
	h.companies.byKey["acme"] = &accountv1.Company{Id: 1, ExternalCompanyId: "acme", ExternalSalesPersonId: spAnn}
	h.leads.byKey["lead-1"] = &personv1.Lead{Id: 7, ExternalPersonId: "lead-1", ExternalSalesPersonId: spAnn, ExternalCompanyId: "acme"}
	h.opportunities.byKey[extid.Key("opp-1")] = &opportunityv1.Opportunity{ExternalOpportunityId: "opp-1", ExternalCompanyId: "acme", ExternalSalesPersonId: spAnn}
}

func reportUsers(t *testing.T, h *harness, us ...*ov1.CrmUser) {
	t.Helper()
	if _, err := h.srv.ReportCrmUsers(context.Background(), &ov1.ReportCrmUsersRequest{Source: "dynamics", Users: us}); err != nil {
		t.Fatal(err)
	}
}

func reportFindings(t *testing.T, h *harness, fs ...*ov1.CrmFinding) {
	t.Helper()
	if _, err := h.srv.ReportCrmFindings(context.Background(), &ov1.ReportCrmFindingsRequest{Source: "dynamics", Findings: fs}); err != nil {
		t.Fatal(err)
	}
}

var (
	leadOwnerChecks = []*ov1.DiagnosticCheck{
		check("sales person named", true, "lead 7 ('lead-1') is owned by sales person '"+spAnn+"'"),
		check("sales person synced", true, "sales person '"+spAnn+"' is synced"),
		check("sales person has an email", true, "sales person '"+spAnn+"' has the email ann@example.com; it must equal the CRM user's email for MSI to match them"),
	}
	leadTailChecks = []*ov1.DiagnosticCheck{
		check("company named", true, "lead 7 ('lead-1') belongs to company 'acme'"),
		check("company synced", true, "company 'acme' is synced"),
		check("company owned", true, "company 'acme' is owned by sales person '"+spAnn+"'"),
		check("opportunity roles", true, "no opportunity role names this lead; if the CRM has contact roles for it, sync them with leadId 7"),
		check("insight", false, "no score change or interesting moment recorded yet: MSI shows nothing for this person until there is activity"),
	}
)

func concat(parts ...[]*ov1.DiagnosticCheck) []*ov1.DiagnosticCheck {
	var out []*ov1.DiagnosticCheck
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestPersonDiagnosticsCompareTheSalesPersonEmailWithTheCrmUser(t *testing.T) {
	t.Parallel()
	lead := ov1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD
	synced := []*ov1.DiagnosticCheck{check("lead synced", true, "the lead with externalPersonId 'lead-1' is synced")}
	tests := []struct {
		name     string
		users    []*ov1.CrmUser
		findings []*ov1.CrmFinding
		want     []*ov1.DiagnosticCheck
	}{
		{
			name: "CRM user unknown: the checks as before",
			want: concat(synced, leadOwnerChecks, leadTailChecks),
		},
		{
			name:  "same email but for case",
			users: []*ov1.CrmUser{user(spAnn, "Ann@Example.com", true)},
			want: concat(synced, leadOwnerChecks, []*ov1.DiagnosticCheck{
				check("sales person email matches the CRM user", true, "sales person '"+spAnn+"' has the email ann@example.com, the same as the CRM user's"),
			}, leadTailChecks),
		},
		{
			name:  "emails differ",
			users: []*ov1.CrmUser{user(spAnn, "ann.smith@example.com", true)},
			want: concat(synced, leadOwnerChecks, []*ov1.DiagnosticCheck{
				check("sales person email matches the CRM user", false, "sales person '"+spAnn+"' has the email ann@example.com in msisync but the CRM user's email is ann.smith@example.com: MSI matches them by email, so make them equal"),
			}, leadTailChecks),
		},
		{
			name:  "CRM user without an email: nothing to compare",
			users: []*ov1.CrmUser{user(spAnn, "", true)},
			want:  concat(synced, leadOwnerChecks, leadTailChecks),
		},
		{
			name: "findings about the lead",
			findings: []*ov1.CrmFinding{
				pfinding(lead, "LEAD-1", ov1.CrmFindingKind_CRM_FINDING_KIND_PARENT_IS_CONTACT, "its parent customer is the contact Bob"),
				pfinding(lead, "lead-1", ov1.CrmFindingKind_CRM_FINDING_KIND_OTHER, "merged twice"),
				pfinding(ov1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY, "lead-1", ov1.CrmFindingKind_CRM_FINDING_KIND_OTHER, "another record"),
			},
			want: concat(synced, []*ov1.DiagnosticCheck{
				check("CRM record mapped", false, "its parent customer is the contact Bob; merged twice"),
			}, leadOwnerChecks, leadTailChecks),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			seed(h, "ann@example.com")
			if len(tt.users) > 0 {
				reportUsers(t, h, tt.users...)
			}
			if len(tt.findings) > 0 {
				reportFindings(t, h, tt.findings...)
			}
			got, err := h.srv.GetPersonDiagnostics(context.Background(), &ov1.GetPersonDiagnosticsRequest{ExternalPersonId: "lead-1"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.GetChecks(), protocmp.Transform()); diff != "" {
				t.Errorf("checks (-want +got):\n%s", diff)
			}
			if got.GetPassed() {
				t.Error("passed = true; the insight check fails")
			}
		})
	}
}

func TestDiagnosticsExplainAnUnsyncedRecordWithItsFindings(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	reportFindings(t, h,
		pfinding(ov1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD, "lead-9", ov1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER, ""),
		pfinding(ov1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY, "globex", ov1.CrmFindingKind_CRM_FINDING_KIND_INACTIVE_OWNER, "owned by the disabled user Zed"),
		pfinding(ov1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY, "opp-9", ov1.CrmFindingKind_CRM_FINDING_KIND_TEAM_OWNER, "owned by the team West"),
	)
	ctx := context.Background()
	person, err := h.srv.GetPersonDiagnostics(ctx, &ov1.GetPersonDiagnosticsRequest{ExternalPersonId: "Lead-9"})
	if err != nil {
		t.Fatal(err)
	}
	want := []*ov1.DiagnosticCheck{
		check("lead synced", false, "no lead has externalPersonId 'Lead-9' (not synced): sync it with POST /rest/v1/leads.json and lookupField externalPersonId, after its sales person and company"),
		check("CRM record mapped", false, "the CRM record is owned by a team, not a user: MSI shows a record to its owner's sales person, so assign it to a user"),
	}
	if diff := cmp.Diff(want, person.GetChecks(), protocmp.Transform()); diff != "" {
		t.Errorf("person checks (-want +got):\n%s", diff)
	}
	company, err := h.srv.GetCompanyDiagnostics(ctx, &ov1.GetCompanyDiagnosticsRequest{ExternalCompanyId: "globex"})
	if err != nil {
		t.Fatal(err)
	}
	want = []*ov1.DiagnosticCheck{
		check("company synced", false, "no company has externalCompanyId 'globex' (not synced): sync it with POST /rest/v1/companies.json after its owner"),
		check("CRM record mapped", false, "owned by the disabled user Zed"),
	}
	if diff := cmp.Diff(want, company.GetChecks(), protocmp.Transform()); diff != "" {
		t.Errorf("company checks (-want +got):\n%s", diff)
	}
	opp, err := h.srv.GetOpportunityDiagnostics(ctx, &ov1.GetOpportunityDiagnosticsRequest{ExternalOpportunityId: "opp-9"})
	if err != nil {
		t.Fatal(err)
	}
	want = []*ov1.DiagnosticCheck{
		check("opportunity synced", false, "no opportunity has externalOpportunityId 'opp-9' (not synced): sync it with POST /rest/v1/opportunities.json after its company and owner"),
		check("CRM record mapped", false, "owned by the team West"),
	}
	if diff := cmp.Diff(want, opp.GetChecks(), protocmp.Transform()); diff != "" {
		t.Errorf("opportunity checks (-want +got):\n%s", diff)
	}
}

func TestCompanyAndOpportunityDiagnosticsGainTheNewChecks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	seed(h, "ann@example.com")
	reportUsers(t, h, user(spAnn, "ann@other.example", true))
	reportFindings(t, h, pfinding(ov1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY, "ACME", ov1.CrmFindingKind_CRM_FINDING_KIND_OTHER, "two accounts share this name"))
	mismatch := check("sales person email matches the CRM user", false, "sales person '"+spAnn+"' has the email ann@example.com in msisync but the CRM user's email is ann@other.example: MSI matches them by email, so make them equal")
	ctx := context.Background()

	company, err := h.srv.GetCompanyDiagnostics(ctx, &ov1.GetCompanyDiagnosticsRequest{ExternalCompanyId: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	want := []*ov1.DiagnosticCheck{
		check("company synced", true, "company 'acme' is synced"),
		check("CRM record mapped", false, "two accounts share this name"),
		check("sales person named", true, "company 'acme' is owned by sales person '"+spAnn+"'"),
		check("sales person synced", true, "sales person '"+spAnn+"' is synced"),
		check("sales person has an email", true, "sales person '"+spAnn+"' has the email ann@example.com; it must equal the CRM user's email for MSI to match them"),
		mismatch,
		check("people and opportunities", true, "no leads or opportunities yet"),
	}
	if diff := cmp.Diff(want, company.GetChecks(), protocmp.Transform()); diff != "" {
		t.Errorf("company checks (-want +got):\n%s", diff)
	}
	if company.GetPassed() {
		t.Error("company passed; two checks fail")
	}

	opp, err := h.srv.GetOpportunityDiagnostics(ctx, &ov1.GetOpportunityDiagnosticsRequest{ExternalOpportunityId: "opp-1"})
	if err != nil {
		t.Fatal(err)
	}
	want = []*ov1.DiagnosticCheck{
		check("opportunity synced", true, "opportunity 'opp-1' is synced"),
		check("sales person named", true, "opportunity 'opp-1' is owned by sales person '"+spAnn+"'"),
		check("sales person synced", true, "sales person '"+spAnn+"' is synced"),
		check("sales person has an email", true, "sales person '"+spAnn+"' has the email ann@example.com; it must equal the CRM user's email for MSI to match them"),
		mismatch,
		check("company named", true, "opportunity 'opp-1' belongs to company 'acme'"),
		check("company synced", true, "company 'acme' is synced"),
		check("company owned", true, "company 'acme' is owned by sales person '"+spAnn+"'"),
		check("roles linked", false, "opportunity 'opp-1' has no contact roles: MSI shows an opportunity on a person's page only through a role (POST /rest/v1/opportunities/roles.json)"),
	}
	if diff := cmp.Diff(want, opp.GetChecks(), protocmp.Transform()); diff != "" {
		t.Errorf("opportunity checks (-want +got):\n%s", diff)
	}
}
