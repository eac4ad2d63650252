package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// deadLetters returns the keys on the dead-letter list.
func (e *dynamicsEnv) deadLetters() map[string]bool {
	e.t.Helper()
	r := e.suite.call(http.MethodGet, "/v1/dead-letters?pageSize=300", e.tok, "", nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET /v1/dead-letters: HTTP %d %s", r.status, r.raw)
	}
	out := map[string]bool{}
	items, _ := r.body["deadLetters"].([]any)
	for _, it := range items {
		out[strings.ToLower(fmt.Sprint(it.(map[string]any)["key"]))] = true
	}
	return out
}

// eventually polls cond every 100ms until it holds or 20s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func TestDynamicsAccountsWithoutAUserOwnerAndTheirChildren(t *testing.T) {
	// Parked records expire to dead letters after 2s here, so that the children of a held
	// account are dead letters by the time someone reassigns it.
	e := newDynamicsEnvWith(t, simulator.SeedOptions{Random: 11, Users: 5, Accounts: 40, Contacts: 150, Leads: 20, Opportunities: 10}, "", "MSISYNC_PARK_TTL=2s")
	e.sync()
	seed := e.sim.SeedReport()

	// A team-owned account is a company owned by the team's administrator, when enabled.
	var teamOwned, admins []string
	for _, id := range e.sim.IDs("accounts") {
		if e.sim.LookupTarget("accounts", id, "_ownerid_value") != "team" {
			continue
		}
		row, _ := e.sim.Get("accounts", id)
		team, _ := e.sim.Get("teams", row["_ownerid_value"].(string))
		if admin, _ := team["_administratorid_value"].(string); admin != "" && !slices.Contains(seed.DisabledUserIDs, admin) {
			teamOwned, admins = append(teamOwned, id), append(admins, admin)
		}
	}
	if len(teamOwned) == 0 {
		t.Fatal("the seed has no account owned by a team with an enabled administrator")
	}
	companies := e.lookup("/rest/v1/companies.json", "externalCompanyId", teamOwned, []string{"externalCompanyId", "externalSalesPersonId"})
	for i, id := range teamOwned {
		if got := companies[id]["externalSalesPersonId"]; got != admins[i] {
			t.Errorf("team-owned account %s: sales person %v, want the team's administrator %s", id, got, admins[i])
		}
	}

	// An account of a disabled user is held, with a finding; its contacts wait for it and
	// expire to dead letters.
	var held string
	var children []string
	for _, id := range e.sim.IDs("accounts") {
		row, _ := e.sim.Get("accounts", id)
		if !slices.Contains(seed.DisabledUserIDs, fmt.Sprint(row["_ownerid_value"])) {
			continue
		}
		var kids []string
		for _, c := range e.sim.IDs("contacts") {
			if crow, _ := e.sim.Get("contacts", c); crow["_parentcustomerid_value"] == id {
				kids = append(kids, c)
			}
		}
		if len(kids) > len(children) {
			held, children = id, kids
		}
	}
	if held == "" {
		t.Fatal("the seed has no account of a disabled user with contacts")
	}
	if got := e.lookup("/rest/v1/companies.json", "externalCompanyId", []string{held}, []string{"externalCompanyId"}); len(got) != 0 {
		t.Fatalf("the account of a disabled user was synced: %v", got)
	}
	explained := false
	for _, f := range e.findings()["CRM_FINDING_KIND_INACTIVE_OWNER"] {
		explained = explained || (strings.EqualFold(fmt.Sprint(f["externalId"]), held) && strings.Contains(fmt.Sprint(f["message"]), "MSISYNC_DYNAMICS_FALLBACK_OWNER"))
	}
	if !explained {
		t.Errorf("no finding says why account %s is held and what to do", held)
	}
	eventually(t, "the held account's contacts are dead letters", func() bool {
		dead := e.deadLetters()
		for _, c := range children {
			if !dead[c] {
				return false
			}
		}
		return true
	})

	// Someone reassigns the account in Dynamics: the company syncs, and its dead-lettered
	// contacts follow at once, without a full resync.
	owner := admins[0] // an enabled user
	if err := e.sim.Update("accounts", held, map[string]any{"_ownerid_value": owner, "_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "systemuser"}); err != nil {
		t.Fatal(err)
	}
	e.sync()
	eventually(t, "the dead-lettered contacts follow their account", func() bool {
		got := e.leads(children, "externalCompanyId")
		for _, c := range children {
			if got[c]["externalCompanyId"] != held {
				return false
			}
		}
		return true
	})
	dead := e.deadLetters()
	for _, c := range children {
		if dead[c] {
			t.Errorf("contact %s is still a dead letter after its account synced", c)
		}
	}

	// A fallback sales person is configured: the other held accounts are synced with it at
	// the next cycle, though nothing changed in Dynamics.
	var others []string
	for _, id := range e.sim.IDs("accounts") {
		if row, _ := e.sim.Get("accounts", id); slices.Contains(seed.DisabledUserIDs, fmt.Sprint(row["_ownerid_value"])) {
			others = append(others, id)
		}
	}
	if len(others) == 0 {
		t.Fatal("the seed has one account of a disabled user only")
	}
	e.fallbackOwner = admins[0]
	e.open()
	e.sync()
	got := e.lookup("/rest/v1/companies.json", "externalCompanyId", others, []string{"externalCompanyId", "externalSalesPersonId"})
	for _, id := range others {
		if got[id]["externalSalesPersonId"] != admins[0] {
			t.Errorf("account %s of a disabled user with a fallback owner configured: %v, want the fallback %s", id, got[id], admins[0])
		}
	}
}
