package simulator

import (
	"testing"
)

func TestDeletingAnAccountRemovesTheLinksToIt(t *testing.T) {
	s := New(Options{})
	acct, err := s.Upsert("accounts", map[string]any{"name": "Gone Ltd"})
	if err != nil {
		t.Fatal(err)
	}
	contact, _ := s.Upsert("contacts", map[string]any{"lastname": "Kept", "_parentcustomerid_value": acct})
	lead, _ := s.Upsert("leads", map[string]any{"lastname": "Lead", "_parentaccountid_value": acct})
	opp, _ := s.Upsert("opportunities", map[string]any{"name": "Deal", "_parentaccountid_value": acct, "_customerid_value": acct})
	before := s.Version()
	if err := s.Delete("accounts", acct); err != nil {
		t.Fatal(err)
	}
	for set, id := range map[string]string{"contacts": contact, "leads": lead} {
		row, _ := s.Get(set, id)
		if row["_parentcustomerid_value"] != nil || row["_parentaccountid_value"] != nil {
			t.Errorf("%s %s still names the deleted account: %v", set, id, row)
		}
		if v, _ := row["versionnumber"].(int64); v <= before {
			t.Errorf("%s %s: versionnumber %d not after the delete, so change tracking would miss it", set, id, v)
		}
	}
	row, _ := s.Get("opportunities", opp)
	if row["_parentaccountid_value"] != nil || row["_customerid_value"] != acct {
		t.Errorf("opportunity after its account was deleted: account %v, customer %v; want the account link removed and the customer kept", row["_parentaccountid_value"], row["_customerid_value"])
	}
}

func TestThrottleRetryNowAnswersRetryAfterZero(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.ThrottleRetryNow(2)
	for i := 0; i < 2; i++ {
		resp, b := e.do("GET", "accounts?$select=name", nil, "")
		wantErr(t, resp, b, 429, "0x80072322", "Number of requests exceeded")
		if resp.Header.Get("Retry-After") != "0" {
			t.Fatalf("Retry-After %q, want 0", resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := e.do("GET", "accounts?$select=name", nil, ""); resp.StatusCode != 200 {
		t.Fatalf("after the throttled requests: %d", resp.StatusCode)
	}
}

func TestSeededTeamsHaveAnAdministrator(t *testing.T) {
	s := New(Options{Seed: smallSeed()})
	rep := s.SeedReport()
	for i, team := range rep.TeamIDs {
		row, _ := s.Get("teams", team)
		admin, _ := row["_administratorid_value"].(string)
		if admin == "" {
			t.Errorf("team %s has no administrator", team)
		}
		disabled := false
		for _, d := range rep.DisabledUserIDs {
			disabled = disabled || d == admin
		}
		if last := i == len(rep.TeamIDs)-1; disabled != (last && len(rep.DisabledUserIDs) > 0) {
			t.Errorf("team %d's administrator %s disabled = %v", i, admin, disabled)
		}
	}
}
