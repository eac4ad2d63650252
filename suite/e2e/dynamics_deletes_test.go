package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// waitingFinding returns the message of the finding of a waiting delete of company id.
func (e *dynamicsEnv) waitingFinding(id string) string {
	for _, f := range e.findings()["CRM_FINDING_KIND_OTHER"] {
		if strings.EqualFold(fmt.Sprint(f["externalId"]), id) && strings.Contains(fmt.Sprint(f["message"]), "deleted in Dynamics") {
			return fmt.Sprint(f["message"])
		}
	}
	return ""
}

func TestDynamicsCompanyDeleteRefusedAsInUseIsRetried(t *testing.T) {
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 29, Users: 4, Accounts: 10, Contacts: 30, Leads: 5, Opportunities: 3})
	e.sync()
	// A synced account that no opportunity names.
	named := map[string]bool{}
	for _, id := range e.sim.IDs("opportunities") {
		row, _ := e.sim.Get("opportunities", id)
		named[fmt.Sprint(row["_customerid_value"])], named[fmt.Sprint(row["_parentaccountid_value"])] = true, true
	}
	var account string
	for id := range e.lookup("/rest/v1/companies.json", "externalCompanyId", e.sim.IDs("accounts"), []string{"externalCompanyId"}) {
		if !named[id] {
			account = id
			break
		}
	}
	if account == "" {
		t.Fatal("no synced account without opportunities")
	}
	// A person from another source, synced through the Marketo API, works there.
	r := e.suite.call(http.MethodPost, "/rest/v1/leads.json", e.tok, "", map[string]any{"action": "createOrUpdate", "lookupField": "externalPersonId",
		"input": []map[string]any{{"externalPersonId": "web-visitor-1", "email": "visitor@example.com", "externalCompanyId": account}}})
	if r.body["success"] != true || !strings.Contains(string(r.raw), "created") {
		t.Fatalf("creating the lead: %s", r.raw)
	}

	// The account is deleted in Dynamics: msisync refuses to delete the company while the
	// lead names it, so the delete waits, with a finding that says why.
	if err := e.sim.Delete("accounts", account); err != nil {
		t.Fatal(err)
	}
	for cycle := 1; cycle <= 2; cycle++ {
		rep := e.sync()
		if o := object(rep, mapping.Company); o.DeletesWaiting != 1 || o.Deleted != 0 || !strings.Contains(rep.String(), "1 deletes waiting") {
			t.Errorf("cycle %d: company deletes %+v; report %s", cycle, o, rep)
		}
		if got := e.lookup("/rest/v1/companies.json", "externalCompanyId", []string{account}, []string{"externalCompanyId"}); len(got) != 1 {
			t.Fatalf("cycle %d: the company in use was deleted: %v", cycle, got)
		}
		if msg := e.waitingFinding(account); !strings.Contains(msg, "1022") && !strings.Contains(strings.ToLower(msg), "in use") {
			t.Errorf("cycle %d: finding of the waiting delete = %q, want it to say what still uses the company", cycle, msg)
		}
	}

	// The lead moves away: the next cycle deletes the company and resolves the finding.
	r = e.suite.call(http.MethodPost, "/rest/v1/leads.json", e.tok, "", map[string]any{"action": "updateOnly", "lookupField": "externalPersonId",
		"input": []map[string]any{{"externalPersonId": "web-visitor-1", "externalCompanyId": ""}}})
	if r.body["success"] != true || !strings.Contains(string(r.raw), "updated") {
		t.Fatalf("moving the lead away: %s", r.raw)
	}
	rep := e.sync()
	if o := object(rep, mapping.Company); o.Deleted != 1 || o.DeletesWaiting != 0 {
		t.Errorf("after the lead moved: company deletes %+v", o)
	}
	if got := e.lookup("/rest/v1/companies.json", "externalCompanyId", []string{account}, []string{"externalCompanyId"}); len(got) != 0 {
		t.Errorf("the company deleted in Dynamics is still in msisync: %v", got)
	}
	if msg := e.waitingFinding(account); msg != "" {
		t.Errorf("the finding of the done delete is still there: %s", msg)
	}
}
