package console

import (
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// hit is one record the inspector found.
type hit struct{ Kind, Label, Link string }

// inspectData is the inspector's data.
type inspectData struct {
	Query    string
	Searched bool
	Hits     []hit
}

// field returns a record's field as text ("" when absent).
func field(rec *structpb.Struct, name string) string {
	v, ok := rec.GetFields()[name]
	if !ok {
		return ""
	}
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return k.StringValue
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64)
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue)
	}
	return ""
}

// number returns a record's numeric field (0 when absent).
func number(rec *structpb.Struct, name string) float64 {
	return rec.GetFields()[name].GetNumberValue()
}

func personLabel(rec *structpb.Struct) string {
	name := strings.TrimSpace(field(rec, "firstName") + " " + field(rec, "lastName"))
	if e := field(rec, "email"); e != "" {
		if name == "" {
			return e
		}
		name += " <" + e + ">"
	}
	if name == "" {
		name = "person " + field(rec, "id")
	}
	return name
}

// inspect finds records by any external id (any GUID spelling: the services normalise
// it), email or Marketo id, and opens the record when exactly one matches.
func (c *Console) inspect(w http.ResponseWriter, r *http.Request, s *session) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := inspectData{Query: q}
	if q == "" {
		c.render(w, r, http.StatusOK, "inspect", view{Title: "Record inspector", Nav: "inspect", Session: s, Data: d})
		return
	}
	d.Searched = true
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	type search struct {
		filter string
		run    func() ([]*structpb.Struct, error)
		hit    func(*structpb.Struct) hit
	}
	var searches []search
	getLeads := func(filter string) func() ([]*structpb.Struct, error) {
		return func() ([]*structpb.Struct, error) {
			resp, err := c.leads.GetLeads(ctx, &orchestratorv1.GetLeadsRequest{FilterType: filter, FilterValues: []string{q}, Fields: personFields})
			return resp.GetResult(), err
		}
	}
	switch {
	case strings.Contains(q, "@"):
		searches = append(searches, search{"email", getLeads("email"), personHit})
		searches = append(searches, search{"email", func() ([]*structpb.Struct, error) {
			resp, err := c.people.GetSalesPersons(ctx, &orchestratorv1.GetSalesPersonsRequest{FilterType: "email", FilterValues: []string{q}})
			return resp.GetResult(), err
		}, salesPersonHit})
	default:
		if _, err := strconv.Atoi(q); err == nil {
			searches = append(searches, search{"id", getLeads("id"), personHit})
			searches = append(searches, search{"id", func() ([]*structpb.Struct, error) {
				resp, err := c.company.GetCompanies(ctx, &orchestratorv1.GetCompaniesRequest{FilterType: "id", FilterValues: []string{q}})
				return resp.GetResult(), err
			}, companyHit})
		}
		searches = append(searches,
			search{"externalPersonId", getLeads("externalPersonId"), personHit},
			search{"externalCompanyId", func() ([]*structpb.Struct, error) {
				resp, err := c.company.GetCompanies(ctx, &orchestratorv1.GetCompaniesRequest{FilterType: "externalCompanyId", FilterValues: []string{q}})
				return resp.GetResult(), err
			}, companyHit},
			search{"externalOpportunityId", func() ([]*structpb.Struct, error) {
				resp, err := c.opps.GetOpportunities(ctx, &orchestratorv1.GetOpportunitiesRequest{FilterType: "externalOpportunityId", FilterValues: []string{q}})
				return resp.GetResult(), err
			}, opportunityHit},
			search{"externalSalesPersonId", func() ([]*structpb.Struct, error) {
				resp, err := c.people.GetSalesPersons(ctx, &orchestratorv1.GetSalesPersonsRequest{FilterType: "externalSalesPersonId", FilterValues: []string{q}})
				return resp.GetResult(), err
			}, salesPersonHit},
		)
	}
	var firstErr error
	for _, se := range searches {
		recs, err := se.run()
		if err != nil {
			// A value one filter refuses (an id too long, say) is no error for the others.
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		for _, rec := range recs {
			d.Hits = append(d.Hits, se.hit(rec))
		}
	}
	if len(d.Hits) == 0 && firstErr != nil && len(searches) > 0 {
		c.failed(w, r, s, "search for '"+q+"'", firstErr)
		return
	}
	if len(d.Hits) == 1 && d.Hits[0].Link != "" {
		http.Redirect(w, r, d.Hits[0].Link, http.StatusSeeOther)
		return
	}
	c.render(w, r, http.StatusOK, "inspect", view{Title: "Record inspector", Nav: "inspect", Session: s, Data: d})
}

// personLink is the console page of a person, or "" for a record without an externalPersonId.
func personLink(rec *structpb.Struct) string {
	return hrefIf("/console/persons/", field(rec, "externalPersonId"))
}

// personFields are the lead fields a person's hit needs (personHit).
var personFields = []string{"id", "email", "firstName", "lastName", "externalPersonId"}

// personHit is a hit on a person, linked to its page.
func personHit(rec *structpb.Struct) hit { return hit{"Person", personLabel(rec), personLink(rec)} }

// recordHit is a hit on a record shown by its label field (by its id when that is empty),
// linked to its console page under prefix.
func recordHit(kind string, rec *structpb.Struct, labelField, idField, prefix string) hit {
	id := field(rec, idField)
	label := field(rec, labelField)
	if label == "" {
		label = id
	}
	return hit{kind, label, hrefIf(prefix, id)}
}

func companyHit(rec *structpb.Struct) hit {
	return recordHit("Company", rec, "company", "externalCompanyId", "/console/companies/")
}

func opportunityHit(rec *structpb.Struct) hit {
	return recordHit("Opportunity", rec, "name", "externalOpportunityId", "/console/opportunities/")
}

func salesPersonHit(rec *structpb.Struct) hit {
	label := strings.TrimSpace(field(rec, "firstName") + " " + field(rec, "lastName"))
	if e := field(rec, "email"); e != "" {
		label = strings.TrimSpace(label + " <" + e + ">")
	}
	id := field(rec, "externalSalesPersonId")
	if label == "" {
		label = id
	}
	return hit{"Sales person", label, bestBetsHref(id)}
}
