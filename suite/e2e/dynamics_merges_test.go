package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// simAdmin posts to the simulator's admin API and decodes the JSON answer, if any.
func (e *dynamicsEnv) simAdmin(path string, body any) map[string]any {
	e.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.simURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		e.t.Fatalf("POST %s: HTTP %d", path, resp.StatusCode)
	}
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out
}

// insight records a score change and an interesting moment for a person through the REST API.
func (e *dynamicsEnv) insight(person string, delta int, moment string) {
	e.t.Helper()
	for path, body := range map[string]any{
		"/v1/score-changes": map[string]any{"changes": []map[string]any{{"externalPersonId": person, "delta": delta, "reason": "merge test"}}},
		"/v1/interesting-moments": map[string]any{"moments": []map[string]any{
			{"externalPersonId": person, "type": "Web", "description": moment, "source": "Web", "date": time.Now().UTC().Format(time.RFC3339)},
		}},
	} {
		if r := e.suite.call(http.MethodPost, path, e.tok, "", body); r.status != http.StatusOK || strings.Contains(string(r.raw), "SKIPPED") {
			e.t.Fatalf("POST %s for %s: HTTP %d %s", path, person, r.status, r.raw)
		}
	}
}

// momentsOf returns the descriptions of the interesting moments msisync holds for the lead
// with the msisync id, from the Marketo activities endpoint.
func (e *dynamicsEnv) momentsOf(leadID any, since time.Time) []string {
	e.t.Helper()
	pt := e.suite.call(http.MethodGet, "/rest/v1/activities/pagingtoken.json?sinceDatetime="+url.QueryEscape(since.Format(time.RFC3339)), e.tok, "", nil)
	next, _ := pt.body["nextPageToken"].(string)
	acts := e.suite.call(http.MethodGet, fmt.Sprintf("/rest/v1/activities.json?activityTypeIds=46&leadIds=%v&nextPageToken=%s", leadID, url.QueryEscape(next)), e.tok, "", nil)
	if acts.body["success"] != true {
		e.t.Fatalf("activities: %s", acts.raw)
	}
	var out []string
	for _, a := range acts.results() {
		if fmt.Sprint(a["leadId"]) == fmt.Sprint(leadID) {
			out = append(out, fmt.Sprint(a["primaryAttributeValue"]))
		}
	}
	return out
}

// diagnosis returns the diagnostics of a person as text.
func (e *dynamicsEnv) diagnosis(person string) string {
	e.t.Helper()
	r := e.suite.call(http.MethodGet, "/v1/diagnostics/persons/"+person, e.tok, "", nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("diagnostics of %s: HTTP %d %s", person, r.status, r.raw)
	}
	return string(r.raw)
}

func TestDynamicsQualifiedLeadKeepsItsPerson(t *testing.T) {
	start := time.Now().Add(-time.Minute)
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 41, Users: 3, Accounts: 4, Contacts: 6, Leads: 6, Opportunities: 2})
	e.sync()
	// An open lead msisync holds, with an owner.
	var lead string
	synced := e.leads(e.sim.IDs("leads"), "id", "externalSalesPersonId", "email")
	for _, id := range e.sim.IDs("leads") {
		row, _ := e.sim.Get("leads", id)
		if l, ok := synced[id]; ok && l["externalSalesPersonId"] != nil && fmt.Sprint(row["statecode"]) == "0" {
			lead = id
			break
		}
	}
	if lead == "" {
		t.Fatal("no synced open lead with an owner in the org")
	}
	before := synced[lead]
	owner := fmt.Sprint(before["externalSalesPersonId"])
	e.insight(lead, 500, "Asked for a demo")

	// Dynamics qualifies the lead into a new contact.
	contact := fmt.Sprint(e.simAdmin("/_sim/qualify", map[string]any{"leadId": lead})["contactId"])
	if rep := e.sync(); rep.Merges != 1 {
		t.Errorf("cycle after the qualification applied %d merges, want 1", rep.Merges)
	}
	got := e.leads([]string{lead, contact}, "id", "leadScore", "msiLastInterestingMomentDesc", "email")
	if _, ok := got[lead]; ok {
		t.Errorf("the qualified lead %s is still a person of its own: %v", lead, got[lead])
	}
	c, ok := got[contact]
	if !ok {
		t.Fatalf("the contact %s is not in msisync: %v", contact, got)
	}
	if c["id"] != before["id"] || c["leadScore"] != 500.0 || c["msiLastInterestingMomentDesc"] != "Asked for a demo" {
		t.Errorf("the contact's person = %v, want the lead's (id %v, score 500, its moment)", c, before["id"])
	}
	if m := e.momentsOf(c["id"], start); len(m) != 1 || m[0] != "Asked for a demo" {
		t.Errorf("the contact's interesting moments = %v, want the lead's", m)
	}
	if byEmail := e.lookup("/rest/v1/leads.json", "email", []string{fmt.Sprint(before["email"])}, []string{"externalPersonId"}); len(byEmail) != 1 {
		t.Errorf("persons with the lead's email = %v, want one", byEmail)
	}
	// The writeback fills in the contact's MSI columns at once (before anything else changes its values).
	if _, err := e.conn.WritebackOnce(context.Background()); err != nil {
		t.Fatalf("WritebackOnce: %v", err)
	}
	if row, _ := e.sim.Get("contacts", contact); fmt.Sprint(row["mkt_leadscore"]) != "500" || row["mkt_lastinterestingmomentdesc"] != "Asked for a demo" {
		t.Errorf("MSI columns on the contact = score %v, moment %v; want the lead's", row["mkt_leadscore"], row["mkt_lastinterestingmomentdesc"])
	}
	if r := e.suite.call(http.MethodPost, "/v1/scoring/tiers:recompute", e.tok, "", map[string]any{}); r.status != http.StatusOK {
		t.Fatalf("recomputing the tiers: HTTP %d %s", r.status, r.raw)
	}
	bb := e.suite.call(http.MethodGet, "/v1/salespersons/"+owner+"/best-bets?pageSize=50", e.tok, "", nil)
	if !strings.Contains(string(bb.raw), contact) || strings.Contains(string(bb.raw), lead) {
		t.Errorf("Best Bets of %s = %s, want the contact %s and not the lead", owner, bb.raw, contact)
	}
	if d := e.diagnosis(lead); !strings.Contains(d, "qualified this lead into contact '"+contact+"'") {
		t.Errorf("diagnostics of the qualified lead = %s", d)
	}

	// The qualified lead changes again in Dynamics: it stays with its contact.
	if err := e.sim.Update("leads", lead, map[string]any{"jobtitle": "CTO"}); err != nil {
		t.Fatal(err)
	}
	if rep := e.sync(); rep.Merges != 0 {
		t.Errorf("a later cycle applied %d merges, want 0", rep.Merges)
	}
	if got := e.leads([]string{lead, contact}, "id"); len(got) != 1 || got[contact]["id"] != before["id"] {
		t.Errorf("after the lead changed again: %v", got)
	}
	// A full resync reads every row again: the lead still stays with its contact.
	if _, err := e.conn.Resync(context.Background()); err != nil {
		t.Fatalf("Resync: %v", err)
	}
	if got := e.leads([]string{lead, contact}, "id"); len(got) != 1 || got[contact]["id"] != before["id"] {
		t.Errorf("after a full resync: %v", got)
	}
	// Dynamics deletes the qualified lead: nothing of it is left in msisync to delete.
	if err := e.sim.Delete("leads", lead); err != nil {
		t.Fatal(err)
	}
	rep := e.sync()
	if o := object(rep, mapping.Lead); o.Deleted != 0 || o.DeletesWaiting != 0 {
		t.Errorf("deleting the qualified lead deleted %d and left %d waiting; want none", o.Deleted, o.DeletesWaiting)
	}
	if got := e.leads([]string{contact}, "id"); got[contact]["id"] != before["id"] {
		t.Errorf("the contact after its lead was deleted: %v", got)
	}
}

func TestDynamicsMergedContactsBecomeOne(t *testing.T) {
	start := time.Now().Add(-time.Minute)
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 43, Users: 3, Accounts: 5, Contacts: 12, Leads: 2, Opportunities: 6})
	e.sync()
	_, opp, sub, role := e.stakeholder()
	var master string
	for id := range e.leads(e.sim.IDs("contacts")) {
		if id != sub {
			master = id
			break
		}
	}
	people := e.leads([]string{sub, master}, "id")
	e.insight(sub, 30, "Opened the pricing email")
	e.insight(master, 12, "Visited the docs")

	e.simAdmin("/_sim/merge", map[string]any{"entitySet": "contacts", "masterId": master, "subordinateId": sub})
	// The cycle stops (as a killed process would) once the merge is applied and the first
	// records after it (the re-parented roles) are sent; nothing is saved, so the next cycle
	// sends the merge again, which changes nothing the second time.
	ctx, cancel := context.WithCancel(context.Background())
	e.progress = func(ev connector.Event) {
		if ev.Phase == connector.PhaseSend {
			cancel()
		}
	}
	if _, err := e.conn.SyncOnce(ctx); err == nil {
		t.Fatal("the interrupted cycle reported success")
	}
	e.progress = nil
	if rep := e.sync(); rep.Merges != 1 {
		t.Errorf("the repeated cycle after the merge applied %d merges, want 1", rep.Merges)
	}
	got := e.leads([]string{sub, master}, "id", "leadScore")
	if _, ok := got[sub]; ok {
		t.Errorf("the subordinate %s is still in msisync: %v", sub, got[sub])
	}
	if m := got[master]; m == nil || m["id"] != people[master]["id"] || m["leadScore"] != 42.0 {
		t.Errorf("the master = %v, want id %v with both scores (42)", m, people[master]["id"])
	}
	moments := strings.Join(e.momentsOf(people[master]["id"], start), "|")
	if !strings.Contains(moments, "Opened the pricing email") || !strings.Contains(moments, "Visited the docs") {
		t.Errorf("the master's interesting moments = %s, want both persons'", moments)
	}
	if roles := e.roles(opp); !roles[master+"/"+role] || roles[sub+"/"+role] {
		t.Errorf("roles of %s = %v, want %s/%s moved to the master", opp, roles, master, role)
	}
	if d := e.diagnosis(sub); !strings.Contains(d, "merged it into person '"+master+"'") {
		t.Errorf("diagnostics of the subordinate = %s", d)
	}

	// The next cycle (nothing new) and a repeated merge change nothing.
	if rep := e.sync(); rep.Merges != 0 {
		t.Errorf("a later cycle applied %d merges", rep.Merges)
	}
	r := e.suite.call(http.MethodPost, "/v1/merges", e.tok, "", map[string]any{"merges": []map[string]any{
		{"objectType": "SYNC_OBJECT_TYPE_LEAD", "kind": "MERGE_KIND_MERGE", "subordinateExternalId": sub, "masterExternalId": master},
	}})
	if r.status != http.StatusOK || !strings.Contains(string(r.raw), "MERGE_OUTCOME_NOTHING_TO_MOVE") {
		t.Errorf("repeated merge: HTTP %d %s", r.status, r.raw)
	}
	if m := e.leads([]string{master}, "leadScore")[master]; m["leadScore"] != 42.0 {
		t.Errorf("after the repeated merge the master = %v", m)
	}
	bad := e.suite.call(http.MethodPost, "/v1/merges", e.tok, "", map[string]any{"merges": []map[string]any{
		{"objectType": "SYNC_OBJECT_TYPE_OPPORTUNITY", "kind": "MERGE_KIND_MERGE", "subordinateExternalId": sub, "masterExternalId": master},
	}})
	if bad.status != http.StatusBadRequest || !strings.Contains(string(bad.raw), "cannot be merged") {
		t.Errorf("merging opportunities: HTTP %d %s, want 400 naming the object type", bad.status, bad.raw)
	}
}

func TestDynamicsMergedAccountsBecomeOne(t *testing.T) {
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 47, Users: 3, Accounts: 6, Contacts: 12, Leads: 3, Opportunities: 6})
	e.sync()
	// The subordinate: a synced account that an opportunity names; the master: another one.
	companies := e.lookup("/rest/v1/companies.json", "externalCompanyId", e.sim.IDs("accounts"), []string{"externalCompanyId"})
	var sub, master, opp string
	for _, id := range e.sim.IDs("opportunities") {
		row, _ := e.sim.Get("opportunities", id)
		if a := fmt.Sprint(row["_parentaccountid_value"]); companies[a] != nil {
			sub, opp = a, id
			break
		}
	}
	for id := range companies {
		if id != sub {
			master = id
			break
		}
	}
	if sub == "" || master == "" {
		t.Fatalf("no two synced accounts, one with an opportunity: %v", companies)
	}
	// A person from another source names the subordinate too.
	r := e.suite.call(http.MethodPost, "/rest/v1/leads.json", e.tok, "", map[string]any{"action": "createOrUpdate", "lookupField": "externalPersonId",
		"input": []map[string]any{{"externalPersonId": "web-visitor-7", "email": "visitor7@example.com", "externalCompanyId": sub}}})
	if !strings.Contains(string(r.raw), "created") {
		t.Fatalf("creating the lead: %s", r.raw)
	}

	e.simAdmin("/_sim/merge", map[string]any{"entitySet": "accounts", "masterId": master, "subordinateId": sub})
	if rep := e.sync(); rep.Merges != 1 || !strings.Contains(rep.String(), " 1 merges;") {
		t.Errorf("cycle after the merge applied %d merges, want 1: %s", rep.Merges, rep)
	}
	if got := e.lookup("/rest/v1/companies.json", "externalCompanyId", []string{sub, master}, []string{"externalCompanyId"}); got[sub] != nil || got[master] == nil {
		t.Errorf("companies after the merge = %v, want only the master %s", got, master)
	}
	if l := e.leads([]string{"web-visitor-7"}, "externalCompanyId")["web-visitor-7"]; fmt.Sprint(l["externalCompanyId"]) != master {
		t.Errorf("the other source's person = %v, want it moved to the master %s", l, master)
	}
	if o := e.lookup("/rest/v1/opportunities.json", "externalOpportunityId", []string{opp}, []string{"externalOpportunityId", "externalCompanyId"})[opp]; fmt.Sprint(o["externalCompanyId"]) != master {
		t.Errorf("opportunity %s = %v, want it on the master %s", opp, o, master)
	}
	d := e.suite.call(http.MethodGet, "/v1/diagnostics/companies/"+sub, e.tok, "", nil)
	if !strings.Contains(string(d.raw), "merged it into company '"+master+"'") {
		t.Errorf("diagnostics of the subordinate company = %s", d.raw)
	}

	// A master new in Dynamics, merged into in the same cycle: the merge waits until the
	// cycle's records (the new master among them) are applied.
	row, _ := e.sim.Get("accounts", master)
	newer, err := e.sim.Upsert("accounts", map[string]any{"name": "Acme Holdings", "_ownerid_value": row["_ownerid_value"],
		"_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": e.sim.LookupTarget("accounts", master, "_ownerid_value")})
	if err != nil {
		t.Fatal(err)
	}
	e.simAdmin("/_sim/merge", map[string]any{"entitySet": "accounts", "masterId": newer, "subordinateId": master})
	if rep := e.sync(); rep.Merges != 1 {
		t.Errorf("cycle merging into a new master applied %d merges, want 1", rep.Merges)
	}
	if got := e.lookup("/rest/v1/companies.json", "externalCompanyId", []string{master, newer}, []string{"externalCompanyId"}); got[master] != nil || got[newer] == nil {
		t.Errorf("companies after merging into a new master = %v, want only %s", got, newer)
	}
	if l := e.leads([]string{"web-visitor-7"}, "externalCompanyId")["web-visitor-7"]; fmt.Sprint(l["externalCompanyId"]) != newer {
		t.Errorf("the other source's person = %v, want it on the new master %s", l, newer)
	}
}

func TestDynamicsMergedLeadsBecomeOne(t *testing.T) {
	start := time.Now().Add(-time.Minute)
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 53, Users: 3, Accounts: 3, Contacts: 4, Leads: 6, Opportunities: 1})
	e.sync()
	var synced []string
	for id := range e.leads(e.sim.IDs("leads")) {
		synced = append(synced, id)
	}
	if len(synced) < 2 {
		t.Fatalf("only %d leads synced", len(synced))
	}
	master, sub := synced[0], synced[1]
	people := e.leads([]string{master}, "id")
	e.insight(sub, 8, "Downloaded the brochure")
	e.simAdmin("/_sim/merge", map[string]any{"entitySet": "leads", "masterId": master, "subordinateId": sub})
	if rep := e.sync(); rep.Merges != 1 {
		t.Errorf("cycle after the merge applied %d merges, want 1", rep.Merges)
	}
	got := e.leads([]string{sub, master}, "id", "leadScore", "msiLastInterestingMomentDesc")
	if got[sub] != nil || got[master]["leadScore"] != 8.0 || got[master]["msiLastInterestingMomentDesc"] != "Downloaded the brochure" {
		t.Errorf("after the merge: %v, want only the master %s, with the subordinate's score and moment", got, master)
	}
	if m := e.momentsOf(people[master]["id"], start); len(m) != 1 {
		t.Errorf("the master's moments = %v", m)
	}
	if d := e.diagnosis(sub); !strings.Contains(d, "merged it into person '"+master+"'") {
		t.Errorf("diagnostics of the subordinate lead = %s", d)
	}
}
