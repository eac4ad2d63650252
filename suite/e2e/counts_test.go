package e2e

import (
	"fmt"
	"net/http"
	"testing"
)

// TestRecordCounts syncs a few records of each kind over REST and reads the counts the
// console's overview shows (GET /v1/counts); a read-only client may read them too.
func TestRecordCounts(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_CLIENTS=viewer:viewer-secret-0123456789:read_only")
	tok := s.token()
	ok := func(r response) response {
		t.Helper()
		if r.status != http.StatusOK || r.body["success"] == false {
			t.Fatalf("HTTP %d %s", r.status, truncate(r.raw))
		}
		return r
	}
	counts := func(tok string) map[string]string {
		t.Helper()
		r := ok(s.call(http.MethodGet, "/v1/counts", tok, "", nil))
		out := map[string]string{}
		for _, k := range []string{"salesPersons", "companies", "leads", "opportunities", "opportunityRoles"} {
			out[k] = fmt.Sprint(r.body[k])
		}
		return out
	}
	want := func(got map[string]string, sp, co, le, op, ro int) {
		t.Helper()
		exp := map[string]string{"salesPersons": fmt.Sprint(sp), "companies": fmt.Sprint(co), "leads": fmt.Sprint(le), "opportunities": fmt.Sprint(op), "opportunityRoles": fmt.Sprint(ro)}
		for k, v := range exp {
			if got[k] != v && !(v == "0" && got[k] == "<nil>") {
				t.Errorf("counts: %s = %s, want %s (all: %v)", k, got[k], v, got)
			}
		}
	}
	want(counts(tok), 0, 0, 0, 0, 0)

	ok(s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalSalesPersonId": "cnt-sp-1", "email": "sp1@example.com"},
		{"externalSalesPersonId": "cnt-sp-2", "email": "sp2@example.com"},
	}}))
	ok(s.call(http.MethodPost, "/rest/v1/companies.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalCompanyId": "cnt-co-1", "company": "One", "externalSalesPersonId": "cnt-sp-1"},
		{"externalCompanyId": "cnt-co-2", "company": "Two", "externalSalesPersonId": "cnt-sp-2"},
	}}))
	var leads []map[string]any
	for i := range 3 {
		leads = append(leads, map[string]any{"externalPersonId": fmt.Sprintf("cnt-p-%d", i), "email": fmt.Sprintf("p%d@example.com", i), "externalCompanyId": "cnt-co-1", "externalSalesPersonId": "cnt-sp-1"})
	}
	lr := ok(s.call(http.MethodPost, "/rest/v1/leads.json", tok, "", map[string]any{"lookupField": "externalPersonId", "input": leads}))
	lead0, _ := lr.results()[0]["id"].(float64)
	lead1, _ := lr.results()[1]["id"].(float64)
	ok(s.call(http.MethodPost, "/rest/v1/opportunities.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalOpportunityId": "cnt-o-1", "name": "Deal 1", "externalCompanyId": "cnt-co-1", "externalSalesPersonId": "cnt-sp-1"},
		{"externalOpportunityId": "cnt-o-2", "name": "Deal 2", "externalCompanyId": "cnt-co-2", "externalSalesPersonId": "cnt-sp-2"},
	}}))
	ok(s.call(http.MethodPost, "/rest/v1/opportunities/roles.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalOpportunityId": "cnt-o-1", "leadId": lead0, "role": "Buyer"},
		{"externalOpportunityId": "cnt-o-1", "leadId": lead1, "role": "Champion"},
		{"externalOpportunityId": "cnt-o-2", "leadId": lead0, "role": "Buyer"},
	}}))
	want(counts(tok), 2, 2, 3, 2, 3)

	// A delete shows at once; a read-only client reads the same counts.
	ok(s.call(http.MethodPost, "/rest/v1/leads/delete.json", tok, "", map[string]any{"input": []map[string]any{{"id": lr.results()[2]["id"]}}}))
	want(counts(s.tokenFor("viewer", "viewer-secret-0123456789")), 2, 2, 2, 2, 3)
}
