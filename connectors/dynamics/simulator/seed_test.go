package simulator

import (
	"strings"
	"testing"
)

func TestSeedSmall(t *testing.T) {
	sim := New(Options{Seed: smallSeed()})
	r := sim.SeedReport()
	counts := map[string]int{"systemusers": 7, "teams": 3, "accounts": 20, "contacts": 57, "leads": 30, "opportunities": 25, "connectionroles": 16}
	for set, want := range counts {
		if got := sim.Count(set); got != want {
			t.Errorf("%s = %d, want %d", set, got, want)
		}
	}
	if sim.Count("connections") != r.ConnectionRows || r.ConnectionRows != 2*(r.StakeholderConnections+r.SalesTeamConnections) ||
		r.StakeholderConnections == 0 || r.SalesTeamConnections == 0 {
		t.Errorf("connections %d, report %+v", sim.Count("connections"), r)
	}
	if r.DisabledUsers != 2 || len(r.DisabledUserIDs) != 2 || len(r.TeamIDs) != 3 || r.AccountsOwnedByDisabledUser != 3 ||
		r.ContactsOwnedByDisabledUser != 5 || r.ContactsWithContactParent < 1 || r.ContactsWithoutParent < 1 ||
		r.LeadsWithoutAccount != 21 || r.OpportunitiesWithContactCustomer != 5 || r.OpportunitiesWithContactCustomerNoAccount < 1 ||
		r.MixedCaseEmails < 2 {
		t.Errorf("odd cases %+v", r)
	}
	for _, set := range []string{"accounts", "contacts", "leads", "opportunities"} {
		if r.OwnedByTeam[set] < 1 {
			t.Errorf("no %s owned by a team", set)
		}
	}

	// Check the report against the data.
	disabled := map[string]bool{}
	for _, id := range r.DisabledUserIDs {
		u, _ := sim.Get("systemusers", id)
		if u["isdisabled"] != true {
			t.Errorf("user %s not disabled", id)
		}
		disabled[id] = true
	}
	n, contactParents, mixed := 0, 0, 0
	for _, id := range sim.IDs("contacts") {
		c, _ := sim.Get("contacts", id)
		if disabled[str(c["_ownerid_value"])] {
			n++
		}
		if sim.LookupTarget("contacts", id, "_parentcustomerid_value") == "contact" {
			contactParents++
		}
		if em := str(c["emailaddress1"]); em != strings.ToLower(em) {
			mixed++
		}
		if c["mkt_priority"] != nil || c["mkt_lastinterestingmomentdate"] != nil {
			t.Errorf("mkt_ column set initially: %v", c)
		}
	}
	if n != 5 || contactParents != r.ContactsWithContactParent || mixed == 0 {
		t.Errorf("contacts owned by disabled %d, contact parents %d, mixed %d", n, contactParents, mixed)
	}
	for _, id := range sim.IDs("opportunities") {
		o, _ := sim.Get("opportunities", id)
		if sim.LookupTarget("opportunities", id, "_customerid_value") == "contact" && o["_parentaccountid_value"] != nil {
			c, _ := sim.Get("contacts", o["_customerid_value"].(string))
			if c["_parentcustomerid_value"] != o["_parentaccountid_value"] {
				t.Errorf("opportunity %s: parentaccountid is not the contact's account", id)
			}
		}
		st, sc := o["statecode"].(int64), o["statuscode"].(int64)
		if (st == 0 && sc > 2) || (st == 1 && sc != 3) || (st == 2 && sc < 4) {
			t.Errorf("opportunity state/status %d/%d", st, sc)
		}
	}

	// Deterministic for the same options.
	again := New(Options{Seed: smallSeed()})
	if strings.Join(again.IDs("contacts"), ",") != strings.Join(sim.IDs("contacts"), ",") ||
		again.SeedReport().ApplicationUserID != r.ApplicationUserID {
		t.Error("seed is not deterministic")
	}
}

func TestSeedDefaultSize(t *testing.T) {
	if testing.Short() {
		t.Skip("default-size org")
	}
	sim := New(Options{Seed: &SeedOptions{Random: 3}})
	r := sim.SeedReport()
	if sim.Count("contacts") != 20000 || sim.Count("accounts") != 2000 || sim.Count("leads") != 5000 ||
		sim.Count("opportunities") != 3000 || sim.Count("systemusers") != 51 {
		t.Errorf("sizes %+v", r)
	}
	if r.OwnedByTeam["contacts"] != 200 || r.LeadsWithoutAccount != 3500 || r.ContactsWithContactParent != 100 ||
		r.ContactsWithoutParent != 400 || r.OpportunitiesWithContactCustomer != 600 {
		t.Errorf("shares %+v", r)
	}
	t.Logf("default org: %d connection rows", r.ConnectionRows)
}

// BenchmarkSeedDefaultSize measures seeding the default org (the demo's and the
// benchmark's), which every simulator start pays: `go test -run '^$' -bench SeedDefaultSize`.
func BenchmarkSeedDefaultSize(b *testing.B) {
	for b.Loop() {
		New(Options{Seed: &SeedOptions{Random: 3}})
	}
}

func TestConnections(t *testing.T) {
	e := newEnv(t, Options{})
	rows, delta, _ := e.loadAll("connections", "odata.track-changes")
	byID := map[string]map[string]any{}
	for _, r := range rows {
		byID[r["connectionid"].(string)] = r
	}
	masters := 0
	for id, r := range byID {
		other := byID[str(r["_relatedconnectionid_value"])]
		if other == nil || other["_relatedconnectionid_value"] != id {
			t.Fatalf("connection %s has no reciprocal", id)
		}
		if r["_record1id_value"] != other["_record2id_value"] || r["_record2id_value"] != other["_record1id_value"] ||
			r["_record2roleid_value"] != other["_record1roleid_value"] || r["record1objecttypecode"] != other["record2objecttypecode"] ||
			r["ismaster"] == other["ismaster"] {
			t.Fatalf("pair not swapped: %v / %v", r, other)
		}
		if r["ismaster"] == true {
			masters++
			if r["record1objecttypecode"] != float64(3) {
				t.Fatalf("master is not opportunity-first: %v", r)
			}
		}
	}
	if masters*2 != len(rows) {
		t.Fatalf("masters %d of %d", masters, len(rows))
	}

	// Filter the documented way: opportunity → contact, active.
	_, m := e.getJSON("connections?$select=_record2id_value,_record2roleid_value&$filter=record1objecttypecode%20eq%203%20and%20record2objecttypecode%20eq%202%20and%20statecode%20eq%200",
		map[string]string{"Prefer": `odata.include-annotations="*"`})
	if v := m["value"].([]any); len(v) != e.sim.SeedReport().StakeholderConnections {
		t.Fatalf("stakeholder rows %d, want %d", len(v), e.sim.SeedReport().StakeholderConnections)
	} else if r := v[0].(map[string]any); r["_record2id_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "contact" ||
		r["_record2roleid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "connectionrole" ||
		r["_record2roleid_value@OData.Community.Display.V1.FormattedValue"] == nil {
		t.Fatalf("annotations %v", r)
	}

	opp, contact := e.sim.IDs("opportunities")[0], e.sim.IDs("contacts")[0]
	master, err := e.sim.Connect(opp, strings.ToUpper(contact), "champion")
	if err != nil {
		t.Fatal(err)
	}
	mr, _ := e.sim.Get("connections", master)
	if mr["_record1id_value"] != opp || mr["_record2id_value"] != contact || mr["ismaster"] != true {
		t.Fatalf("master %v", mr)
	}
	if _, err := e.sim.Connect(opp, contact, "No Such Role"); err == nil {
		t.Fatal("unknown role accepted")
	}
	other := str(mr["_relatedconnectionid_value"])
	before := e.sim.Count("connections")
	if err := e.sim.Delete("connections", other); err != nil {
		t.Fatal(err)
	}
	if e.sim.Count("connections") != before-2 {
		t.Fatal("deleting one side did not delete both")
	}
	got, _, _ := e.loadAll(delta, "")
	deleted := 0
	for _, r := range got {
		if r["reason"] == "deleted" {
			deleted++
		}
	}
	if deleted != 2 || len(got) != 2 { // created then deleted after the token: deletes only
		t.Fatalf("delta after pair delete: %v", got)
	}
}

func TestMetadata(t *testing.T) {
	e := newEnv(t, Options{})
	_, m := e.getJSON("EntityDefinitions(LogicalName='lead')/Attributes?$select=LogicalName,SchemaName,AttributeType", nil)
	names := map[string]string{}
	for _, v := range m["value"].([]any) {
		a := v.(map[string]any)
		names[a["LogicalName"].(string)] = a["AttributeType"].(string)
	}
	if names["mkt_priority"] != "Integer" || names["ownerid"] != "Owner" || names["leadid"] != "Uniqueidentifier" {
		t.Fatalf("attributes %v", names)
	}
	_, m = e.getJSON("EntityDefinitions(LogicalName='contact')", nil)
	if m["EntitySetName"] != "contacts" || m["ChangeTrackingEnabled"] != true {
		t.Fatalf("entity %v", m)
	}
}
