package insight

import (
	"context"
	"fmt"
	"strings"
	"time"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// report collects diagnostic checks; it passes when every check does.
type report struct {
	checks []*orchestratorv1.DiagnosticCheck
}

// check records a check: ok is its message when it passes, fail when it does not.
func (r *report) check(name string, passed bool, ok, fail string) bool {
	msg := fail
	if passed {
		msg = ok
	}
	r.checks = append(r.checks, &orchestratorv1.DiagnosticCheck{Name: name, Passed: passed, Message: msg})
	return passed
}

func (r *report) passed() bool {
	for _, c := range r.checks {
		if !c.GetPassed() {
			return false
		}
	}
	return len(r.checks) > 0
}

// owner checks that a record names a sales person who is synced and has an email, the
// link MSI shows the record through, and, when a CRM connector reported the CRM user, that
// the emails match.
func (s *Server) owner(ctx context.Context, r *report, what, externalID string) error {
	if !r.check("sales person named", externalID != "", fmt.Sprintf("%s is owned by sales person '%s'", what, externalID),
		fmt.Sprintf("%s names no externalSalesPersonId: MSI shows records to their owner, so set it to the CRM user's id", what)) {
		return nil
	}
	got, err := s.links.SalesPersons.BatchGetSalesPersons(ctx, &identityv1.BatchGetSalesPersonsRequest{Keys: []*identityv1.SalesPersonKey{{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: externalID}}}})
	if err != nil {
		return err
	}
	if !r.check("sales person synced", len(got.GetSalesPersons()) == 1, fmt.Sprintf("sales person '%s' is synced", externalID),
		fmt.Sprintf("%s's owner, sales person '%s', is not synced: sync the CRM user first (POST /rest/v1/salespersons.json)", what, externalID)) {
		return nil
	}
	sp := got.GetSalesPersons()[0]
	if !r.check("sales person has an email", sp.GetEmail() != "",
		fmt.Sprintf("sales person '%s' has the email %s; it must equal the CRM user's email for MSI to match them", externalID, sp.GetEmail()),
		fmt.Sprintf("sales person '%s' has no email: MSI matches the CRM user to the Marketo sales person by email, which must equal the CRM user's email", externalID)) {
		return nil
	}
	users, err := s.crm.GetCrmUsers(ctx, []string{externalID})
	if err != nil {
		return internal(err)
	}
	if len(users) == 1 && users[0].Email != "" {
		r.check("sales person email matches the CRM user", sameEmail(sp.GetEmail(), users[0].Email),
			fmt.Sprintf("sales person '%s' has the email %s, the same as the CRM user's", externalID, sp.GetEmail()),
			emailMismatch(externalID, sp.GetEmail(), users[0].Email))
	}
	return nil
}

// mapped adds the "CRM record mapped" check when a CRM connector reported findings about
// the record: it fails with their messages. A record without findings gets no check.
func (s *Server) mapped(ctx context.Context, r *report, t store.ObjectType, externalID string) error {
	if externalID == "" {
		return nil
	}
	findings, err := s.crm.ListCrmFindings(ctx, store.CrmFindingQuery{ObjectType: t, ExternalID: externalID})
	if err != nil {
		return internal(err)
	}
	if len(findings) == 0 {
		return nil
	}
	msgs := make([]string, len(findings))
	for i, f := range findings {
		msgs[i] = f.Message
	}
	r.check("CRM record mapped", false, "", strings.Join(msgs, "; "))
	return nil
}

// parentObjects maps the kind of parent a parked record waits for (links.Kind) to the object
// type whose CRM findings may say why that parent is missing, and names it.
var parentObjects = map[links.Kind]struct {
	t    store.ObjectType
	name string
}{
	links.SalesPerson: {store.SalesPerson, "sales person"},
	links.Company:     {store.Company, "company"},
	links.Lead:        {store.Lead, "lead"},
	links.Opportunity: {store.Opportunity, "opportunity"},
}

// parkedShown bounds the parked versions of one record a report describes.
const parkedShown = 5

// waiting adds the "not waiting for a parent" check when sync-run records of this record
// are parked or dead-lettered: it fails naming the parent each one waits for, and what a
// CRM connector reported about that parent (a team-owned account, say), which is usually
// why it is missing. A record with nothing parked gets no check.
func (s *Server) waiting(ctx context.Context, r *report, t store.ObjectType, externalID string) error {
	if externalID == "" {
		return nil
	}
	var msgs []string
	said := map[store.Parent]string{} // what the CRM says about each parent, read once
	for _, state := range []store.RecordState{store.RecordParked, store.RecordDeadLettered} {
		recs, err := s.crm.ListParked(ctx, store.ParkedQuery{State: state, ObjectType: t, Key: externalID, Limit: parkedShown})
		if err != nil {
			return internal(err)
		}
		for _, rec := range recs {
			parent := parentObjects[links.Kind(rec.Missing.Kind)]
			if parent.name == "" {
				parent.name = "parent"
			}
			msg := fmt.Sprintf("the version sent in sync run %s is parked, waiting for %s '%s' (pending id %d, since %s)",
				rec.RunID, parent.name, rec.MissingDisplay, rec.ID, rec.ParkTime.UTC().Format(time.RFC3339))
			if state == store.RecordDeadLettered {
				msg = fmt.Sprintf("the version sent in sync run %s waited for %s '%s' until %s and is on the dead-letter list (pending id %d): retry it with POST /v1/pending:retry once the parent is synced",
					rec.RunID, parent.name, rec.MissingDisplay, rec.ExpireTime.UTC().Format(time.RFC3339), rec.ID)
			}
			if parent.t != 0 {
				crm, ok := said[rec.Missing]
				if !ok {
					findings, err := s.crm.ListCrmFindings(ctx, store.CrmFindingQuery{ObjectType: parent.t, ExternalID: rec.MissingDisplay})
					if err != nil {
						return internal(err)
					}
					for _, f := range findings {
						crm += "; the CRM says: " + f.Message
					}
					said[rec.Missing] = crm
				}
				msg += crm
			}
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) > 0 {
		r.check("not waiting for a parent", false, "", strings.Join(msgs, ". "))
	}
	return nil
}

// company checks that a record's company is synced and owned.
func (s *Server) company(ctx context.Context, r *report, what, externalID string) error {
	if !r.check("company named", externalID != "", fmt.Sprintf("%s belongs to company '%s'", what, externalID),
		fmt.Sprintf("%s names no externalCompanyId: MSI groups people and opportunities under their company, so set it to the CRM account's id", what)) {
		return nil
	}
	got, err := s.links.Companies.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: []*accountv1.CompanyKey{{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: externalID}}}})
	if err != nil {
		return err
	}
	if !r.check("company synced", len(got.GetCompanies()) == 1, fmt.Sprintf("company '%s' is synced", externalID),
		fmt.Sprintf("%s's company '%s' is not synced: sync the CRM account (POST /rest/v1/companies.json) after its owner", what, externalID)) {
		return nil
	}
	c := got.GetCompanies()[0]
	r.check("company owned", c.GetExternalSalesPersonId() != "", fmt.Sprintf("company '%s' is owned by sales person '%s'", externalID, c.GetExternalSalesPersonId()),
		fmt.Sprintf("company '%s' names no owner (externalSalesPersonId)", externalID))
	return nil
}

// GetPersonDiagnostics implements orchestratorv1.InsightServiceServer: is the person synced,
// owned by a synced sales person with an email, in a synced company, linked to its
// opportunities, and is there insight for it yet?
func (s *Server) GetPersonDiagnostics(ctx context.Context, req *orchestratorv1.GetPersonDiagnosticsRequest) (*orchestratorv1.GetPersonDiagnosticsResponse, error) {
	id := strings.TrimSpace(req.GetExternalPersonId())
	r := &report{}
	got, err := s.links.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: []*personv1.LeadKey{{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: id}}}})
	if err != nil {
		return nil, err
	}
	notSynced := fmt.Sprintf("no lead has externalPersonId '%s' (not synced): sync it with POST /rest/v1/leads.json and lookupField externalPersonId, after its sales person and company", id)
	if len(got.GetLeads()) == 0 {
		if notSynced, err = s.redirected(ctx, store.Lead, id, notSynced); err != nil {
			return nil, err
		}
	}
	synced := r.check("lead synced", len(got.GetLeads()) == 1, fmt.Sprintf("the lead with externalPersonId '%s' is synced", id), notSynced)
	// What the CRM connector found often explains why a record is not synced, so it is
	// checked either way.
	if err := s.mapped(ctx, r, store.Lead, id); err != nil {
		return nil, err
	}
	if err := s.waiting(ctx, r, store.Lead, id); err != nil {
		return nil, err
	}
	if !synced {
		return &orchestratorv1.GetPersonDiagnosticsResponse{ExternalPersonId: id, Passed: false, Checks: r.checks}, nil
	}
	lead := got.GetLeads()[0]
	what := fmt.Sprintf("lead %d ('%s')", lead.GetId(), lead.GetExternalPersonId())
	if err := s.owner(ctx, r, what, lead.GetExternalSalesPersonId()); err != nil {
		return nil, err
	}
	if err := s.company(ctx, r, what, lead.GetExternalCompanyId()); err != nil {
		return nil, err
	}
	roles, err := s.links.Roles.ListOpportunityRoles(ctx, &opportunityv1.ListOpportunityRolesRequest{
		FilterField: opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_LEAD_ID, FilterValues: []string{fmt.Sprint(lead.GetId())}, PageSize: 300,
	})
	if err != nil {
		return nil, err
	}
	var opps []string
	for _, role := range roles.GetOpportunityRoles() {
		opps = append(opps, fmt.Sprintf("'%s' (%s)", role.GetExternalOpportunityId(), role.GetRole()))
	}
	if len(opps) == 0 {
		r.check("opportunity roles", true, fmt.Sprintf("no opportunity role names this lead; if the CRM has contact roles for it, sync them with leadId %d", lead.GetId()), "")
	} else {
		r.check("opportunity roles", true, fmt.Sprintf("linked to %d opportunities: %s", len(opps), strings.Join(opps, ", ")), "")
	}
	in, err := s.scoring.BatchGetInsights(ctx, &scoringv1.BatchGetInsightsRequest{LeadIds: []int32{lead.GetId()}})
	if err != nil {
		return nil, err
	}
	var insight *scoringv1.LeadInsight
	if len(in.GetInsights()) > 0 {
		insight = in.GetInsights()[0]
	}
	hasInsight := insight != nil && (insight.GetLeadScore() != 0 || insight.GetLastInterestingMomentType() != scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_UNSPECIFIED)
	r.check("insight", hasInsight,
		fmt.Sprintf("lead score %d, %d stars, %d flames, priority %d", insight.GetLeadScore(), insight.GetRelativeScore(), insight.GetRelativeUrgency(), insight.GetPriority()),
		"no score change or interesting moment recorded yet: MSI shows nothing for this person until there is activity")
	if err := s.delivery(ctx, r, leadKey(lead.GetId())); err != nil {
		return nil, err
	}
	return &orchestratorv1.GetPersonDiagnosticsResponse{ExternalPersonId: lead.GetExternalPersonId(), Passed: r.passed(), Checks: r.checks}, nil
}

// GetCompanyDiagnostics implements orchestratorv1.InsightServiceServer: is the company
// synced and owned by a synced sales person with an email, and what hangs off it?
func (s *Server) GetCompanyDiagnostics(ctx context.Context, req *orchestratorv1.GetCompanyDiagnosticsRequest) (*orchestratorv1.GetCompanyDiagnosticsResponse, error) {
	id := strings.TrimSpace(req.GetExternalCompanyId())
	r := &report{}
	got, err := s.links.Companies.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: []*accountv1.CompanyKey{{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: id}}}})
	if err != nil {
		return nil, err
	}
	notSynced := fmt.Sprintf("no company has externalCompanyId '%s' (not synced): sync it with POST /rest/v1/companies.json after its owner", id)
	if len(got.GetCompanies()) == 0 {
		if notSynced, err = s.redirected(ctx, store.Company, id, notSynced); err != nil {
			return nil, err
		}
	}
	synced := r.check("company synced", len(got.GetCompanies()) == 1, fmt.Sprintf("company '%s' is synced", id), notSynced)
	if err := s.mapped(ctx, r, store.Company, id); err != nil {
		return nil, err
	}
	if err := s.waiting(ctx, r, store.Company, id); err != nil {
		return nil, err
	}
	if !synced {
		return &orchestratorv1.GetCompanyDiagnosticsResponse{ExternalCompanyId: id, Checks: r.checks}, nil
	}
	c := got.GetCompanies()[0]
	if err := s.owner(ctx, r, fmt.Sprintf("company '%s'", c.GetExternalCompanyId()), c.GetExternalSalesPersonId()); err != nil {
		return nil, err
	}
	use, err := s.links.CompanyUse(ctx, []string{c.GetExternalCompanyId()})
	if err != nil {
		return nil, err
	}
	children := "no leads or opportunities yet"
	for _, v := range use {
		children = v
	}
	r.check("people and opportunities", true, children, "")
	if err := s.delivery(ctx, r, companyKey(c.GetId())); err != nil {
		return nil, err
	}
	return &orchestratorv1.GetCompanyDiagnosticsResponse{ExternalCompanyId: c.GetExternalCompanyId(), Passed: r.passed(), Checks: r.checks}, nil
}

// GetOpportunityDiagnostics implements orchestratorv1.InsightServiceServer: is the
// opportunity synced, in a synced company, owned, and are its roles linked to leads?
func (s *Server) GetOpportunityDiagnostics(ctx context.Context, req *orchestratorv1.GetOpportunityDiagnosticsRequest) (*orchestratorv1.GetOpportunityDiagnosticsResponse, error) {
	id := strings.TrimSpace(req.GetExternalOpportunityId())
	r := &report{}
	got, err := s.links.Opportunities.BatchGetOpportunities(ctx, &opportunityv1.BatchGetOpportunitiesRequest{Keys: []*opportunityv1.OpportunityKey{{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: id}}}})
	if err != nil {
		return nil, err
	}
	synced := r.check("opportunity synced", len(got.GetOpportunities()) == 1, fmt.Sprintf("opportunity '%s' is synced", id),
		fmt.Sprintf("no opportunity has externalOpportunityId '%s' (not synced): sync it with POST /rest/v1/opportunities.json after its company and owner", id))
	if err := s.mapped(ctx, r, store.Opportunity, id); err != nil {
		return nil, err
	}
	if err := s.waiting(ctx, r, store.Opportunity, id); err != nil {
		return nil, err
	}
	if !synced {
		return &orchestratorv1.GetOpportunityDiagnosticsResponse{ExternalOpportunityId: id, Checks: r.checks}, nil
	}
	o := got.GetOpportunities()[0]
	what := fmt.Sprintf("opportunity '%s'", o.GetExternalOpportunityId())
	if err := s.owner(ctx, r, what, o.GetExternalSalesPersonId()); err != nil {
		return nil, err
	}
	if err := s.company(ctx, r, what, o.GetExternalCompanyId()); err != nil {
		return nil, err
	}
	roles, err := s.links.Roles.ListOpportunityRoles(ctx, &opportunityv1.ListOpportunityRolesRequest{
		FilterField: opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_EXTERNAL_OPPORTUNITY_ID, FilterValues: []string{o.GetExternalOpportunityId()}, PageSize: 300,
	})
	if err != nil {
		return nil, err
	}
	if len(roles.GetOpportunityRoles()) == 0 {
		r.check("roles linked", false, "", fmt.Sprintf("%s has no contact roles: MSI shows an opportunity on a person's page only through a role (POST /rest/v1/opportunities/roles.json)", what))
	} else {
		keys := make([]*personv1.LeadKey, len(roles.GetOpportunityRoles()))
		for i, role := range roles.GetOpportunityRoles() {
			keys[i] = &personv1.LeadKey{Key: &personv1.LeadKey_Id{Id: role.GetLeadId()}}
		}
		leads, err := s.links.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: keys, ReadFields: []string{"external_person_id"}})
		if err != nil {
			return nil, err
		}
		summary := fmt.Sprintf("%d roles name %d leads, %d of them synced", len(roles.GetOpportunityRoles()), len(uniqueLeads(roles.GetOpportunityRoles())), len(leads.GetLeads()))
		r.check("roles linked", len(leads.GetLeads()) == len(uniqueLeads(roles.GetOpportunityRoles())), summary, summary+": sync the missing leads")
	}
	if err := s.delivery(ctx, r, opportunityKey(o.GetMarketoGuid())); err != nil {
		return nil, err
	}
	return &orchestratorv1.GetOpportunityDiagnosticsResponse{ExternalOpportunityId: o.GetExternalOpportunityId(), Passed: r.passed(), Checks: r.checks}, nil
}

func uniqueLeads(roles []*opportunityv1.OpportunityRole) map[int32]bool {
	m := map[int32]bool{}
	for _, r := range roles {
		m[r.GetLeadId()] = true
	}
	return m
}
