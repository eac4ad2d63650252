package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
)

// scoreUp gives a person a score change, so that it is on its owner's Best Bets and in the
// writeback feed.
func (e *dynamicsEnv) scoreUp(person string, delta int) {
	e.t.Helper()
	body := map[string]any{"changes": []map[string]any{{"externalPersonId": person, "delta": delta, "reason": "flag delete test"}}}
	if r := e.suite.call(http.MethodPost, "/v1/score-changes", e.tok, "", body); r.status != http.StatusOK || strings.Contains(string(r.raw), "SKIPPED") {
		e.t.Fatalf("POST /v1/score-changes for %s: HTTP %d %s", person, r.status, r.raw)
	}
	if r := e.suite.call(http.MethodPost, "/v1/scoring/tiers:recompute", e.tok, "", map[string]any{}); r.status != http.StatusOK {
		e.t.Fatalf("tiers recompute: HTTP %d %s", r.status, r.raw)
	}
}

// writebackPeople returns the externalPersonIds in the whole writeback feed.
func (e *dynamicsEnv) writebackPeople() map[string]bool {
	e.t.Helper()
	out := map[string]bool{}
	cursor := ""
	for range 100 {
		r := e.suite.call(http.MethodGet, "/v1/writeback/changes?pageSize=300&cursor="+url.QueryEscape(cursor), e.tok, "", nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("writeback feed: HTTP %d %s", r.status, r.raw)
		}
		items, _ := r.body["changes"].([]any)
		for _, it := range items {
			out[strings.ToLower(fmt.Sprint(it.(map[string]any)["externalPersonId"]))] = true
		}
		next, _ := r.body["nextCursor"].(string)
		if len(items) == 0 || next == "" || next == cursor {
			return out
		}
		cursor = next
	}
	return out
}

// deletedFlag returns the message of person's DELETED_IN_CRM finding, "" when it has none.
func (e *dynamicsEnv) deletedFlag(person string) string {
	for _, f := range e.findings()["CRM_FINDING_KIND_DELETED_IN_CRM"] {
		if strings.EqualFold(fmt.Sprint(f["externalId"]), person) {
			return fmt.Sprint(f["message"])
		}
	}
	return ""
}

func TestDynamicsFlaggedDeleteAndRestore(t *testing.T) {
	e := newDynamicsEnv(t, scopeSeed)
	e.reconfigure(func(c *connector.Config) { c.DeleteMode = connector.DeleteFlag })
	e.sync()
	var person, owner string
	for id, l := range e.syncedContacts() {
		person, owner = id, fmt.Sprint(l["externalSalesPersonId"])
		break
	}
	if person == "" {
		t.Fatal("no synced contact with an owner")
	}
	e.scoreUp(person, 500)
	if got := e.leads([]string{person}, "crmDeleted"); got[person]["crmDeleted"] != false {
		t.Fatalf("before the delete: crmDeleted = %v, want false", got[person]["crmDeleted"])
	}
	if !e.bestBets(owner)[person] || !e.writebackPeople()[person] {
		t.Fatalf("before the delete: %s on Best Bets %v, in the writeback feed %v; want both", person, e.bestBets(owner)[person], e.writebackPeople()[person])
	}

	// Dynamics deletes the contact: msisync keeps the person, flagged, out of Best Bets and
	// the writeback feed.
	if err := e.sim.Delete("contacts", person); err != nil {
		t.Fatal(err)
	}
	rep := e.sync()
	if o := object(rep, mapping.Lead); o.Deleted != 0 {
		t.Errorf("flag mode deleted %d people", o.Deleted)
	}
	if got := e.leads([]string{person}, "leadScore", "crmDeleted"); len(got) != 1 || got[person]["leadScore"] != 500.0 || got[person]["crmDeleted"] != true {
		t.Fatalf("the deleted contact in msisync = %v, want it kept with its score, crmDeleted true", got)
	}
	if msg := e.deletedFlag(person); !strings.Contains(msg, "deleted in Dynamics") || !strings.Contains(msg, "MSISYNC_DELETE_MODE=flag") {
		t.Errorf("the stored flag of %s = %q", person, msg)
	}
	if r := e.suite.call(http.MethodGet, "/v1/diagnostics/persons/"+person, e.tok, "", nil); r.status != http.StatusOK || !strings.Contains(string(r.raw), "deleted in Dynamics") {
		t.Errorf("diagnostics of the flagged person: HTTP %d %s", r.status, r.raw)
	}
	if r := e.suite.call(http.MethodGet, "/v1/crm/findings?kind=CRM_FINDING_KIND_DELETED_IN_CRM", e.tok, "", nil); r.status != http.StatusOK || !strings.Contains(string(r.raw), person) {
		t.Errorf("findings of kind DELETED_IN_CRM: HTTP %d %s", r.status, r.raw)
	}
	if e.bestBets(owner)[person] || e.writebackPeople()[person] {
		t.Errorf("flagged: %s still on Best Bets (%v) or in the writeback feed (%v)", person, e.bestBets(owner)[person], e.writebackPeople()[person])
	}

	// Dynamics restores it: it is back everywhere, the flag gone.
	if err := e.sim.Restore("contacts", person); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if msg := e.deletedFlag(person); msg != "" {
		t.Errorf("restored: the flag is still stored: %s", msg)
	}
	if !e.bestBets(owner)[person] || !e.writebackPeople()[person] {
		t.Errorf("restored: %s on Best Bets %v, in the writeback feed %v; want both", person, e.bestBets(owner)[person], e.writebackPeople()[person])
	}
	if got := e.leads([]string{person}, "leadScore", "crmDeleted"); len(got) != 1 || got[person]["leadScore"] != 500.0 || got[person]["crmDeleted"] != false {
		t.Errorf("restored: %v, want the person with its score, crmDeleted false", got)
	}

	// An opportunity too is kept, flagged, and comes back unflagged; companies answer the
	// field as well.
	opp := e.openOpportunity("")
	oppFlag := func() any {
		return e.lookup("/rest/v1/opportunities.json", "externalOpportunityId", []string{opp}, []string{"externalOpportunityId", "crmDeleted"})[opp]["crmDeleted"]
	}
	if err := e.sim.Delete("opportunities", opp); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if got := oppFlag(); got != true {
		t.Errorf("the deleted opportunity's crmDeleted = %v, want it kept with true", got)
	}
	if err := e.sim.Restore("opportunities", opp); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if got := oppFlag(); got != false {
		t.Errorf("the restored opportunity's crmDeleted = %v, want false", got)
	}
	companies := e.lookup("/rest/v1/companies.json", "externalCompanyId", e.sim.IDs("accounts"), []string{"externalCompanyId", "crmDeleted"})
	if len(companies) == 0 {
		t.Error("no company in msisync")
	}
	for id, c := range companies {
		if c["crmDeleted"] != false {
			t.Errorf("company %s: crmDeleted = %v, want false", id, c["crmDeleted"])
		}
	}
}
