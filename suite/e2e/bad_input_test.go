package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
)

// badInputCase is one bad request and the answer it must get: its HTTP status and at most
// one of wantCode, wantGRPC and wantOutcomes (none: the HTTP status says it all):
//   - wantCode: a response-level Marketo error (errors[0].code, success false);
//   - wantGRPC: on msisync's own /v1 API, grpc-gateway's standard error body {code, message};
//   - wantOutcomes: a per-record answer (success true), each item "skipped <reason code>".
type badInputCase struct {
	name         string
	method       string
	path         string
	contentType  string
	body         any
	wantHTTP     int
	wantCode     string
	wantGRPC     codes.Code
	wantOutcomes []string
}

// badInputKeys collects every key a bad-input case names, per object type, so that the
// snapshot can show that none of them came to exist.
type badInputKeys struct {
	salesPersons, companies, leads, emails, opportunities []string
}

// addKey registers id under list and returns it, so a case names its key once.
func addKey(list *[]string, id string) string {
	*list = append(*list, id)
	return id
}

func (k *badInputKeys) sp(id string) string  { return addKey(&k.salesPersons, id) }
func (k *badInputKeys) co(id string) string  { return addKey(&k.companies, id) }
func (k *badInputKeys) ld(id string) string  { return addKey(&k.leads, id) }
func (k *badInputKeys) em(id string) string  { return addKey(&k.emails, id) }
func (k *badInputKeys) opp(id string) string { return addKey(&k.opportunities, id) }

func (k *badInputKeys) all() [][]string {
	return [][]string{k.salesPersons, k.companies, k.leads, k.emails, k.opportunities}
}
func (k *badInputKeys) count() (n int) {
	for _, l := range k.all() {
		n += len(l)
	}
	return n
}

const (
	biSeedSP   = "bi-seed-sp"
	biSeedSP2  = "bi-seed-sp2"
	biSeedCo   = "bi-seed-co"
	biSeedLead = "bi-seed-lead"
	biSeedMail = "seed-lead@example.com"
	biSeedOpp  = "bi-seed-opp"
	biSeedRole = "Champion"
)

// TestBadInputGetsTheRightAnswerAndChangesNothing sends bad requests to every object type
// of the Marketo API and to the sync-run and insight /v1 API: each gets the right answer
// (for the whole request where Marketo fails the request, per record where Marketo skips
// the record), and after each one a snapshot of everything stored equals the one taken
// before the first.
func TestBadInputGetsTheRightAnswerAndChangesNothing(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_RATE_LIMIT_CALLS=0", "MSISYNC_MAX_CONCURRENCY=0", "MSISYNC_DAILY_QUOTA=0")
	tok := s.token()

	// The known state: two sales persons, a company, a lead with a score, an opportunity, a
	// role, and a lead parked by a sync run because its company is missing.
	ok := func(r response) response {
		t.Helper()
		if r.status != http.StatusOK || r.body["success"] == false {
			t.Fatalf("seeding: HTTP %d %s", r.status, truncate(r.raw))
		}
		for _, o := range outcomes(r) {
			if o != "created" {
				t.Fatalf("seeding: %s", truncate(r.raw))
			}
		}
		return r
	}
	ok(s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalSalesPersonId": biSeedSP, "email": "seed-sp@example.com", "firstName": "Seed", "lastName": "Owner", "title": "AE"},
		{"externalSalesPersonId": biSeedSP2, "email": "seed-sp2@example.com"},
	}}))
	ok(s.call(http.MethodPost, "/rest/v1/companies.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalCompanyId": biSeedCo, "company": "Seed Co", "industry": "Software", "numberOfEmployees": 42, "externalSalesPersonId": biSeedSP},
	}}))
	lead := ok(s.call(http.MethodPost, "/rest/v1/leads.json", tok, "", map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{
		{"externalPersonId": biSeedLead, "email": biSeedMail, "firstName": "Bea", "lastName": "Buyer", "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP},
	}}))
	leadID, _ := lead.results()[0]["id"].(float64)
	ok(s.call(http.MethodPost, "/rest/v1/opportunities.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalOpportunityId": biSeedOpp, "name": "Seed deal", "amount": 1000, "closeDate": "2026-12-31", "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP},
	}}))
	ok(s.call(http.MethodPost, "/rest/v1/opportunities/roles.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalOpportunityId": biSeedOpp, "leadId": leadID, "role": biSeedRole, "isPrimary": true},
	}}))
	if r := s.call(http.MethodPost, "/v1/score-changes", tok, "", map[string]any{"changes": []map[string]any{{"externalPersonId": biSeedLead, "delta": 10, "reason": "seeded"}}}); r.status != http.StatusOK {
		t.Fatalf("seeding a score: HTTP %d %s", r.status, truncate(r.raw))
	}
	parkedRun := s.createRun(tok, map[string]any{"leads": []map[string]any{
		{"externalPersonId": "bi-parked-lead", "email": "parked@example.com", "externalCompanyId": "bi-missing-co", "externalSalesPersonId": biSeedSP},
	}})
	s.waitForRun(tok, parkedRun, "SYNC_RUN_STATE_WAITING")

	// Page tokens: a real one from a sales-person query, for replay on other queries.
	page := s.call(http.MethodGet, "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues="+biSeedSP+","+biSeedSP2+"&batchSize=1", tok, "", nil)
	spToken, _ := page.body["nextPageToken"].(string)
	if spToken == "" {
		t.Fatalf("no page token from a two-record query with batchSize 1: %s", page.raw)
	}

	var keys badInputKeys
	cases := badInputCases(&keys, leadID, spToken, parkedRun)
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}

	fields := map[string]string{}
	for typ, path := range map[string]string{
		"salespersons":        "/rest/v1/salespersons/describe.json",
		"companies":           "/rest/v1/companies/describe.json",
		"opportunities":       "/rest/v1/opportunities/describe.json",
		"opportunities/roles": "/rest/v1/opportunities/roles/describe.json",
		"leads":               "/rest/v1/leads/describe2.json",
	} {
		r := s.call(http.MethodGet, path, tok, "", nil)
		res := r.results()
		if len(res) != 1 {
			t.Fatalf("%s: %s", path, truncate(r.raw))
		}
		list, _ := res[0]["fields"].([]any)
		var names []string
		for _, f := range list {
			if n, _ := f.(map[string]any)["name"].(string); n != "" {
				names = append(names, n)
			}
		}
		fields[typ] = strings.Join(names, ",")
	}
	// The MSI fields are no lead record fields, so describe2 leaves them out; urgency is
	// left out too, as it decays by the second.
	fields["leads"] += ",leadScore,relativeScore,relativeUrgency,priority,msiLastInterestingMomentType,msiLastInterestingMomentDate,msiLastInterestingMomentDesc,msiLastInterestingMomentSource"
	snapshot := func() map[string]any {
		t.Helper()
		return badInputSnapshot(t, s, tok, fields, &keys, leadID, parkedRun)
	}
	before := snapshot()
	// The snapshot must see the seeded records, or it proves nothing.
	for name, want := range map[string]int{"salesPersons": 2, "companies": 1, "leads": 1, "leadsByEmail": 1, "opportunities": 1, "roles": 1, "leadsOfCompany": 1, "rolesOfLead": 1, "pending": 1} {
		if got, _ := before[name].([]any); len(got) != want {
			t.Fatalf("snapshot %s holds %d records, want %d: %v", name, len(got), want, before[name])
		}
	}
	if l, _ := before["leads"].([]any); len(l) == 0 || l[0].(map[string]any)["leadScore"] != 10.0 {
		t.Fatalf("snapshot leads do not show the seeded score 10: %v", before["leads"])
	}
	if n, _ := before["writebackLength"].(int); n == 0 {
		t.Fatalf("the writeback feed is empty after a score change")
	}

	for _, tc := range cases {
		r := s.call(tc.method, tc.path, tok, tc.contentType, tc.body)
		if msg := checkBadInput(tc, r); msg != "" {
			t.Errorf("%s: %s %s: %s\n  answer: HTTP %d %s", tc.name, tc.method, truncatePath(tc.path), msg, r.status, truncate(r.raw))
		}
		if diff := cmp.Diff(before, snapshot()); diff != "" {
			t.Errorf("%s: stored state changed (-before +after):\n%s", tc.name, diff)
			before = snapshot()
		}
	}
	t.Logf("%d bad-input cases over %d probe keys", len(cases), keys.count())
}

// checkBadInput returns what is wrong with the answer r to tc, or "".
func checkBadInput(tc badInputCase, r response) string {
	if r.status != tc.wantHTTP {
		return fmt.Sprintf("HTTP %d, want %d", r.status, tc.wantHTTP)
	}
	switch {
	case tc.wantCode != "":
		if r.body["success"] != false || r.errorCode() != tc.wantCode {
			return fmt.Sprintf("want success false with error %s, got error %q", tc.wantCode, r.errorCode())
		}
	case tc.wantOutcomes != nil:
		var got []string
		if strings.HasPrefix(tc.path, "/v1/") {
			got = v1Outcomes(r)
		} else {
			if r.body["success"] != true {
				return fmt.Sprintf("want success true with per-record outcomes %v, got error %q", tc.wantOutcomes, r.errorCode())
			}
			got = outcomes(r)
		}
		if diff := cmp.Diff(tc.wantOutcomes, got); diff != "" {
			return "per-record outcomes (-want +got):\n" + diff
		}
	case tc.wantGRPC != codes.OK:
		if c, _ := r.body["code"].(float64); codes.Code(c) != tc.wantGRPC {
			return fmt.Sprintf("body code %v, want %d (%s)", r.body["code"], tc.wantGRPC, tc.wantGRPC)
		}
		if m, _ := r.body["message"].(string); m == "" {
			return "grpc-gateway error without a message"
		}
	}
	return ""
}

// v1Outcomes summarises the per-item results of the insight API as "skipped 1004".
func v1Outcomes(r response) []string {
	items, _ := r.body["results"].([]any)
	var out []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		s, _ := m["status"].(string)
		s = strings.ToLower(strings.TrimPrefix(s, "RECORD_STATUS_"))
		reasons, _ := m["reasons"].([]any)
		for _, rs := range reasons {
			c, _ := rs.(map[string]any)["code"].(string)
			s += " " + c
		}
		out = append(out, s)
	}
	return out
}

func truncatePath(p string) string {
	if len(p) > 120 {
		return p[:120] + "…"
	}
	return p
}

// badInputSnapshot reads everything the cases could have changed: every object type by
// its keys (the seeded ones and every key a case names) with all its fields, the seeded
// company's leads and opportunities, the seeded lead's roles, the pending and dead-letter
// lists, the parked run, and the whole writeback feed.
func badInputSnapshot(t *testing.T, s *suite, tok string, fields map[string]string, k *badInputKeys, leadID float64, parkedRun string) map[string]any {
	t.Helper()
	// query reads by up to 300 filter values at a time, as Marketo allows.
	query := func(typ, filterType string, values []string, fieldList string) []any {
		t.Helper()
		res := []any{}
		for len(values) > 0 {
			n := min(len(values), 300)
			form := url.Values{"filterType": {filterType}, "filterValues": {strings.Join(values[:n], ",")}, "fields": {fieldList}, "batchSize": {"300"}}
			values = values[n:]
			r := s.call(http.MethodPost, "/rest/v1/"+typ+".json?_method=GET", tok, "application/x-www-form-urlencoded", form.Encode())
			if r.status != http.StatusOK || r.body["success"] != true {
				t.Fatalf("snapshot %s by %s: HTTP %d %s", typ, filterType, r.status, truncate(r.raw))
			}
			if more, _ := r.body["moreResult"].(bool); more {
				t.Fatalf("snapshot %s by %s has more than one page", typ, filterType)
			}
			page, _ := r.body["result"].([]any)
			res = append(res, page...)
		}
		return res
	}
	v1 := func(path, key string) any {
		t.Helper()
		r := s.call(http.MethodGet, path, tok, "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("snapshot %s: HTTP %d %s", path, r.status, truncate(r.raw))
		}
		v := r.body[key]
		if v == nil {
			v = []any{}
		}
		return v
	}
	with := func(seed string, more []string) []string { return append([]string{seed}, more...) }
	snap := map[string]any{
		"salesPersons":   query("salespersons", "externalSalesPersonId", with(biSeedSP, append([]string{biSeedSP2}, k.salesPersons...)), fields["salespersons"]),
		"companies":      query("companies", "externalCompanyId", with(biSeedCo, k.companies), fields["companies"]),
		"leads":          query("leads", "externalPersonId", with(biSeedLead, append([]string{"bi-parked-lead"}, k.leads...)), fields["leads"]),
		"leadsByEmail":   query("leads", "email", with(biSeedMail, append([]string{"parked@example.com"}, k.emails...)), "id,email,externalPersonId"),
		"opportunities":  query("opportunities", "externalOpportunityId", with(biSeedOpp, k.opportunities), fields["opportunities"]),
		"roles":          query("opportunities/roles", "externalOpportunityId", with(biSeedOpp, k.opportunities), fields["opportunities/roles"]),
		"leadsOfCompany": query("leads", "externalCompanyId", []string{biSeedCo}, "id,externalPersonId"),
		"leadsOfOwner":   query("leads", "externalSalesPersonId", []string{biSeedSP, biSeedSP2}, "id,externalPersonId"),
		"oppsOfCompany":  query("opportunities", "externalCompanyId", []string{biSeedCo}, "externalOpportunityId"),
		"rolesOfLead":    query("opportunities/roles", "leadId", []string{fmt.Sprint(int64(leadID))}, "externalOpportunityId,role"),
		"pending":        v1("/v1/pending?pageSize=300", "pendingRecords"),
		"deadLetters":    v1("/v1/dead-letters?pageSize=300", "deadLetters"),
		"parkedRun":      v1("/v1/syncs/"+parkedRun, "syncRun"),
		"tiers":          v1("/v1/scoring/tiers", "boundaries"),
	}
	var feed []any
	cursor := ""
	for range 20 {
		r := s.call(http.MethodGet, "/v1/writeback/changes?pageSize=300&cursor="+url.QueryEscape(cursor), tok, "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("snapshot writeback: HTTP %d %s", r.status, truncate(r.raw))
		}
		changes, _ := r.body["changes"].([]any)
		feed = append(feed, changes...)
		next, _ := r.body["nextCursor"].(string)
		if len(changes) == 0 || next == "" || next == cursor {
			break
		}
		cursor = next
	}
	snap["writeback"] = feed
	snap["writebackLength"] = len(feed)
	return snap
}

// badInputCases builds the table. Every key a case names is registered in k (and so
// checked by the snapshot); cases that name a seeded record must leave it as it was.
func badInputCases(k *badInputKeys, leadID float64, spToken, parkedRun string) []badInputCase {
	const (
		post, get = http.MethodPost, http.MethodGet
		jsonCT    = "application/json"
		form      = "application/x-www-form-urlencoded"
	)
	long := func(n int) string { return strings.Repeat("x", n) }
	many := func(n int, rec func(i int) map[string]any) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = rec(i)
		}
		return out
	}
	in := func(recs ...map[string]any) map[string]any { return map[string]any{"input": recs} }
	skipped := func(codes ...string) []string {
		out := make([]string, len(codes))
		for i, c := range codes {
			out[i] = "skipped " + c
		}
		return out
	}
	lead := int64(leadID)
	return []badInputCase{
		// The request itself: JSON, content type, path, method, size.
		{name: "sales person sync, invalid JSON", method: post, path: "/rest/v1/salespersons.json", contentType: jsonCT,
			body: `{"input":[{"externalSalesPersonId":"` + k.sp("x-sp-json") + `"}`, wantHTTP: 200, wantCode: "609"},
		{name: "company sync, trailing comma", method: post, path: "/rest/v1/companies.json", contentType: jsonCT,
			body: `{"input":[{"externalCompanyId":"` + k.co("x-co-json") + `","externalSalesPersonId":"` + biSeedSP + `",}]}`, wantHTTP: 200, wantCode: "609"},
		{name: "opportunity delete, body is not JSON at all", method: post, path: "/rest/v1/opportunities/delete.json", contentType: jsonCT,
			body: `externalOpportunityId=` + biSeedOpp, wantHTTP: 200, wantCode: "609"},
		{name: "sales person sync, non-UTF-8 bytes in a JSON string", method: post, path: "/rest/v1/salespersons.json", contentType: jsonCT,
			body: `{"input":[{"externalSalesPersonId":"` + k.sp("x-sp-utf8") + `","firstName":"\xff\xfe"}]}`, wantHTTP: 200, wantCode: "609"},
		{name: "lead sync, non-UTF-8 bytes in a JSON string", method: post, path: "/rest/v1/leads.json", contentType: jsonCT,
			body: `{"lookupField":"externalPersonId","input":[{"externalPersonId":"` + k.ld("x-ld-utf8") + `","lastName":"Bad\xc3\x28"}]}`, wantHTTP: 200, wantCode: "609"},
		{name: "update of the seeded company, non-UTF-8 bytes", method: post, path: "/rest/v1/companies.json", contentType: jsonCT,
			body: `{"action":"updateOnly","input":[{"externalCompanyId":"` + biSeedCo + `","company":"\xff"}]}`, wantHTTP: 200, wantCode: "609"},
		{name: "lead sync, text/plain", method: post, path: "/rest/v1/leads.json", contentType: "text/plain",
			body: `{"input":[{"email":"` + k.em("x-ct@example.com") + `"}]}`, wantHTTP: 200, wantCode: "612"},
		{name: "opportunity sync, no content type", method: post, path: "/rest/v1/opportunities.json",
			body: `{"input":[{"externalOpportunityId":"` + k.opp("x-opp-ct") + `","name":"n","externalCompanyId":"` + biSeedCo + `","externalSalesPersonId":"` + biSeedSP + `"}]}`, wantHTTP: 200, wantCode: "612"},
		{name: "role sync, form body without _method=GET", method: post, path: "/rest/v1/opportunities/roles.json", contentType: form,
			body: "externalOpportunityId=" + biSeedOpp + "&leadId=" + fmt.Sprint(lead) + "&role=Other", wantHTTP: 200, wantCode: "612"},
		{name: "unknown path", method: get, path: "/rest/v1/unicorns.json", wantHTTP: 200, wantCode: "610"},
		{name: "unknown path under an object", method: post, path: "/rest/v1/companies/merge.json", contentType: jsonCT,
			body: in(map[string]any{"externalCompanyId": biSeedCo}), wantHTTP: 200, wantCode: "610"},
		{name: "PUT on leads", method: http.MethodPut, path: "/rest/v1/leads.json", contentType: jsonCT,
			body: in(map[string]any{"email": k.em("x-put@example.com")}), wantHTTP: 200, wantCode: "605"},
		{name: "DELETE on opportunities", method: http.MethodDelete, path: "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=" + biSeedOpp, wantHTTP: 200, wantCode: "605"},
		{name: "GET on company delete", method: get, path: "/rest/v1/companies/delete.json", wantHTTP: 200, wantCode: "605"},
		{name: "lead sync, body over 1 MB", method: post, path: "/rest/v1/leads.json", contentType: jsonCT,
			body: `{"lookupField":"externalPersonId","input":[{"externalPersonId":"` + k.ld("x-ld-big") + `","lastName":"` + long(1<<20) + `"}]}`, wantHTTP: 413, wantCode: "413"},
		{name: "role query, URI over 8 KB", method: get, path: "/rest/v1/opportunities/roles.json?filterType=externalOpportunityId&filterValues=" + long(9000), wantHTTP: 414, wantCode: "414"},

		// Whole-request limits and parameters.
		{name: "company sync, 301 records", method: post, path: "/rest/v1/companies.json",
			body: in(many(301, func(i int) map[string]any {
				return map[string]any{"externalCompanyId": k.co(fmt.Sprintf("x-co-many-%03d", i)), "externalSalesPersonId": biSeedSP}
			})...), wantHTTP: 200, wantCode: "1003"},
		{name: "role sync, 301 records", method: post, path: "/rest/v1/opportunities/roles.json",
			body: in(many(301, func(i int) map[string]any {
				return map[string]any{"externalOpportunityId": biSeedOpp, "leadId": lead, "role": fmt.Sprintf("R%03d", i)}
			})...), wantHTTP: 200, wantCode: "1003"},
		{name: "lead delete, 301 records", method: post, path: "/rest/v1/leads/delete.json",
			body: in(many(301, func(i int) map[string]any { return map[string]any{"id": lead + int64(i)} })...), wantHTTP: 200, wantCode: "1003"},
		{name: "lead query, 301 filter values", method: post, path: "/rest/v1/leads.json?_method=GET", contentType: form,
			body: url.Values{"filterType": {"externalPersonId"}, "filterValues": {strings.Join(func() []string {
				var v []string
				for i := range 301 {
					v = append(v, fmt.Sprintf("x-ld-q-%03d", i))
				}
				return v
			}(), ",")}}.Encode(), wantHTTP: 200, wantCode: "1003"},
		{name: "sales person sync, empty input", method: post, path: "/rest/v1/salespersons.json", body: map[string]any{"input": []any{}}, wantHTTP: 200, wantCode: "701"},
		{name: "opportunity sync, invalid action", method: post, path: "/rest/v1/opportunities.json",
			body: map[string]any{"action": "upsertMaybe", "input": []map[string]any{{"externalOpportunityId": k.opp("x-opp-action"), "name": "n", "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP}}}, wantHTTP: 200, wantCode: "1003"},
		{name: "lead sync, invalid action", method: post, path: "/rest/v1/leads.json",
			body: map[string]any{"action": "merge", "lookupField": "externalPersonId", "input": []map[string]any{{"externalPersonId": k.ld("x-ld-action")}}}, wantHTTP: 200, wantCode: "1003"},
		{name: "company sync, invalid dedupeBy", method: post, path: "/rest/v1/companies.json",
			body: map[string]any{"dedupeBy": "name", "input": []map[string]any{{"externalCompanyId": k.co("x-co-dedupe"), "externalSalesPersonId": biSeedSP}}}, wantHTTP: 200, wantCode: "1003"},
		{name: "opportunity sync, dedupeBy idField with createOnly", method: post, path: "/rest/v1/opportunities.json",
			body: map[string]any{"action": "createOnly", "dedupeBy": "idField", "input": []map[string]any{{"marketoGUID": "0e0e0e0e-aaaa-4bbb-8ccc-dddddddddddd", "name": "n"}}}, wantHTTP: 200, wantCode: "1003"},
		{name: "role delete, invalid deleteBy", method: post, path: "/rest/v1/opportunities/roles/delete.json",
			body: map[string]any{"deleteBy": "leadId", "input": []map[string]any{{"externalOpportunityId": biSeedOpp, "leadId": lead, "role": biSeedRole}}}, wantHTTP: 200, wantCode: "1003"},
		{name: "lead sync, unknown lookupField", method: post, path: "/rest/v1/leads.json",
			body: map[string]any{"lookupField": "shoeSize", "input": []map[string]any{{"externalPersonId": k.ld("x-ld-lookup"), "shoeSize": 44}}}, wantHTTP: 200, wantCode: "1003"},
		{name: "lead sync, lookupField id with createOrUpdate", method: post, path: "/rest/v1/leads.json",
			body: map[string]any{"lookupField": "id", "action": "createOrUpdate", "input": []map[string]any{{"id": lead, "firstName": "Changed"}}}, wantHTTP: 200, wantCode: "1003"},
		{name: "opportunity query, filterType not searchable", method: get, path: "/rest/v1/opportunities.json?filterType=name&filterValues=Seed%20deal", wantHTTP: 200, wantCode: "1003"},
		{name: "lead query, blank filterType", method: get, path: "/rest/v1/leads.json?filterType=&filterValues=" + biSeedMail, wantHTTP: 200, wantCode: "701"},
		{name: "opportunity query, blank filterValues", method: get, path: "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=", wantHTTP: 200, wantCode: "701"},
		{name: "role query, unknown field", method: get, path: "/rest/v1/opportunities/roles.json?filterType=externalOpportunityId&filterValues=" + biSeedOpp + "&fields=shoeSize", wantHTTP: 200, wantCode: "1006"},
		{name: "sales person query (POST _method=GET), unknown field", method: post, path: "/rest/v1/salespersons.json?_method=GET", contentType: form,
			body: url.Values{"filterType": {"externalSalesPersonId"}, "filterValues": {biSeedSP}, "fields": {"email,shoeSize"}}.Encode(), wantHTTP: 200, wantCode: "1006"},
		{name: "opportunity query, batchSize 301", method: get, path: "/rest/v1/opportunities.json?filterType=externalOpportunityId&filterValues=" + biSeedOpp + "&batchSize=301", wantHTTP: 200, wantCode: "1003"},
		{name: "lead query, negative batchSize", method: get, path: "/rest/v1/leads.json?filterType=externalPersonId&filterValues=" + biSeedLead + "&batchSize=-5", wantHTTP: 200, wantCode: "1003"},
		{name: "company query, batchSize not a number", method: get, path: "/rest/v1/companies.json?filterType=externalCompanyId&filterValues=" + biSeedCo + "&batchSize=abc", wantHTTP: 200, wantCode: "1003"},
		{name: "company query, garbage page token", method: get, path: "/rest/v1/companies.json?filterType=externalCompanyId&filterValues=" + biSeedCo + "&nextPageToken=not-a-token", wantHTTP: 200, wantCode: "1003"},
		{name: "sales person query, page token of another query", method: get, path: "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=" + biSeedSP + "&batchSize=1&nextPageToken=" + url.QueryEscape(spToken), wantHTTP: 200, wantCode: "1003"},
		{name: "lead query, page token of a sales-person query", method: get, path: "/rest/v1/leads.json?filterType=externalSalesPersonId&filterValues=" + biSeedSP + "," + biSeedSP2 + "&batchSize=1&nextPageToken=" + url.QueryEscape(spToken), wantHTTP: 200, wantCode: "1003"},
		{name: "role lookup (POST _method=GET), key without leadId", method: post, path: "/rest/v1/opportunities/roles.json?_method=GET",
			body: map[string]any{"filterType": "dedupeFields", "input": []map[string]any{{"externalOpportunityId": biSeedOpp, "role": biSeedRole}}}, wantHTTP: 200, wantCode: "1002"},

		// Per record: Marketo skips the record and carries on.
		{name: "sales person sync, email over 255 characters", method: post, path: "/rest/v1/salespersons.json",
			body: in(map[string]any{"externalSalesPersonId": k.sp("x-sp-long"), "email": long(245) + "@example.com"}), wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "sales person sync, object where a string belongs", method: post, path: "/rest/v1/salespersons.json",
			body: in(map[string]any{"externalSalesPersonId": k.sp("x-sp-type"), "firstName": map[string]any{"first": "Dana"}}), wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "sales person sync, unknown field", method: post, path: "/rest/v1/salespersons.json",
			body: in(map[string]any{"externalSalesPersonId": k.sp("x-sp-field"), "shoeSize": 44}), wantHTTP: 200, wantOutcomes: skipped("1006")},
		{name: "sales person sync, null, empty and missing key", method: post, path: "/rest/v1/salespersons.json",
			body:     in(map[string]any{"externalSalesPersonId": nil, "email": "null-key@example.com"}, map[string]any{"externalSalesPersonId": "", "email": "empty-key@example.com"}, map[string]any{"email": "no-key@example.com"}),
			wantHTTP: 200, wantOutcomes: skipped("1002", "1002", "1002")},
		{name: "update of the seeded sales person, title over 255 characters", method: post, path: "/rest/v1/salespersons.json",
			body: map[string]any{"action": "updateOnly", "input": []map[string]any{{"externalSalesPersonId": biSeedSP, "firstName": "Changed", "title": long(256)}}}, wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "company sync, name over 255, integer as text, unknown field, no key", method: post, path: "/rest/v1/companies.json",
			body: in(
				map[string]any{"externalCompanyId": k.co("x-co-long"), "externalSalesPersonId": biSeedSP, "company": long(256)},
				map[string]any{"externalCompanyId": k.co("x-co-int"), "externalSalesPersonId": biSeedSP, "numberOfEmployees": "abc"},
				map[string]any{"externalCompanyId": k.co("x-co-field"), "externalSalesPersonId": biSeedSP, "shoeSize": 44},
				map[string]any{"externalSalesPersonId": biSeedSP, "company": "No key"},
			), wantHTTP: 200, wantOutcomes: skipped("1001", "1001", "1006", "1002")},
		{name: "company sync, null key", method: post, path: "/rest/v1/companies.json",
			body: in(map[string]any{"externalCompanyId": nil, "externalSalesPersonId": biSeedSP}), wantHTTP: 200, wantOutcomes: skipped("1002")},
		{name: "company sync, externalCompanyId over 100 characters", method: post, path: "/rest/v1/companies.json",
			body: in(map[string]any{"externalCompanyId": k.co(long(101)), "externalSalesPersonId": biSeedSP}), wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "update of the seeded company, revenue as an object and a valid change", method: post, path: "/rest/v1/companies.json",
			body: map[string]any{"action": "updateOnly", "input": []map[string]any{{"externalCompanyId": biSeedCo, "industry": "Changed", "annualRevenue": map[string]any{"amount": 5}}}}, wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "update of the seeded company, unknown field and a valid change", method: post, path: "/rest/v1/companies.json",
			body: map[string]any{"action": "createOrUpdate", "input": []map[string]any{{"externalCompanyId": biSeedCo, "company": "Changed", "shoeSize": 44}}}, wantHTTP: 200, wantOutcomes: skipped("1006")},
		{name: "company delete, key of the wrong type and a missing key", method: post, path: "/rest/v1/companies/delete.json",
			body: in(map[string]any{"externalCompanyId": map[string]any{"id": biSeedCo}}, map[string]any{}), wantHTTP: 200, wantOutcomes: skipped("1001", "1002")},
		{name: "lead sync, name over 255 characters", method: post, path: "/rest/v1/leads.json",
			body: map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{{"externalPersonId": k.ld("x-ld-long"), "firstName": long(256), "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP}}}, wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "lead sync, lookup key null, empty and missing", method: post, path: "/rest/v1/leads.json",
			body: map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{
				{"externalPersonId": nil, "email": k.em("x-null@example.com")},
				{"externalPersonId": "", "email": k.em("x-empty@example.com")},
				{"email": k.em("x-missing@example.com")},
			}}, wantHTTP: 200, wantOutcomes: skipped("1002", "1002", "1002")},
		{name: "lead sync, bad email, integer as text, custom field as object", method: post, path: "/rest/v1/leads.json",
			body: map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{
				{"externalPersonId": k.ld("x-ld-email"), "email": "not-an-email"},
				{"externalPersonId": k.ld("x-ld-int"), "numberOfEmployees": "abc"},
				{"externalPersonId": k.ld("x-ld-custom"), "shoeSize": map[string]any{"eu": 44}},
			}}, wantHTTP: 200, wantOutcomes: skipped("1001", "1001", "1001")},
		{name: "update of the seeded lead, last name as a list", method: post, path: "/rest/v1/leads.json",
			body: map[string]any{"action": "updateOnly", "lookupField": "externalPersonId", "input": []map[string]any{{"externalPersonId": biSeedLead, "firstName": "Changed", "lastName": []any{"a", "b"}}}}, wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "lead delete, id as text, null id, no id", method: post, path: "/rest/v1/leads/delete.json",
			body: in(map[string]any{"id": "abc"}, map[string]any{"id": nil}, map[string]any{}), wantHTTP: 200, wantOutcomes: skipped("1001", "1002", "1002")},
		{name: "opportunity sync, name over 255, amount as text, unknown field, bad date", method: post, path: "/rest/v1/opportunities.json",
			body: in(
				map[string]any{"externalOpportunityId": k.opp("x-opp-long"), "name": long(256), "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP},
				map[string]any{"externalOpportunityId": k.opp("x-opp-amount"), "name": "n", "amount": "abc", "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP},
				map[string]any{"externalOpportunityId": k.opp("x-opp-field"), "name": "n", "shoeSize": 44, "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP},
				map[string]any{"externalOpportunityId": k.opp("x-opp-date"), "name": "n", "closeDate": "next Tuesday", "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP},
			), wantHTTP: 200, wantOutcomes: skipped("1001", "1001", "1006", "1001")},
		{name: "opportunity sync, externalOpportunityId over 50 characters", method: post, path: "/rest/v1/opportunities.json",
			body: in(map[string]any{"externalOpportunityId": k.opp(long(51)), "name": "n", "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP}), wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "opportunity sync, key missing and null", method: post, path: "/rest/v1/opportunities.json",
			body: in(map[string]any{"name": "No key", "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP}, map[string]any{"externalOpportunityId": nil, "name": "Null key"}), wantHTTP: 200, wantOutcomes: skipped("1002", "1002")},
		{name: "update of the seeded opportunity, name set to null", method: post, path: "/rest/v1/opportunities.json",
			body: map[string]any{"action": "updateOnly", "input": []map[string]any{{"externalOpportunityId": biSeedOpp, "name": nil, "stage": "Changed"}}}, wantHTTP: 200, wantOutcomes: skipped("1002")},
		{name: "update of the seeded opportunity, amount as a boolean", method: post, path: "/rest/v1/opportunities.json",
			body: map[string]any{"action": "updateOnly", "input": []map[string]any{{"externalOpportunityId": biSeedOpp, "amount": true, "stage": "Changed"}}}, wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "role sync, role over 50, leadId as text, isPrimary not a boolean, unknown field", method: post, path: "/rest/v1/opportunities/roles.json",
			body: in(
				map[string]any{"externalOpportunityId": biSeedOpp, "leadId": lead, "role": long(51)},
				map[string]any{"externalOpportunityId": biSeedOpp, "leadId": "abc", "role": "Text lead"},
				map[string]any{"externalOpportunityId": biSeedOpp, "leadId": lead, "role": "Maybe", "isPrimary": "maybe"},
				map[string]any{"externalOpportunityId": biSeedOpp, "leadId": lead, "role": "Shoe", "shoeSize": 44},
			), wantHTTP: 200, wantOutcomes: skipped("1001", "1001", "1001", "1006")},
		{name: "role sync, null leadId, empty role, missing opportunity", method: post, path: "/rest/v1/opportunities/roles.json",
			body: in(
				map[string]any{"externalOpportunityId": biSeedOpp, "leadId": nil, "role": "Null lead"},
				map[string]any{"externalOpportunityId": biSeedOpp, "leadId": lead, "role": ""},
				map[string]any{"leadId": lead, "role": "No opportunity"},
			), wantHTTP: 200, wantOutcomes: skipped("1002", "1002", "1002")},
		{name: "update of the seeded role, isPrimary as an object", method: post, path: "/rest/v1/opportunities/roles.json",
			body: map[string]any{"action": "updateOnly", "input": []map[string]any{{"externalOpportunityId": biSeedOpp, "leadId": lead, "role": biSeedRole, "isPrimary": map[string]any{"v": false}}}}, wantHTTP: 200, wantOutcomes: skipped("1001")},
		{name: "role delete, compound key without role", method: post, path: "/rest/v1/opportunities/roles/delete.json",
			body: map[string]any{"deleteBy": "dedupeFields", "input": []map[string]any{{"externalOpportunityId": biSeedOpp, "leadId": lead}}}, wantHTTP: 200, wantOutcomes: skipped("1002")},

		// msisync's own /v1 API: grpc-gateway errors with an HTTP status, per item where it
		// answers per item.
		{name: "sync run, invalid JSON", method: post, path: "/v1/syncs", contentType: jsonCT,
			body: `{"leads":[{"externalPersonId":"` + k.ld("x-run-json") + `"}`, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "sync run, non-UTF-8 bytes", method: post, path: "/v1/syncs", contentType: jsonCT,
			body: `{"salesPersons":[{"externalSalesPersonId":"` + k.sp("x-run-utf8") + `","firstName":"\xff\xfe"}]}`, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "sync run, a list that is not a list", method: post, path: "/v1/syncs",
			body: map[string]any{"companies": "acme"}, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "sync run, 301 leads", method: post, path: "/v1/syncs",
			body: map[string]any{"leads": many(301, func(i int) map[string]any {
				return map[string]any{"externalPersonId": k.ld(fmt.Sprintf("x-run-many-%03d", i)), "externalCompanyId": biSeedCo, "externalSalesPersonId": biSeedSP}
			})}, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "sync run, no records", method: post, path: "/v1/syncs", body: map[string]any{"requestId": "x-run-empty"}, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "sync run, requestId over 100 characters", method: post, path: "/v1/syncs",
			body: map[string]any{"requestId": long(101), "salesPersons": []map[string]any{{"externalSalesPersonId": k.sp("x-run-reqid")}}}, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "sync run, body over 1 MB", method: post, path: "/v1/syncs", contentType: jsonCT,
			body: `{"salesPersons":[{"externalSalesPersonId":"` + k.sp("x-run-big") + `","title":"` + long(1<<20) + `"}]}`, wantHTTP: 413},
		{name: "sync run outcomes, garbage page token", method: get, path: "/v1/syncs/" + parkedRun + "?pageToken=not-a-token", wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "sync run, unknown id", method: get, path: "/v1/syncs/00000000-0000-4000-8000-000000000000", wantHTTP: 404, wantGRPC: codes.NotFound},
		{name: "pending, garbage page token", method: get, path: "/v1/pending?pageToken=not-a-token", wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "pending, page size 301", method: get, path: "/v1/pending?pageSize=301", wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "dead letters, page size not a number", method: get, path: "/v1/dead-letters?pageSize=abc", wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "score changes, 301 changes", method: post, path: "/v1/score-changes",
			body: map[string]any{"changes": many(301, func(int) map[string]any { return map[string]any{"externalPersonId": biSeedLead, "delta": 1} })}, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "score changes, none", method: post, path: "/v1/score-changes", body: map[string]any{"changes": []any{}}, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "score changes, delta as text", method: post, path: "/v1/score-changes",
			body: map[string]any{"changes": []map[string]any{{"externalPersonId": biSeedLead, "delta": "abc"}}}, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "score changes, unknown person and no person", method: post, path: "/v1/score-changes",
			body: map[string]any{"changes": []map[string]any{{"externalPersonId": k.ld("x-score-nobody"), "delta": 5}, {"delta": 5}}}, wantHTTP: 200, wantOutcomes: skipped("1004", "1002")},
		{name: "score changes, no change given", method: post, path: "/v1/score-changes",
			body: map[string]any{"changes": []map[string]any{{"externalPersonId": biSeedLead, "reason": "nothing"}}}, wantHTTP: 200, wantOutcomes: skipped("1002")},
		{name: "interesting moments, unknown type, description over 255, no description", method: post, path: "/v1/interesting-moments",
			body: map[string]any{"moments": []map[string]any{
				{"externalPersonId": biSeedLead, "type": "Carrier pigeon", "description": "Sent a bird"},
				{"externalPersonId": biSeedLead, "type": "Web", "description": long(256)},
				{"externalPersonId": biSeedLead, "type": "Web"},
			}}, wantHTTP: 200, wantOutcomes: skipped("1001", "1001", "1002")},
		{name: "interesting moments, non-UTF-8 bytes", method: post, path: "/v1/interesting-moments", contentType: jsonCT,
			body: `{"moments":[{"externalPersonId":"` + biSeedLead + `","type":"Web","description":"\xff\xfe"}]}`, wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "writeback feed, garbage cursor", method: get, path: "/v1/writeback/changes?cursor=not-a-cursor", wantHTTP: 400, wantGRPC: codes.InvalidArgument},
		{name: "best bets, garbage page token", method: get, path: "/v1/salespersons/" + biSeedSP + "/best-bets?pageToken=not-a-token", wantHTTP: 400, wantGRPC: codes.InvalidArgument},
	}
}
