package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// upstreamPair is a forwarding suite in upstream mode, the suite it forwards to (the
// customer's Marketo) and the fault-injecting proxy between them.
type upstreamPair struct {
	up, fwd       *suite
	proxy         *faultProxy
	upTok, fwdTok string
}

// startUpstreamPair starts an embedded suite as the upstream Marketo, a proxy in front of
// it, and a suite forwarding to the proxy, with extra settings for the forwarding suite.
func startUpstreamPair(t *testing.T, extra ...string) *upstreamPair {
	t.Helper()
	return startUpstreamPairWith(t, nil, extra...)
}

// startUpstreamPairWith is startUpstreamPair with settings of the upstream suite too.
func startUpstreamPairWith(t *testing.T, upExtra []string, extra ...string) *upstreamPair {
	t.Helper()
	p := &upstreamPair{up: startSuite(t, "", upExtra...)}
	p.proxy = newFaultProxy(t, p.up.base)
	env := append([]string{
		"MSISYNC_MARKETO_URL=" + p.proxy.URL(),
		"MSISYNC_MARKETO_CLIENT_ID=" + testClientID,
		"MSISYNC_MARKETO_CLIENT_SECRET=" + testClientSecret,
		"MSISYNC_MARKETO_BATCH_LINGER=100ms",
		"MSISYNC_MARKETO_POLL_INTERVAL=1s",
		"MSISYNC_MARKETO_TIMEOUT=2s",
	}, extra...)
	p.fwd = startSuite(t, "", env...)
	p.upTok, p.fwdTok = p.up.token(), p.fwd.token()
	return p
}

// status returns GET /v1/upstream of the forwarding suite.
func (p *upstreamPair) status() response {
	p.fwd.t.Helper()
	r := p.fwd.call(http.MethodGet, "/v1/upstream", p.fwdTok, "", nil)
	if r.status != http.StatusOK {
		p.fwd.t.Fatalf("GET /v1/upstream = HTTP %d %s", r.status, r.raw)
	}
	return r
}

// num reads a JSON number or an int64 sent as a string (grpc-gateway's encoding).
func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return f
	}
	return 0
}

// backlog sums pending, in-flight and waiting records over every object.
func backlog(r response) (n float64) {
	objs, _ := r.body["objects"].([]any)
	for _, o := range objs {
		m, _ := o.(map[string]any)
		n += num(m["pending"]) + num(m["inFlight"]) + num(m["waiting"])
	}
	return n
}

// waitDelivered waits until the outbox is empty and returns the status.
func (p *upstreamPair) waitDelivered(timeout time.Duration) response {
	p.fwd.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := p.status()
		if backlog(r) == 0 {
			return r
		}
		if time.Now().After(deadline) {
			p.fwd.t.Fatalf("the outbox is not empty after %v: %s\nforwarding suite log:\n%s", timeout, r.raw, p.fwd.logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// query returns the records of a Marketo query on s (GET path?filterType=…).
func query(s *suite, tok, path, filterType string, values []string, fields string) []map[string]any {
	s.t.Helper()
	q := url.Values{"filterType": {filterType}, "filterValues": {strings.Join(values, ",")}}
	if fields != "" {
		q.Set("fields", fields)
	}
	r := s.call(http.MethodGet, path+"?"+q.Encode(), tok, "", nil)
	if r.status != http.StatusOK || r.body["success"] != true {
		s.t.Fatalf("GET %s?%s = HTTP %d %s", path, q.Encode(), r.status, r.raw)
	}
	return r.results()
}

// changeSet is a mixed CRM change set named by prefix, children first in each list's
// position so that parking is exercised: n sales persons, 2n companies, 6n leads, n
// opportunities and 2n roles.
func changeSet(prefix string, n int, title string) map[string]any {
	var sps, cos, leads, opps, roles []map[string]any
	for i := range n {
		sp := fmt.Sprintf("%s-user-%d", prefix, i)
		sps = append(sps, map[string]any{"externalSalesPersonId": sp, "email": sp + "@example.com", "firstName": "Owner", "lastName": strconv.Itoa(i)})
		for j := range 2 {
			co := fmt.Sprintf("%s-acc-%d-%d", prefix, i, j)
			cos = append(cos, map[string]any{"externalCompanyId": co, "company": "Company " + co, "externalSalesPersonId": sp})
			for k := range 3 {
				p := fmt.Sprintf("%s-contact-%d-%d-%d", prefix, i, j, k)
				leads = append(leads, map[string]any{"externalPersonId": p, "email": p + "@example.com", "firstName": "Person", "lastName": p, "title": title, "externalCompanyId": co, "externalSalesPersonId": sp})
			}
		}
		opp := fmt.Sprintf("%s-opp-%d", prefix, i)
		opps = append(opps, map[string]any{"externalOpportunityId": opp, "name": "Deal " + opp, "externalCompanyId": fmt.Sprintf("%s-acc-%d-0", prefix, i), "externalSalesPersonId": sp, "amount": 1000 + i})
		for k := range 2 {
			roles = append(roles, map[string]any{"externalOpportunityId": opp, "externalPersonId": fmt.Sprintf("%s-contact-%d-0-%d", prefix, i, k), "role": "Decision Maker", "isPrimary": k == 0})
		}
	}
	return map[string]any{"opportunityRoles": roles, "opportunities": opps, "leads": leads, "companies": cos, "salesPersons": sps}
}

// keysOf returns the values of field in the change set's list.
func keysOf(set map[string]any, list, field string) []string {
	var out []string
	for _, r := range set[list].([]map[string]any) {
		out = append(out, r[field].(string))
	}
	return out
}

// syncAndWait submits the change set to the forwarding suite and waits until it is applied.
func (p *upstreamPair) syncAndWait(set map[string]any) {
	p.fwd.t.Helper()
	id := p.fwd.createRun(p.fwdTok, set)
	if r := p.fwd.waitForRun(p.fwdTok, id, "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_FAILED"); r.body["syncRun"].(map[string]any)["state"] != "SYNC_RUN_STATE_COMPLETED" {
		p.fwd.t.Fatalf("the change set was not applied: %s", r.raw)
	}
}

// sameRecords checks that the upstream holds exactly one record per key of the change set,
// with the forwarding suite's values of fields.
func (p *upstreamPair) sameRecords(t *testing.T, set map[string]any) {
	t.Helper()
	for _, o := range []struct{ list, path, key, fields string }{
		{"salesPersons", "/rest/v1/salespersons.json", "externalSalesPersonId", "externalSalesPersonId,email,firstName,lastName"},
		{"companies", "/rest/v1/companies.json", "externalCompanyId", "externalCompanyId,company,externalSalesPersonId"},
		{"leads", "/rest/v1/leads.json", "externalPersonId", "externalPersonId,email,firstName,lastName,title,externalCompanyId,externalSalesPersonId"},
		{"opportunities", "/rest/v1/opportunities.json", "externalOpportunityId", "externalOpportunityId,name,externalCompanyId,externalSalesPersonId,amount"},
	} {
		keys := keysOf(set, o.list, o.key)
		local := query(p.fwd, p.fwdTok, o.path, o.key, keys, o.fields)
		remote := query(p.up, p.upTok, o.path, o.key, keys, o.fields)
		if len(remote) != len(keys) || len(local) != len(keys) {
			t.Errorf("%s: the upstream holds %d records and msisync %d for %d keys", o.list, len(remote), len(local), len(keys))
		}
		byKey := map[string]map[string]any{}
		for _, r := range remote {
			byKey[strings.ToLower(r[o.key].(string))] = r
		}
		for _, l := range local {
			r := byKey[strings.ToLower(l[o.key].(string))]
			for _, f := range strings.Split(o.fields, ",") {
				if fmt.Sprint(r[f]) != fmt.Sprint(l[f]) {
					t.Errorf("%s %v: %s is %v upstream, %v in msisync", o.list, l[o.key], f, r[f], l[f])
				}
			}
		}
	}
	// Roles: one per (opportunity, lead, role), each with the upstream's own lead id.
	opps := keysOf(set, "opportunities", "externalOpportunityId")
	remote := query(p.up, p.upTok, "/rest/v1/opportunities/roles.json", "externalOpportunityId", opps, "externalOpportunityId,leadId,role,isPrimary")
	local := query(p.fwd, p.fwdTok, "/rest/v1/opportunities/roles.json", "externalOpportunityId", opps, "externalOpportunityId,leadId,role,isPrimary")
	if len(remote) != len(local) {
		t.Errorf("roles: the upstream holds %d, msisync %d", len(remote), len(local))
	}
	upLeads := map[float64]string{}
	for _, l := range query(p.up, p.upTok, "/rest/v1/leads.json", "externalPersonId", keysOf(set, "leads", "externalPersonId"), "externalPersonId") {
		upLeads[l["id"].(float64)] = strings.ToLower(l["externalPersonId"].(string))
	}
	fwdLeads := map[float64]string{}
	for _, l := range query(p.fwd, p.fwdTok, "/rest/v1/leads.json", "externalPersonId", keysOf(set, "leads", "externalPersonId"), "externalPersonId") {
		fwdLeads[l["id"].(float64)] = strings.ToLower(l["externalPersonId"].(string))
	}
	role := func(r map[string]any, leads map[float64]string) string {
		person, ok := leads[num(r["leadId"])]
		if !ok {
			t.Errorf("role %v names lead %v, which is not a lead of its instance", r, r["leadId"])
		}
		return fmt.Sprintf("%s|%s|%v|%v", strings.ToLower(r["externalOpportunityId"].(string)), person, r["role"], r["isPrimary"])
	}
	var want, got []string
	for _, r := range local {
		want = append(want, role(r, fwdLeads))
	}
	for _, r := range remote {
		got = append(got, role(r, upLeads))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		t.Errorf("roles upstream %v, want %v", got, want)
	}
}

// checkOrder checks the proxy's log: no record reached the upstream before the upstream
// answered success for each of its parents, and deletes went children first.
func checkOrder(t *testing.T, calls []proxyCall) {
	t.Helper()
	held := map[string]bool{} // "company:acme" of records the upstream acknowledged
	leadIDs := map[float64]string{}
	ack := func(kind, key string) { held[kind+":"+strings.ToLower(key)] = true }
	need := func(call proxyCall, kind string, key any) {
		if s, _ := key.(string); s != "" && !held[kind+":"+strings.ToLower(s)] {
			t.Errorf("%s %s carried a record naming %s %q before the upstream acknowledged it", call.Method, call.Path, kind, s)
		}
	}
	for _, c := range calls {
		if c.Status != http.StatusOK || c.Method != http.MethodPost || strings.Contains(c.Path, "/identity") {
			continue
		}
		var req struct {
			Input []map[string]any `json:"input"`
		}
		var ans struct {
			Success bool             `json:"success"`
			Result  []map[string]any `json:"result"`
		}
		if json.Unmarshal(c.Body, &req) != nil || json.Unmarshal(c.Answer, &ans) != nil || !ans.Success {
			continue
		}
		if strings.HasSuffix(c.Path, "/delete.json") {
			continue
		}
		for _, in := range req.Input {
			switch c.Path {
			case "/rest/v1/companies.json", "/rest/v1/leads.json", "/rest/v1/opportunities.json":
				need(c, "salesPerson", in["externalSalesPersonId"])
				if c.Path != "/rest/v1/companies.json" {
					need(c, "company", in["externalCompanyId"])
				}
			case "/rest/v1/opportunities/roles.json":
				need(c, "opportunity", in["externalOpportunityId"])
				if _, ok := leadIDs[num(in["leadId"])]; !ok {
					t.Errorf("a role named lead %v before the upstream acknowledged it", in["leadId"])
				}
			}
		}
		for _, r := range ans.Result {
			seq := int(num(r["seq"]))
			if seq >= len(req.Input) || (r["status"] != "created" && r["status"] != "updated") {
				continue
			}
			in := req.Input[seq]
			switch c.Path {
			case "/rest/v1/salespersons.json":
				ack("salesPerson", in["externalSalesPersonId"].(string))
			case "/rest/v1/companies.json":
				ack("company", in["externalCompanyId"].(string))
			case "/rest/v1/leads.json":
				leadIDs[num(r["id"])] = fmt.Sprint(in["externalPersonId"])
			case "/rest/v1/opportunities.json":
				ack("opportunity", in["externalOpportunityId"].(string))
			}
		}
	}
}

// syncCalls counts the proxy's calls to a sync or delete path that the upstream answered.
func syncCalls(calls []proxyCall, path string) (n int) {
	for _, c := range calls {
		if c.Path == path && c.Method == http.MethodPost && c.Fault == "" {
			n++
		}
	}
	return n
}

func TestUpstreamDeliversTheSyncInTheMSIOrder(t *testing.T) {
	t.Parallel()
	p := startUpstreamPair(t)
	if mode := p.up.call(http.MethodGet, "/v1/upstream", p.upTok, "", nil); mode.body["mode"] != "embedded" {
		t.Errorf("the embedded suite's GET /v1/upstream = %s, want mode embedded", mode.raw)
	}
	set := changeSet("ord", 3, "Buyer")
	p.syncAndWait(set)
	st := p.waitDelivered(60 * time.Second)
	if st.body["mode"] != "upstream" {
		t.Errorf("GET /v1/upstream = %s, want mode upstream", st.raw)
	}
	p.sameRecords(t, set)
	checkOrder(t, p.proxy.calls())
	// One call per object: the batches were not split.
	for _, path := range []string{"/rest/v1/salespersons.json", "/rest/v1/companies.json", "/rest/v1/leads.json", "/rest/v1/opportunities.json", "/rest/v1/opportunities/roles.json"} {
		if n := syncCalls(p.proxy.calls(), path); n != 1 {
			t.Errorf("%d calls to %s for one change set, want 1", n, path)
		}
	}

	// Changes: new titles, a lead moved to another company, a value cleared, a role and an
	// opportunity deleted (children first).
	leads := set["leads"].([]map[string]any)
	for _, l := range leads {
		l["title"] = "Champion"
	}
	leads[0]["externalCompanyId"] = "ord-acc-1-1"
	leads[1]["firstName"] = nil
	p.syncAndWait(map[string]any{"leads": leads})
	del := p.fwd.call(http.MethodPost, "/rest/v1/opportunities/roles/delete.json", p.fwdTok, "", map[string]any{"deleteBy": "dedupeFields",
		"input": []map[string]any{{"externalOpportunityId": "ord-opp-2", "leadId": leadID(t, p.fwd, p.fwdTok, "ord-contact-2-0-0"), "role": "Decision Maker"}, {"externalOpportunityId": "ord-opp-2", "leadId": leadID(t, p.fwd, p.fwdTok, "ord-contact-2-0-1"), "role": "Decision Maker"}}})
	if del.status != http.StatusOK || outcome(del.results()[0]) != "deleted" {
		t.Fatalf("deleting the roles: %s", del.raw)
	}
	if d := p.fwd.call(http.MethodPost, "/rest/v1/opportunities/delete.json", p.fwdTok, "", map[string]any{"deleteBy": "dedupeFields", "input": []map[string]any{{"externalOpportunityId": "ord-opp-2"}}}); outcome(d.results()[0]) != "deleted" {
		t.Fatalf("deleting the opportunity: %s", d.raw)
	}
	p.waitDelivered(60 * time.Second)
	set["opportunities"] = set["opportunities"].([]map[string]any)[:2]
	p.sameRecords(t, set)
	if r := query(p.up, p.upTok, "/rest/v1/opportunities.json", "externalOpportunityId", []string{"ord-opp-2"}, ""); len(r) != 0 {
		t.Errorf("the deleted opportunity is still upstream: %v", r)
	}
	checkOrder(t, p.proxy.calls())

	// The same change set again sends nothing: Marketo already has those versions.
	before := len(p.proxy.calls())
	p.syncAndWait(map[string]any{"leads": leads})
	p.waitDelivered(30 * time.Second)
	for _, c := range p.proxy.calls()[before:] {
		if c.Path == "/rest/v1/leads.json" && c.Method == http.MethodPost {
			t.Errorf("an unchanged change set was sent again: %s %s", c.Method, c.Path)
		}
	}

	// The forwarding suite's diagnostics say Marketo accepted the person, under Marketo's id.
	diag := p.fwd.call(http.MethodGet, "/v1/diagnostics/persons/ord-contact-0-0-0", p.fwdTok, "", nil)
	if want := fmt.Sprintf("accepted by Marketo: lead %d (", int64(leadID(t, p.up, p.upTok, "ord-contact-0-0-0"))); diag.status != http.StatusOK || !strings.Contains(string(diag.raw), want) {
		t.Errorf("GET /v1/diagnostics/persons/ord-contact-0-0-0 = HTTP %d %s, want a check saying %q", diag.status, diag.raw, want)
	}

	// MSI back: scores and moments recorded in the upstream Marketo show in msisync's lead
	// query and writeback feed; msisync itself refuses them (Marketo owns scoring).
	person := "ord-contact-0-0-0"
	ok := func(r response) {
		if r.status != http.StatusOK {
			t.Fatalf("HTTP %d %s", r.status, r.raw)
		}
	}
	ok(p.up.call(http.MethodPost, "/v1/score-changes", p.upTok, "", map[string]any{"changes": []map[string]any{{"externalPersonId": person, "delta": 77, "reason": "Visited pricing"}}}))
	ok(p.up.call(http.MethodPost, "/v1/interesting-moments", p.upTok, "", map[string]any{"moments": []map[string]any{{"externalPersonId": person, "type": "Web", "description": "Downloaded the price list", "source": "Web"}}}))
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := query(p.fwd, p.fwdTok, "/rest/v1/leads.json", "externalPersonId", []string{person}, "leadScore,msiLastInterestingMomentDesc")
		if len(got) == 1 && num(got[0]["leadScore"]) == 77 && got[0]["msiLastInterestingMomentDesc"] == "Downloaded the price list" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Marketo's MSI fields did not reach msisync within 30 s: %v\nstatus %s", got, p.status().raw)
		}
		time.Sleep(300 * time.Millisecond)
	}
	feed := p.fwd.call(http.MethodGet, "/v1/writeback/changes?pageSize=300", p.fwdTok, "", nil)
	if !strings.Contains(string(feed.raw), person) || !strings.Contains(string(feed.raw), "77") {
		t.Errorf("the writeback feed lacks Marketo's score of %s: %s", person, feed.raw)
	}
	refused := p.fwd.call(http.MethodPost, "/v1/score-changes", p.fwdTok, "", map[string]any{"changes": []map[string]any{{"externalPersonId": person, "delta": 5}}})
	if refused.status != http.StatusBadRequest || !strings.Contains(string(refused.raw), "owns scoring") {
		t.Errorf("POST /v1/score-changes in upstream mode = HTTP %d %s, want 400 saying Marketo owns scoring", refused.status, refused.raw)
	}
}

// leadID returns a suite's lead id of the person.
func leadID(t *testing.T, s *suite, tok, person string) float64 {
	t.Helper()
	got := query(s, tok, "/rest/v1/leads.json", "externalPersonId", []string{person}, "id")
	if len(got) != 1 {
		t.Fatalf("lead %s: %v", person, got)
	}
	return num(got[0]["id"])
}
