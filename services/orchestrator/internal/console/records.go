package console

import (
	"context"
	"net/http"

	"google.golang.org/protobuf/types/known/structpb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// link is a labelled link to another console page.
type link struct{ Label, Text, Href string }

// check is one diagnostics line.
type check struct {
	Name, Message string
	Passed        bool
}

// recordData is a person's, company's or opportunity's page.
type recordData struct {
	Kind       string // "person", "company", "opportunity"
	ExternalID string
	Found      bool
	Fields     []link // label and value; Href set when the value is another record
	Related    []hit
	Unread     []string // related lists that could not be read, in words
	Passed     bool
	Checks     []check
	MSI        *msiData
}

// unread notes a related list that could not be read, so that the page does not pass it
// off as empty.
func (d *recordData) unread(what string, err error) {
	_, msg := describe(err)
	d.Unread = append(d.Unread, "The "+what+" could not be read: "+msg)
}

func checks(cs []*orchestratorv1.DiagnosticCheck) []check {
	out := make([]check, 0, len(cs))
	for _, c := range cs {
		out = append(out, check{Name: c.GetName(), Message: c.GetMessage(), Passed: c.GetPassed()})
	}
	return out
}

// personPage shows a person: its fields, links, MSI panel and diagnostics checklist.
func (c *Console) personPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	diag, err := c.insight.GetPersonDiagnostics(ctx, &orchestratorv1.GetPersonDiagnosticsRequest{ExternalPersonId: id})
	if err != nil {
		c.failed(w, r, s, "check person '"+id+"'", err)
		return
	}
	d := recordData{Kind: "person", ExternalID: diag.GetExternalPersonId(), Passed: diag.GetPassed(), Checks: checks(diag.GetChecks())}
	msi, err := c.msi(ctx, id)
	if err != nil {
		c.failed(w, r, s, "read person '"+id+"'", err)
		return
	}
	if msi.Found {
		d.Found, d.MSI = true, msi
		rec := msi.record
		d.Fields = []link{
			{Label: "Name", Text: personLabel(rec)},
			{Label: "Marketo id", Text: field(rec, "id")},
			{Label: "Company", Text: field(rec, "externalCompanyId"), Href: hrefIf("/console/companies/", field(rec, "externalCompanyId"))},
			{Label: "Owner (sales person)", Text: field(rec, "externalSalesPersonId"), Href: bestBetsHref(field(rec, "externalSalesPersonId"))},
		}
		if lid := field(rec, "id"); lid != "" {
			resp, err := c.roles.GetOpportunityRoles(ctx, &orchestratorv1.GetOpportunityRolesRequest{FilterType: "leadId", FilterValues: []string{lid}})
			if err != nil {
				d.unread("opportunity roles", err)
			}
			for _, role := range resp.GetResult() {
				oid := field(role, "externalOpportunityId")
				d.Related = append(d.Related, hit{"Opportunity (" + field(role, "role") + ")", oid, hrefIf("/console/opportunities/", oid)})
			}
		}
	}
	c.render(w, r, http.StatusOK, "record", view{Title: "Person " + id, Nav: "inspect", Session: s, Data: d})
}

// companyPage shows a company: its fields, people, opportunities and diagnostics.
func (c *Console) companyPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	diag, err := c.insight.GetCompanyDiagnostics(ctx, &orchestratorv1.GetCompanyDiagnosticsRequest{ExternalCompanyId: id})
	if err != nil {
		c.failed(w, r, s, "check company '"+id+"'", err)
		return
	}
	d := recordData{Kind: "company", ExternalID: diag.GetExternalCompanyId(), Passed: diag.GetPassed(), Checks: checks(diag.GetChecks())}
	resp, err := c.company.GetCompanies(ctx, &orchestratorv1.GetCompaniesRequest{FilterType: "externalCompanyId", FilterValues: []string{id}})
	if err != nil {
		c.failed(w, r, s, "read company '"+id+"'", err)
		return
	}
	if len(resp.GetResult()) > 0 {
		rec := resp.GetResult()[0]
		d.Found = true
		d.Fields = []link{
			{Label: "Name", Text: field(rec, "company")},
			{Label: "Marketo id", Text: field(rec, "id")},
			{Label: "Owner (sales person)", Text: field(rec, "externalSalesPersonId"), Href: bestBetsHref(field(rec, "externalSalesPersonId"))},
		}
		leads, err := c.leads.GetLeads(ctx, &orchestratorv1.GetLeadsRequest{FilterType: "externalCompanyId", FilterValues: []string{id}, BatchSize: 50,
			Fields: personFields})
		if err != nil {
			d.unread("company's people", err)
		}
		for _, l := range leads.GetResult() {
			d.Related = append(d.Related, personHit(l))
		}
		opps, err := c.opps.GetOpportunities(ctx, &orchestratorv1.GetOpportunitiesRequest{FilterType: "externalCompanyId", FilterValues: []string{id}, BatchSize: 50})
		if err != nil {
			d.unread("company's opportunities", err)
		}
		for _, o := range opps.GetResult() {
			d.Related = append(d.Related, opportunityHit(o))
		}
	}
	c.render(w, r, http.StatusOK, "record", view{Title: "Company " + id, Nav: "inspect", Session: s, Data: d})
}

// opportunityPage shows an opportunity: its fields, company, roles and diagnostics.
func (c *Console) opportunityPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	diag, err := c.insight.GetOpportunityDiagnostics(ctx, &orchestratorv1.GetOpportunityDiagnosticsRequest{ExternalOpportunityId: id})
	if err != nil {
		c.failed(w, r, s, "check opportunity '"+id+"'", err)
		return
	}
	d := recordData{Kind: "opportunity", ExternalID: diag.GetExternalOpportunityId(), Passed: diag.GetPassed(), Checks: checks(diag.GetChecks())}
	resp, err := c.opps.GetOpportunities(ctx, &orchestratorv1.GetOpportunitiesRequest{FilterType: "externalOpportunityId", FilterValues: []string{id}})
	if err != nil {
		c.failed(w, r, s, "read opportunity '"+id+"'", err)
		return
	}
	if len(resp.GetResult()) > 0 {
		rec := resp.GetResult()[0]
		d.Found = true
		d.Fields = []link{
			{Label: "Name", Text: field(rec, "name")},
			{Label: "Marketo GUID", Text: field(rec, "marketoGUID")},
			{Label: "Company", Text: field(rec, "externalCompanyId"), Href: hrefIf("/console/companies/", field(rec, "externalCompanyId"))},
			{Label: "Owner (sales person)", Text: field(rec, "externalSalesPersonId"), Href: bestBetsHref(field(rec, "externalSalesPersonId"))},
		}
		roles, err := c.roles.GetOpportunityRoles(ctx, &orchestratorv1.GetOpportunityRolesRequest{FilterType: "externalOpportunityId", FilterValues: []string{id}})
		if err != nil {
			d.unread("opportunity roles", err)
		}
		d.Related = append(d.Related, c.roleHits(ctx, &d, roles.GetResult())...)
	}
	c.render(w, r, http.StatusOK, "record", view{Title: "Opportunity " + id, Nav: "inspect", Session: s, Data: d})
}

// roleHits links an opportunity's roles to their people (by lead id when the people cannot
// be read, noted on d).
func (c *Console) roleHits(ctx context.Context, d *recordData, roles []*structpb.Struct) []hit {
	var ids []string
	for _, role := range roles {
		ids = append(ids, field(role, "leadId"))
	}
	byID := map[string]*structpb.Struct{}
	if len(ids) > 0 {
		leads, err := c.leads.GetLeads(ctx, &orchestratorv1.GetLeadsRequest{FilterType: "id", FilterValues: ids, Fields: personFields})
		if err != nil {
			d.unread("people of the roles", err)
		}
		for _, l := range leads.GetResult() {
			byID[field(l, "id")] = l
		}
	}
	var out []hit
	for _, role := range roles {
		l, ok := byID[field(role, "leadId")]
		if !ok {
			out = append(out, hit{"Role " + field(role, "role"), "person " + field(role, "leadId"), ""})
			continue
		}
		out = append(out, hit{"Role " + field(role, "role"), personLabel(l), personLink(l)})
	}
	return out
}

func hrefIf(prefix, id string) string {
	if id == "" {
		return ""
	}
	return prefix + pathEscape(id)
}

func bestBetsHref(id string) string {
	if id == "" {
		return ""
	}
	return "/console/bestbets?salesPerson=" + urlQueryEscape(id)
}
