package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// syncedContacts returns the contacts msisync holds with an owner and a company, by id.
func (e *dynamicsEnv) syncedContacts() map[string]map[string]any {
	e.t.Helper()
	out := map[string]map[string]any{}
	for id, l := range e.leads(e.sim.IDs("contacts"), "externalSalesPersonId", "externalCompanyId") {
		if o, _ := l["externalSalesPersonId"].(string); o != "" && fmt.Sprint(l["externalCompanyId"]) != "" && l["externalCompanyId"] != nil {
			out[id] = l
		}
	}
	return out
}

// bestBets returns the externalPersonIds on a sales person's Best Bets.
func (e *dynamicsEnv) bestBets(salesPerson string) map[string]bool {
	e.t.Helper()
	r := e.suite.call(http.MethodGet, "/v1/salespersons/"+salesPerson+"/best-bets?pageSize=300", e.tok, "", nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("best bets of %s: HTTP %d %s", salesPerson, r.status, r.raw)
	}
	out := map[string]bool{}
	items, _ := r.body["bestBets"].([]any)
	for _, it := range items {
		out[strings.ToLower(fmt.Sprint(it.(map[string]any)["externalPersonId"]))] = true
	}
	return out
}

func TestDynamicsClearedValuesAreClearedInMsisync(t *testing.T) {
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 23, Users: 6, Accounts: 12, Contacts: 60, Leads: 5, Opportunities: 4})
	e.sync()
	synced := e.syncedContacts()
	owner := func(id string) string { return fmt.Sprint(synced[id]["externalSalesPersonId"]) }
	company := func(id string) string { return fmt.Sprint(synced[id]["externalCompanyId"]) }

	// Four contacts, each losing a value in Dynamics in its own way.
	var toTeam, ofDisabled, unparented, ofDeleted string
	for id := range synced {
		switch {
		case toTeam == "":
			toTeam = id
		case ofDisabled == "" && owner(id) != owner(toTeam):
			ofDisabled = id
		}
	}
	for id := range synced {
		if owner(id) == owner(toTeam) || owner(id) == owner(ofDisabled) {
			continue
		}
		switch {
		case unparented == "":
			unparented = id
		case ofDeleted == "" && company(id) != company(unparented):
			ofDeleted = id
		}
	}
	if ofDeleted == "" {
		t.Fatalf("the seed has too few synced contacts with distinct owners and companies: %d", len(synced))
	}
	// The contact that goes to a team is on its owner's Best Bets.
	if r := e.suite.call(http.MethodPost, "/v1/score-changes", e.tok, "", map[string]any{"changes": []map[string]any{{"externalPersonId": toTeam, "delta": 500, "reason": "Visited pricing page"}}}); r.status != http.StatusOK {
		t.Fatalf("score change: HTTP %d %s", r.status, r.raw)
	}
	if r := e.suite.call(http.MethodPost, "/v1/scoring/tiers:recompute", e.tok, "", map[string]any{}); r.status != http.StatusOK {
		t.Fatalf("tiers recompute: HTTP %d %s", r.status, r.raw)
	}
	if !e.bestBets(owner(toTeam))[toTeam] {
		t.Fatalf("the scored contact %s is not on its owner's Best Bets", toTeam)
	}

	team := e.sim.SeedReport().TeamIDs[0]
	if err := e.sim.Update("contacts", toTeam, map[string]any{"_ownerid_value": team, "_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "team"}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Update("systemusers", owner(ofDisabled), map[string]any{"isdisabled": true}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Update("contacts", unparented, map[string]any{"_parentcustomerid_value": nil}); err != nil {
		t.Fatal(err)
	}
	// Deleting the account makes Dataverse clear the contact's Company Name (Remove Link).
	if err := e.sim.Delete("accounts", company(ofDeleted)); err != nil {
		t.Fatal(err)
	}
	if row, _ := e.sim.Get("contacts", ofDeleted); row["_parentcustomerid_value"] != nil {
		t.Fatalf("the simulator kept the deleted account on its contact: %v", row["_parentcustomerid_value"])
	}
	rep := e.sync()

	now := e.leads([]string{toTeam, ofDisabled, unparented, ofDeleted}, "externalSalesPersonId", "externalCompanyId", "company")
	for id, field := range map[string]string{toTeam: "externalSalesPersonId", ofDisabled: "externalSalesPersonId", unparented: "externalCompanyId", ofDeleted: "externalCompanyId"} {
		if v := now[id][field]; v != nil && v != "" {
			t.Errorf("lead %s: %s = %v after it was cleared in Dynamics (%s)", id, field, v, rep)
		}
	}
	for _, id := range []string{unparented, ofDeleted} {
		if v := now[id]["company"]; v != nil && v != "" {
			t.Errorf("lead %s: company name %v after its account was removed", id, v)
		}
	}
	if e.bestBets(owner(toTeam))[toTeam] {
		t.Errorf("the contact now owned by a team is still on the Best Bets of its former owner %s", owner(toTeam))
	}
	flagged := map[string]bool{}
	for _, kind := range []string{"CRM_FINDING_KIND_TEAM_OWNER", "CRM_FINDING_KIND_INACTIVE_OWNER"} {
		for _, f := range e.findings()[kind] {
			flagged[strings.ToLower(fmt.Sprint(f["externalId"]))] = true
		}
	}
	if !flagged[toTeam] || !flagged[ofDisabled] {
		t.Errorf("findings for the team-owned %s: %v, for the disabled user's %s: %v", toTeam, flagged[toTeam], ofDisabled, flagged[ofDisabled])
	}
}
