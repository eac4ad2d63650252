package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// scopeSeed is a small org for the sync scope's tests.
var scopeSeed = simulator.SeedOptions{Random: 41, Users: 4, Accounts: 8, Contacts: 24, Leads: 4, Opportunities: 3}

// reconfigure reopens the connector with configure applied, before its first cycle.
func (e *dynamicsEnv) reconfigure(configure func(*connector.Config)) {
	e.t.Helper()
	e.configure = configure
	e.open()
}

// accountWithContacts returns an account of the simulator that has contacts, and them.
func (e *dynamicsEnv) accountWithContacts() (string, []string) {
	e.t.Helper()
	byAccount := map[string][]string{}
	for _, id := range e.sim.IDs("contacts") {
		row, _ := e.sim.Get("contacts", id)
		if e.sim.LookupTarget("contacts", id, "_parentcustomerid_value") == "account" {
			a := strings.ToLower(fmt.Sprint(row["_parentcustomerid_value"]))
			byAccount[a] = append(byAccount[a], id)
		}
	}
	for _, a := range e.sim.IDs("accounts") {
		if len(byAccount[a]) >= 2 {
			return a, byAccount[a]
		}
	}
	e.t.Fatal("no account with two contacts in the seed")
	return "", nil
}

// openOpportunity creates, and syncs, an opportunity owned by an active user on a synced
// account other than not.
func (e *dynamicsEnv) openOpportunity(not string) string {
	e.t.Helper()
	var owner, account string
	for _, id := range e.sim.IDs("systemusers") {
		if row, _ := e.sim.Get("systemusers", id); row["isdisabled"] == false && row["applicationid"] == nil {
			owner = id
			break
		}
	}
	for id := range e.lookup("/rest/v1/companies.json", "externalCompanyId", e.sim.IDs("accounts"), []string{"externalCompanyId"}) {
		if id != not {
			account = id
			break
		}
	}
	opp, err := e.sim.Upsert("opportunities", map[string]any{"name": "Expansion", "_parentaccountid_value": account, "_ownerid_value": owner})
	if err != nil {
		e.t.Fatal(err)
	}
	e.sync()
	if got := e.lookup("/rest/v1/opportunities.json", "externalOpportunityId", []string{opp}, []string{"externalOpportunityId"}); len(got) != 1 {
		e.t.Fatalf("the new opportunity on account %s (owner %s) is not in msisync", account, owner)
	}
	return opp
}

// scopeFindings returns the messages of the OTHER findings of id that mention the sync scope.
func (e *dynamicsEnv) scopeFindings(id string) []string {
	var out []string
	for _, f := range e.findings()["CRM_FINDING_KIND_OTHER"] {
		if strings.EqualFold(fmt.Sprint(f["externalId"]), id) && strings.Contains(fmt.Sprint(f["message"]), "outside the sync scope") {
			out = append(out, fmt.Sprint(f["message"]))
		}
	}
	return out
}

func TestDynamicsScopeFilterKeepsInactiveAccountsOutWithFindingsOnTheirContacts(t *testing.T) {
	e := newDynamicsEnv(t, scopeSeed)
	account, contacts := e.accountWithContacts()
	if err := e.sim.Update("accounts", account, map[string]any{"statecode": 1}); err != nil {
		t.Fatal(err)
	}
	var owner string
	for _, id := range e.sim.IDs("systemusers") {
		if row, _ := e.sim.Get("systemusers", id); row["isdisabled"] == false && row["applicationid"] == nil {
			owner = id
			break
		}
	}
	opp, err := e.sim.Upsert("opportunities", map[string]any{"name": "Renewal", "_parentaccountid_value": account, "_ownerid_value": owner})
	if err != nil {
		t.Fatal(err)
	}
	opportunity := func() map[string]map[string]any {
		return e.lookup("/rest/v1/opportunities.json", "externalOpportunityId", []string{opp}, []string{"externalOpportunityId", "externalCompanyId"})
	}

	// A filter naming a column the org does not have is refused before anything is sent,
	// naming the setting and the column.
	e.reconfigure(func(c *connector.Config) { c.FilterAccounts = "statcode eq 0" })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = e.conn.SyncOnce(ctx)
	if err == nil || !strings.Contains(err.Error(), "MSISYNC_DYNAMICS_FILTER_ACCOUNTS") || !strings.Contains(err.Error(), "no column statcode") {
		t.Fatalf("SyncOnce with an unknown filter column: %v", err)
	}
	if got := e.lookup("/rest/v1/companies.json", "externalCompanyId", e.sim.IDs("accounts"), []string{"externalCompanyId"}); len(got) != 0 {
		t.Fatalf("a refused scope sent %d companies", len(got))
	}

	// Active accounts only: the inactive account is not sent; its contacts are, without a
	// company, each with a finding that names the account and the filter.
	e.reconfigure(func(c *connector.Config) { c.FilterAccounts = "statecode eq 0" })
	for _, s := range e.sync().Sets {
		if s.EntitySet == "accounts" && s.OutOfScope < 1 {
			t.Errorf("the report counts %d accounts out of the sync scope, want at least the inactive one", s.OutOfScope)
		}
	}
	companies := e.lookup("/rest/v1/companies.json", "externalCompanyId", e.sim.IDs("accounts"), []string{"externalCompanyId"})
	if _, ok := companies[account]; ok || len(companies) == 0 {
		t.Fatalf("companies synced: %d of %d, inactive account %s among them: %v", len(companies), len(e.sim.IDs("accounts")), account, ok)
	}
	for id := range companies {
		if row, _ := e.sim.Get("accounts", id); fmt.Sprint(row["statecode"]) != "0" {
			t.Errorf("account %s with statecode %v was synced", id, row["statecode"])
		}
	}
	people := e.leads(contacts, "externalCompanyId")
	for _, id := range contacts {
		p, ok := people[id]
		if !ok || fmt.Sprint(p["externalCompanyId"]) != "<nil>" && p["externalCompanyId"] != "" {
			t.Errorf("contact %s of the inactive account: %v (synced %v), want it synced without a company", id, p, ok)
		}
		msgs := e.scopeFindings(id)
		if len(msgs) != 1 || !strings.Contains(msgs[0], "account '"+account+"' is outside the sync scope (statecode eq 0)") {
			t.Errorf("findings of contact %s = %q", id, msgs)
		}
	}

	// The account's opportunity is held: MSI cannot show it without its company.
	if got := opportunity(); len(got) != 0 {
		t.Errorf("the opportunity of the inactive account was synced: %v", got)
	}
	if msgs := e.scopeFindings(opp); len(msgs) != 1 || !strings.Contains(msgs[0], "MSI cannot show an opportunity without its company") {
		t.Errorf("findings of the opportunity = %q", msgs)
	}

	// The account is activated: the next cycle sends it, links its contacts to it and
	// resolves their findings.
	if err := e.sim.Update("accounts", account, map[string]any{"statecode": 0}); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if got := e.lookup("/rest/v1/companies.json", "externalCompanyId", []string{account}, []string{"externalCompanyId"}); len(got) != 1 {
		t.Fatalf("the activated account is not in msisync")
	}
	people = e.leads(contacts, "externalCompanyId")
	for _, id := range contacts {
		if got := strings.ToLower(fmt.Sprint(people[id]["externalCompanyId"])); got != account {
			t.Errorf("contact %s: externalCompanyId %q, want %s", id, got, account)
		}
		if msgs := e.scopeFindings(id); len(msgs) != 0 {
			t.Errorf("contact %s still has scope findings: %q", id, msgs)
		}
	}
	if got := opportunity(); strings.ToLower(fmt.Sprint(got[opp]["externalCompanyId"])) != account {
		t.Errorf("the opportunity after the activation = %v, want it with company %s", got, account)
	}
	if msgs := e.scopeFindings(opp); len(msgs) != 0 {
		t.Errorf("the opportunity still has scope findings: %q", msgs)
	}
}

func TestDynamicsSyncColumnNoYesNo(t *testing.T) {
	for _, remove := range []bool{false, true} {
		t.Run(fmt.Sprintf("remove=%v", remove), func(t *testing.T) {
			e := newDynamicsEnv(t, scopeSeed)
			e.reconfigure(func(c *connector.Config) { c.SyncColumn = "new_synctomkto"; c.SyncColumnRemove = remove })
			account, contacts := e.accountWithContacts()
			person := contacts[0]
			for set, id := range map[string]string{"accounts": account, "contacts": person} {
				if err := e.sim.Update(set, id, map[string]any{"new_synctomkto": false}); err != nil {
					t.Fatal(err)
				}
			}
			// No: neither the account nor the contact is sent; the account's other contact is,
			// without a company and with a finding.
			e.sync()
			if got := e.leads(contacts, "externalCompanyId"); len(got) != len(contacts)-1 {
				t.Fatalf("No: %d of the account's %d contacts synced, want all but %s", len(got), len(contacts), person)
			} else if _, ok := got[person]; ok {
				t.Fatalf("No: contact %s was synced", person)
			}
			if got := e.lookup("/rest/v1/companies.json", "externalCompanyId", []string{account}, []string{"externalCompanyId"}); len(got) != 0 {
				t.Fatalf("No: the account was synced")
			}
			if msgs := e.scopeFindings(contacts[1]); len(msgs) != 1 || !strings.Contains(msgs[0], "(new_synctomkto is No)") {
				t.Errorf("No: findings of contact %s = %q", contacts[1], msgs)
			}
			// A stakeholder role of the contact that is out is not sent either, with a finding.
			opp := e.openOpportunity(account)
			conn, err := e.sim.Connect(opp, person, "Champion")
			if err != nil {
				t.Fatal(err)
			}
			e.sync()
			if got := e.roles(opp); got[person+"/Champion"] {
				t.Errorf("No: the role of the contact out of scope was synced: %v", got)
			}
			if msgs := e.scopeFindings(conn); len(msgs) != 1 || !strings.Contains(msgs[0], "its role 'Champion' on opportunity '"+opp+"' is not synced") {
				t.Errorf("No: findings of the connection %s = %q", conn, msgs)
			}

			// No → Yes: both are synced in the next cycle, the contacts with their company.
			for set, id := range map[string]string{"accounts": account, "contacts": person} {
				if err := e.sim.Update(set, id, map[string]any{"new_synctomkto": true}); err != nil {
					t.Fatal(err)
				}
			}
			e.sync()
			got := e.leads(contacts, "externalCompanyId", "title")
			for _, id := range contacts {
				if strings.ToLower(fmt.Sprint(got[id]["externalCompanyId"])) != account {
					t.Errorf("Yes: contact %s = %v, want it with company %s", id, got[id], account)
				}
			}
			if msgs := e.scopeFindings(contacts[1]); len(msgs) != 0 {
				t.Errorf("Yes: contact %s keeps its findings %q", contacts[1], msgs)
			}
			if got := e.roles(opp); !got[person+"/Champion"] {
				t.Errorf("Yes: the contact's role is not in msisync: %v", got)
			}
			if msgs := e.scopeFindings(conn); len(msgs) != 0 {
				t.Errorf("Yes: the connection keeps its findings %q", msgs)
			}
			title := fmt.Sprint(got[person]["title"])

			// Yes → No (and a change): left as it was, or removed.
			if err := e.sim.Update("contacts", person, map[string]any{"new_synctomkto": false, "jobtitle": "Chief Scope Officer"}); err != nil {
				t.Fatal(err)
			}
			e.sync()
			got = e.leads([]string{person}, "title")
			switch {
			case remove && (len(got) != 0 || e.roles(opp)[person+"/Champion"]):
				t.Errorf("Yes → No with MSISYNC_DYNAMICS_SYNC_COLUMN_REMOVE: the contact or its role is still in msisync: %v, roles %v", got, e.roles(opp))
			case !remove && (len(got) != 1 || fmt.Sprint(got[person]["title"]) != title):
				t.Errorf("Yes → No: the contact = %v, want it left as it was (title %q)", got, title)
			}
		})
	}
}

func TestDynamicsOpportunityLeavingTheScopeTakesItsRolesAlong(t *testing.T) {
	e := newDynamicsEnv(t, scopeSeed)
	e.reconfigure(func(c *connector.Config) {
		c.FilterOpportunities = "statecode eq 0"
		c.SyncColumnRemove = true
	})
	e.sync()
	var person string
	for id := range e.syncedContacts() {
		person = id
		break
	}
	opp := e.openOpportunity("")
	conn, err := e.sim.Connect(opp, person, "Champion")
	if err != nil {
		t.Fatal(err)
	}
	e.sync()
	if !e.roles(opp)[person+"/Champion"] {
		t.Fatalf("the stakeholder role is not in msisync: %v", e.roles(opp))
	}

	// The opportunity is closed, so it leaves the scope and is removed: its role goes first,
	// with a finding on the connection.
	if err := e.sim.Update("opportunities", opp, map[string]any{"statecode": 1}); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if got := e.lookup("/rest/v1/opportunities.json", "externalOpportunityId", []string{opp}, []string{"externalOpportunityId"}); len(got) != 0 {
		t.Errorf("the closed opportunity is still in msisync: %v", got)
	}
	if msgs := e.scopeFindings(conn); len(msgs) != 1 || !strings.Contains(msgs[0], "opportunity '"+opp+"' is outside the sync scope (statecode eq 0)") {
		t.Errorf("findings of the connection = %q", msgs)
	}

	// Reopened, it comes back with its role.
	if err := e.sim.Update("opportunities", opp, map[string]any{"statecode": 0}); err != nil {
		t.Fatal(err)
	}
	e.sync()
	if !e.roles(opp)[person+"/Champion"] {
		t.Errorf("the reopened opportunity's role is not back: %v", e.roles(opp))
	}
	if msgs := e.scopeFindings(conn); len(msgs) != 0 {
		t.Errorf("the connection keeps its findings %q", msgs)
	}
}
