package simulator

import "testing"

func TestRestoreBringsADeletedRowBackInTheDelta(t *testing.T) {
	e := newEnv(t, Options{Seed: &SeedOptions{Random: 3, Users: 2, Accounts: 2, Contacts: 3}})
	_, m := e.getJSON("contacts?$select=lastname", map[string]string{"Prefer": "odata.track-changes"})
	delta := m["@odata.deltaLink"].(string)
	id := e.sim.IDs("contacts")[0]
	before, _ := e.sim.Get("contacts", id)
	if err := e.sim.Restore("contacts", id); err == nil {
		t.Fatal("Restore of a row that exists succeeded")
	}
	if err := e.sim.Delete("contacts", id); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Restore("contacts", id); err != nil {
		t.Fatal(err)
	}
	after, ok := e.sim.Get("contacts", id)
	if !ok || after["lastname"] != before["lastname"] || after["_parentcustomerid_value"] != before["_parentcustomerid_value"] {
		t.Fatalf("restored row = %v, want %v", after, before)
	}
	_, m = e.getJSON(delta, nil)
	v := m["value"].([]any)
	if len(v) != 1 || v[0].(map[string]any)["contactid"] != id {
		t.Fatalf("delta after delete and restore = %v, want the row", v)
	}
}
