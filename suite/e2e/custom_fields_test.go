package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestCustomFieldsExistOnceDeclared: leads' custom fields are those MSISYNC_CUSTOM_FIELDS
// declares, with their types, as in Marketo. A declared field syncs, reads back and is
// described; an undeclared one (a misspelt leadScore) answers 1006 naming it, in a sync (the
// record is skipped and not stored) and in a query's fields.
func TestCustomFieldsExistOnceDeclared(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_CUSTOM_FIELDS=leads:favouriteColour:string,leads:tier:integer")
	tok := s.token()
	if r := s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalSalesPersonId": "cf-sp", "email": "cf-sp@example.com"}}}); strings.Join(outcomesOf(r), ",") != "created" {
		t.Fatalf("sales person: %s", r.raw)
	}
	if r := s.call(http.MethodPost, "/rest/v1/companies.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalCompanyId": "cf-co", "company": "Custom Ltd", "externalSalesPersonId": "cf-sp"}}}); strings.Join(outcomesOf(r), ",") != "created" {
		t.Fatalf("company: %s", r.raw)
	}
	r := s.call(http.MethodPost, "/rest/v1/leads.json", tok, "", map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{
		{"externalPersonId": "cf-1", "email": "cf-1@example.com", "externalCompanyId": "cf-co", "externalSalesPersonId": "cf-sp", "favouriteColour": "teal", "tier": 3},
		{"externalPersonId": "cf-2", "email": "cf-2@example.com", "externalCompanyId": "cf-co", "externalSalesPersonId": "cf-sp", "leadScroe": 5},
		{"externalPersonId": "cf-3", "email": "cf-3@example.com", "externalCompanyId": "cf-co", "externalSalesPersonId": "cf-sp", "tier": "gold"},
	}})
	if got := strings.Join(outcomesOf(r), ","); got != "created,skipped 1006,skipped 1001" || !strings.Contains(string(r.raw), "Field 'leadScroe' not found") {
		t.Fatalf("lead sync outcomes %q: %s", got, r.raw)
	}

	// The declared fields read back; the skipped records were not stored.
	q := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues=cf-1,cf-2,cf-3&fields=favouriteColour,tier", tok, "", nil)
	leads := q.results()
	if len(leads) != 1 || leads[0]["favouriteColour"] != "teal" || leads[0]["tier"] != float64(3) {
		t.Fatalf("lead query: %s", q.raw)
	}

	// An undeclared field in a query answers 1006 naming it.
	q = s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues=cf-1&fields=email,leadScroe", tok, "", nil)
	if q.errorCode() != "1006" || !strings.Contains(string(q.raw), "leadScroe") {
		t.Errorf("query with an undeclared field: %s", q.raw)
	}
	if id, _ := leads[0]["id"].(float64); id > 0 {
		q = s.call(http.MethodGet, fmt.Sprintf("/rest/v1/lead/%d.json?fields=leadScroe", int64(id)), tok, "", nil)
		if q.errorCode() != "1006" {
			t.Errorf("lead by id with an undeclared field: %s", q.raw)
		}
	}

	// describe lists the declared fields with their types.
	d := s.call(http.MethodGet, "/rest/v1/leads/describe.json", tok, "", nil)
	types := map[string]any{}
	for _, f := range d.results() {
		types[f["rest"].(map[string]any)["name"].(string)] = f["dataType"]
	}
	if types["favouriteColour"] != "string" || types["tier"] != "integer" || types["leadScroe"] != nil {
		t.Errorf("lead describe: favouriteColour %v, tier %v, leadScroe %v", types["favouriteColour"], types["tier"], types["leadScroe"])
	}
}
