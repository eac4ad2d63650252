package console

import (
	"net/http"
	"strconv"
	"strings"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// betRow is one of a sales person's Best Bets.
type betRow struct {
	Name, Email, Company, Status, Link string
	Priority, Stars, Flames, LeadScore int
}

// bestBetsData is the Best Bets page's data.
type bestBetsData struct {
	SalesPerson string
	Bets        []betRow
	Next        string
}

// bestBets shows a sales person's people ranked by priority, with stars and flames.
func (c *Console) bestBets(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := bestBetsData{SalesPerson: strings.TrimSpace(q.Get("salesPerson"))}
	if d.SalesPerson != "" {
		ctx, cancel := c.ctx(r, s)
		defer cancel()
		resp, err := c.insight.ListBestBets(ctx, &orchestratorv1.ListBestBetsRequest{ExternalSalesPersonId: d.SalesPerson, PageSize: 50, PageToken: q.Get("page")})
		if err != nil {
			c.failed(w, r, s, "list the Best Bets of sales person '"+d.SalesPerson+"'", err)
			return
		}
		for _, b := range resp.GetBestBets() {
			in := b.GetInsight()
			name := strings.TrimSpace(b.GetFirstName() + " " + b.GetLastName())
			if name == "" {
				name = b.GetEmail()
			}
			d.Bets = append(d.Bets, betRow{
				Name: name, Email: b.GetEmail(), Company: b.GetCompany(), Status: b.GetLeadStatus(),
				Link:     hrefIf("/console/persons/", b.GetExternalPersonId()),
				Priority: int(in.GetPriority()), Stars: clamp(int(in.GetRelativeScore()), 0, 3), Flames: clamp(int(in.GetRelativeUrgency()), 0, 3), LeadScore: int(in.GetLeadScore()),
			})
		}
		d.Next = resp.GetNextPageToken()
	}
	c.render(w, r, http.StatusOK, "bestbets", view{Title: "Best Bets", Nav: "bestbets", Session: s, Data: d})
}

// findingRow is one CRM finding.
type findingRow struct {
	Type, ExternalID, Kind, Message, Updated, Link string
}

// findingKind is one option of the kind filter.
type findingKind struct{ Value, Label string }

// findingsData is the CRM findings page's data.
type findingsData struct {
	Kind  string
	Kinds []findingKind
	Rows  []findingRow
	Total int32
	Next  string
}

func findingKinds() []findingKind {
	var out []findingKind
	for n := int32(1); ; n++ {
		name, ok := orchestratorv1.CrmFindingKind_name[n]
		if !ok {
			return out
		}
		out = append(out, findingKind{Value: strconv.Itoa(int(n)), Label: words(name, "CRM_FINDING_KIND_")})
	}
}

// findings lists the CRM findings a connector reported, filterable by kind, each linking
// to its record.
func (c *Console) findings(w http.ResponseWriter, r *http.Request, s *session) {
	q := r.URL.Query()
	d := findingsData{Kind: q.Get("kind"), Kinds: findingKinds()}
	req := &orchestratorv1.ListCrmFindingsRequest{PageSize: 100, PageToken: q.Get("page")}
	if d.Kind != "" {
		n, err := strconv.Atoi(d.Kind)
		if _, known := orchestratorv1.CrmFindingKind_name[int32(n)]; err != nil || !known || n == 0 {
			c.renderError(w, r, s, http.StatusBadRequest, "Unknown kind of finding '"+d.Kind+"': choose one from the list.")
			return
		}
		req.Kind = orchestratorv1.CrmFindingKind(n)
	}
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	resp, err := c.insight.ListCrmFindings(ctx, req)
	if err != nil {
		c.failed(w, r, s, "list the CRM findings", err)
		return
	}
	d.Total, d.Next = resp.GetTotalSize(), resp.GetNextPageToken()
	for _, f := range resp.GetFindings() {
		row := findingRow{Type: typeName(f.GetObjectType()), ExternalID: f.GetExternalId(), Kind: words(f.GetKind().String(), "CRM_FINDING_KIND_"),
			Message: f.GetMessage(), Link: recordLink(f.GetObjectType(), f.GetExternalId())}
		if f.GetUpdateTime() != nil {
			row.Updated = when(f.GetUpdateTime().AsTime())
		}
		d.Rows = append(d.Rows, row)
	}
	c.render(w, r, http.StatusOK, "findings", view{Title: "CRM findings", Nav: "findings", Session: s, Data: d})
}
