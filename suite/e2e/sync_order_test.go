package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTheFiveStepsInOrder walks the MSI non-native contract through the REST gateway:
// sales person → company → leads → opportunity → role, with GUIDs in any case, then the
// compound-key role lookup, then deletes refused while children reference a record.
func TestTheFiveStepsInOrder(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	const (
		sp   = "5d2c0a6e-7a4b-4c1e-9f2d-0b1c2d3e4f50"
		acct = "a1b2c3d4-e5f6-4789-8abc-def012345678"
		con  = "c0ffee00-1111-4222-8333-444455556666"
		opp  = "0e0e0e0e-aaaa-4bbb-8ccc-dddddddddddd"
	)
	post := func(path string, body any) response {
		t.Helper()
		r := s.call(http.MethodPost, path, tok, "", body)
		if r.body["success"] != true {
			t.Fatalf("POST %s failed: %s", path, r.raw)
		}
		return r
	}

	// 1. Sales person, braced and upper-case.
	r := post("/rest/v1/salespersons.json", map[string]any{"input": []map[string]any{{"externalSalesPersonId": "{" + strings.ToUpper(sp) + "}", "email": "owner@example.com"}}})
	if diff := cmp.Diff([]string{"created"}, outcomes(r)); diff != "" {
		t.Fatalf("step 1 (-want +got):\n%s", diff)
	}
	// 2. Company naming its owner in another case; the same key twice in one request.
	r = post("/rest/v1/companies.json", map[string]any{"input": []map[string]any{
		{"externalCompanyId": strings.ToUpper(acct), "externalSalesPersonId": sp, "company": "Acme"},
		{"externalCompanyId": acct, "externalSalesPersonId": sp, "company": "Acme again"},
	}})
	if diff := cmp.Diff([]string{"created", "skipped 1036"}, outcomes(r)); diff != "" {
		t.Fatalf("step 2 (-want +got):\n%s", diff)
	}
	companyID := r.results()[0]["id"]
	r = post("/rest/v1/companies.json", map[string]any{"input": []map[string]any{{"externalCompanyId": "{" + acct + "}", "industry": "Software"}}})
	if diff := cmp.Diff([]string{"updated"}, outcomes(r)); diff != "" || r.results()[0]["id"] != companyID {
		t.Fatalf("company case variant did not update the same record: %s", r.raw)
	}
	// 3. A lead keyed by its CRM id.
	r = post("/rest/v1/leads.json", map[string]any{"action": "createOrUpdate", "lookupField": "externalPersonId", "input": []map[string]any{
		{"externalPersonId": strings.ToUpper(con), "email": "buyer@example.com", "firstName": "Bea", "externalCompanyId": acct, "externalSalesPersonId": strings.ToUpper(sp)},
	}})
	if diff := cmp.Diff([]string{"created"}, outcomes(r)); diff != "" {
		t.Fatalf("step 3 (-want +got):\n%s\n%s", diff, r.raw)
	}
	leadID := r.results()[0]["id"]
	if _, hasSeq := r.results()[0]["seq"]; hasSeq {
		t.Errorf("lead results carry seq; Marketo's do not: %s", r.raw)
	}
	// 4. The opportunity.
	r = post("/rest/v1/opportunities.json", map[string]any{"input": []map[string]any{
		{"externalOpportunityId": opp, "name": "Big deal", "externalCompanyId": strings.ToUpper(acct), "externalSalesPersonId": sp, "amount": 125000.5, "closeDate": "2026-12-31"},
	}})
	if diff := cmp.Diff([]string{"created"}, outcomes(r)); diff != "" {
		t.Fatalf("step 4 (-want +got):\n%s\n%s", diff, r.raw)
	}
	if guid, _ := r.results()[0]["marketoGUID"].(string); guid == "" {
		t.Errorf("opportunity result has no marketoGUID: %s", r.raw)
	}
	// 5. The contact role, with the lead id read back by externalPersonId as MSI tells
	// integrators to do.
	lookup := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues="+con+"&fields=id,email,externalPersonId", tok, "", nil)
	if res := lookup.results(); len(res) != 1 || res[0]["id"] != leadID || res[0]["externalPersonId"] != con {
		t.Fatalf("lead lookup by externalPersonId = %s", lookup.raw)
	}
	r = post("/rest/v1/opportunities/roles.json", map[string]any{"input": []map[string]any{
		{"externalOpportunityId": strings.ToUpper(opp), "leadId": leadID, "role": "Decision Maker", "isPrimary": true},
	}})
	if diff := cmp.Diff([]string{"created"}, outcomes(r)); diff != "" {
		t.Fatalf("step 5 (-want +got):\n%s\n%s", diff, r.raw)
	}

	// The compound-key lookup: POST ?_method=GET with a JSON body.
	q := s.call(http.MethodPost, "/rest/v1/opportunities/roles.json?_method=GET", tok, "", map[string]any{
		"filterType": "dedupeFields",
		"fields":     []string{"externalOpportunityId", "leadId", "role", "isPrimary"},
		"input": []map[string]any{
			{"externalOpportunityId": opp, "leadId": leadID, "role": "decision maker"},
			{"externalOpportunityId": opp, "leadId": leadID, "role": "Champion"},
		},
	})
	if res := q.results(); q.body["success"] != true || len(res) != 1 || res[0]["isPrimary"] != true || res[0]["externalOpportunityId"] != opp {
		t.Errorf("compound-key role lookup = %s", q.raw)
	}

	// Deletes are refused while children reference the record.
	for _, tc := range []struct{ path, key, value string }{
		{"/rest/v1/salespersons/delete.json", "externalSalesPersonId", sp},
		{"/rest/v1/companies/delete.json", "externalCompanyId", acct},
		{"/rest/v1/opportunities/delete.json", "externalOpportunityId", opp},
	} {
		r := post(tc.path, map[string]any{"input": []map[string]any{{tc.key: strings.ToUpper(tc.value)}}})
		if diff := cmp.Diff([]string{"skipped 1022"}, outcomes(r)); diff != "" {
			t.Errorf("delete %s while referenced (-want +got):\n%s\n%s", tc.value, diff, r.raw)
		}
	}
	r = post("/rest/v1/leads/delete.json", map[string]any{"input": []map[string]any{{"id": leadID}}})
	if diff := cmp.Diff([]string{"skipped 1022"}, outcomes(r)); diff != "" {
		t.Errorf("delete a lead with a role (-want +got):\n%s\n%s", diff, r.raw)
	}
	// Children first, then the parents go.
	for _, tc := range []struct {
		path string
		in   map[string]any
	}{
		{"/rest/v1/opportunities/roles/delete.json", map[string]any{"externalOpportunityId": opp, "leadId": leadID, "role": "Decision Maker"}},
		{"/rest/v1/opportunities/delete.json", map[string]any{"externalOpportunityId": opp}},
		{"/rest/v1/leads/delete.json", map[string]any{"id": leadID}},
		{"/rest/v1/companies/delete.json", map[string]any{"externalCompanyId": acct}},
		{"/rest/v1/salespersons/delete.json", map[string]any{"externalSalesPersonId": sp}},
	} {
		r := post(tc.path, map[string]any{"input": []map[string]any{tc.in}})
		if diff := cmp.Diff([]string{"deleted"}, outcomes(r)); diff != "" {
			t.Errorf("delete in child-first order %s (-want +got):\n%s\n%s", tc.path, diff, r.raw)
		}
	}
}

// TestWrongOrderIsSkippedAndWritesNothing sends each step before its parent.
func TestWrongOrderIsSkippedAndWritesNothing(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	post := func(path string, body any) response {
		t.Helper()
		return s.call(http.MethodPost, path, tok, "", body)
	}
	r := post("/rest/v1/salespersons.json", map[string]any{"input": []map[string]any{{"externalSalesPersonId": "sp-known"}}})
	if r.body["success"] != true {
		t.Fatal(string(r.raw))
	}
	r = post("/rest/v1/companies.json", map[string]any{"input": []map[string]any{{"externalCompanyId": "co-known", "externalSalesPersonId": "sp-known", "company": "Known"}}})
	if diff := cmp.Diff([]string{"created"}, outcomes(r)); diff != "" {
		t.Fatalf("setup (-want +got):\n%s\n%s", diff, r.raw)
	}

	tests := []struct {
		name   string
		path   string
		body   map[string]any
		want   string
		naming string
		check  string // query that must find nothing afterwards
	}{
		{name: "company before its sales person", path: "/rest/v1/companies.json",
			body: map[string]any{"input": []map[string]any{{"externalCompanyId": "co-orphan", "externalSalesPersonId": "sp-ghost", "company": "Orphan"}}},
			want: "skipped 718", naming: "sp-ghost", check: "/rest/v1/companies.json?filterType=externalCompanyId&filterValues=co-orphan"},
		{name: "lead before its company", path: "/rest/v1/leads.json",
			body: map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{{"externalPersonId": "p-orphan", "email": "o@example.com", "externalCompanyId": "co-ghost", "externalSalesPersonId": "sp-known"}}},
			want: "skipped 1013", naming: "co-ghost", check: "/rest/v1/leads.json?filterType=externalPersonId&filterValues=p-orphan"},
		{name: "lead before its sales person", path: "/rest/v1/leads.json",
			body: map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{{"externalPersonId": "p-orphan2", "email": "o2@example.com", "externalCompanyId": "co-known", "externalSalesPersonId": "sp-ghost"}}},
			want: "skipped 718", naming: "sp-ghost", check: "/rest/v1/leads.json?filterType=externalPersonId&filterValues=p-orphan2"},
		{name: "opportunity before its company", path: "/rest/v1/opportunities.json",
			body: map[string]any{"input": []map[string]any{{"externalOpportunityId": "o-orphan", "name": "Orphan", "externalCompanyId": "co-ghost", "externalSalesPersonId": "sp-known"}}},
			want: "skipped 1013", naming: "co-ghost", check: "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=o-orphan"},
		{name: "opportunity before its sales person", path: "/rest/v1/opportunities.json",
			body: map[string]any{"input": []map[string]any{{"externalOpportunityId": "o-orphan2", "name": "Orphan", "externalCompanyId": "co-known", "externalSalesPersonId": "sp-ghost"}}},
			want: "skipped 718", naming: "sp-ghost", check: "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=o-orphan2"},
		{name: "role before its opportunity", path: "/rest/v1/opportunities/roles.json",
			body: map[string]any{"input": []map[string]any{{"externalOpportunityId": "o-ghost", "leadId": 1, "role": "Champion"}}},
			want: "skipped 1013", naming: "o-ghost", check: "/rest/v1/opportunities/roles.json?filterType=externalOpportunityId&filterValues=o-ghost"},
	}
	for _, tt := range tests {
		r := post(tt.path, tt.body)
		if diff := cmp.Diff([]string{tt.want}, outcomes(r)); diff != "" {
			t.Errorf("%s (-want +got):\n%s\n%s", tt.name, diff, r.raw)
			continue
		}
		if !strings.Contains(string(r.raw), tt.naming) {
			t.Errorf("%s: the reason does not name the missing %s: %s", tt.name, tt.naming, r.raw)
		}
		if got := s.call(http.MethodGet, tt.check, tok, "", nil); got.body["success"] != true || len(got.results()) != 0 {
			t.Errorf("%s wrote a record: %s", tt.name, got.raw)
		}
	}
	// A role naming a lead that does not exist, on an opportunity that does.
	r = post("/rest/v1/opportunities.json", map[string]any{"input": []map[string]any{{"externalOpportunityId": "o-known", "name": "Known", "externalCompanyId": "co-known", "externalSalesPersonId": "sp-known"}}})
	if diff := cmp.Diff([]string{"created"}, outcomes(r)); diff != "" {
		t.Fatalf("setup opportunity (-want +got):\n%s\n%s", diff, r.raw)
	}
	r = post("/rest/v1/opportunities/roles.json", map[string]any{"input": []map[string]any{{"externalOpportunityId": "o-known", "leadId": 999999, "role": "Champion"}}})
	if diff := cmp.Diff([]string{"skipped 1013"}, outcomes(r)); diff != "" || !strings.Contains(string(r.raw), "999999") {
		t.Errorf("role naming an unknown lead (-want +got):\n%s\n%s", diff, r.raw)
	}
}

// TestLeadPagingAndFields pages over 650 leads of one company with no gap or repeat.
func TestLeadPagingAndFields(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	if r := s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{"input": []map[string]any{{"externalSalesPersonId": "sp-p"}}}); r.body["success"] != true {
		t.Fatal(string(r.raw))
	}
	if r := s.call(http.MethodPost, "/rest/v1/companies.json", tok, "", map[string]any{"input": []map[string]any{{"externalCompanyId": "co-p", "externalSalesPersonId": "sp-p", "company": "Paging Inc"}}}); r.body["success"] != true {
		t.Fatal(string(r.raw))
	}
	const n = 650
	var want []string
	for start := 0; start < n; start += 300 {
		var input []map[string]any
		for i := start; i < min(start+300, n); i++ {
			id := fmt.Sprintf("person-%04d", i)
			want = append(want, id)
			input = append(input, map[string]any{"externalPersonId": id, "email": id + "@example.com", "lastName": fmt.Sprint("L", i), "externalCompanyId": "co-p", "externalSalesPersonId": "sp-p"})
		}
		r := s.call(http.MethodPost, "/rest/v1/leads.json", tok, "", map[string]any{"lookupField": "externalPersonId", "input": input})
		for _, o := range outcomes(r) {
			if o != "created" {
				t.Fatalf("lead batch at %d: %s", start, r.raw)
			}
		}
	}
	var got []string
	token := ""
	pages := 0
	for ; pages < 10; pages++ {
		path := "/rest/v1/leads.json?" + url.Values{"filterType": {"externalCompanyId"}, "filterValues": {"CO-P"}, "fields": {"externalPersonId,lastName"}, "batchSize": {"300"}}.Encode()
		if token != "" {
			path += "&nextPageToken=" + url.QueryEscape(token)
		}
		r := s.call(http.MethodGet, path, tok, "", nil)
		for _, item := range r.results() {
			got = append(got, item["externalPersonId"].(string))
			if _, ok := item["lastName"]; !ok {
				t.Fatalf("requested field lastName missing: %v", item)
			}
			if _, ok := item["email"]; ok {
				t.Fatalf("field email returned though not requested: %v", item)
			}
		}
		next, _ := r.body["nextPageToken"].(string)
		if more, _ := r.body["moreResult"].(bool); !more || next == "" {
			break
		}
		token = next
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("650 leads over %d pages (-want +got):\n%s", pages+1, diff)
	}
	if pages+1 != 3 {
		t.Errorf("650 leads in pages of 300 took %d pages, want 3", pages+1)
	}
}
