package connector

import (
	"slices"
	"testing"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/state"
)

func TestFilterColumnsNamesEachComparedColumn(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"statecode eq 0", []string{"statecode"}},
		{"(statecode eq 0 or StateCode eq 1) and _parentaccountid_value ne null", []string{"statecode", "_parentaccountid_value"}},
		{"name eq 'a eq b' and new_tier ge 2", []string{"name", "new_tier"}},
		{"contains(name,'x') and not (revenue gt 10)", []string{"name", "revenue"}},
		{"new_synctomkto eq true", []string{"new_synctomkto"}},
	} {
		got, err := filterColumns(tc.filter)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("filterColumns(%q) = %v, %v; want %v", tc.filter, got, err, tc.want)
		}
	}
	for _, bad := range []string{"name eq 'x", "true", ""} {
		if got, err := filterColumns(bad); err == nil {
			t.Errorf("filterColumns(%q) = %v, want an error", bad, got)
		}
	}
}

// emptyPlan is a plan with its maps made, for the planning functions.
func emptyPlan() *plan {
	return &plan{send: map[mapping.Object][]mapping.Record{}, deletes: map[mapping.Object][]string{}, unchanged: map[string]int{},
		parents: map[string]string{}, waiting: map[mapping.Object]map[string]string{}}
}

func TestPlanScopeEntersLeavesKeepsAndRemoves(t *testing.T) {
	const id = "a1"
	out := &changes{set: mapping.Accounts, out: map[string]string{id: "statecode eq 0"}}
	in := &changes{set: mapping.Accounts, out: map[string]string{}}
	sent := state.Record{Fingerprint: "abc", Facts: facts{Findings: []mapping.Kind{mapping.TeamOwner}}.String()}
	for _, tc := range []struct {
		name        string
		remove      bool
		ch          *changes
		before      state.Record
		wantOut     bool
		wantFP      string // stored fingerprint, "" when nothing is stored
		wantDelete  bool
		wantParent  string
		wantSwitch  bool
		wantResolve int
	}{
		{name: "new and out", ch: out, wantOut: true, wantFP: outFingerprint, wantParent: "statecode eq 0"},
		{name: "still out", ch: out, before: state.Record{Fingerprint: outFingerprint, Facts: facts{Scope: "statecode eq 0"}.String()}, wantOut: true, wantParent: "statecode eq 0"},
		{name: "leaves, kept", ch: out, before: sent, wantOut: true, wantFP: keptFingerprint},
		{name: "kept, still out", ch: out, before: state.Record{Fingerprint: keptFingerprint}, wantOut: true},
		{name: "leaves, removed", remove: true, ch: out, before: sent, wantOut: true, wantFP: outFingerprint, wantDelete: true, wantParent: "statecode eq 0", wantSwitch: true, wantResolve: 1},
		{name: "enters", ch: in, before: state.Record{Fingerprint: outFingerprint}, wantSwitch: true},
		{name: "in", ch: in, before: sent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Connector{scope: &scope{filters: map[string]string{mapping.Accounts: "statecode eq 0"}, columnSets: map[string]bool{}, remove: tc.remove}}
			p := emptyPlan()
			if got := c.planScope(p, tc.ch, id, tc.before); got != tc.wantOut {
				t.Fatalf("planScope = %v, want %v", got, tc.wantOut)
			}
			fp := ""
			if len(p.commit.Put) == 1 {
				fp = p.commit.Put[0].Fingerprint
			}
			if fp != tc.wantFP || (len(p.deletes[mapping.Company]) == 1) != tc.wantDelete || p.parents[id] != tc.wantParent ||
				(len(p.scopeSwitched) == 1) != tc.wantSwitch || len(p.resolved) != tc.wantResolve {
				t.Errorf("stored %q, deletes %v, parent %q, switched %v, resolved %v", fp, p.deletes, p.parents[id], p.scopeSwitched, p.resolved)
			}
		})
	}
}

func TestFlagDeleteKeepsWhatWasSent(t *testing.T) {
	sent := state.Record{Fingerprint: "abc", Facts: facts{Findings: []mapping.Kind{mapping.InactiveOwner}}.String()}
	for _, tc := range []struct {
		name   string
		mode   string
		set    string
		before state.Record
		known  bool
		want   bool
	}{
		{"hard", DeleteHard, mapping.Contacts, sent, true, false},
		{"flag", DeleteFlag, mapping.Contacts, sent, true, true},
		{"flag, a connection", DeleteFlag, mapping.Connections, sent, true, false},
		{"flag, never seen", DeleteFlag, mapping.Contacts, state.Record{}, false, false},
		{"flag, out of scope", DeleteFlag, mapping.Accounts, state.Record{Fingerprint: outFingerprint}, true, false},
		{"flag, flagged already", DeleteFlag, mapping.Leads, state.Record{Fingerprint: deletedFingerprint}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Connector{cfg: Config{DeleteMode: tc.mode}}
			p := emptyPlan()
			if got := c.flagDelete(p, tc.set, "x1", tc.before, tc.known); got != tc.want {
				t.Fatalf("flagDelete = %v, want %v", got, tc.want)
			}
			if tc.name == "flag" {
				if len(p.findings) != 1 || p.findings[0].Kind != deletedInCRM || len(p.resolved) != 1 ||
					len(p.commit.Put) != 1 || p.commit.Put[0].Fingerprint != deletedFingerprint {
					t.Errorf("flag: findings %v, resolved %v, stored %v", p.findings, p.resolved, p.commit.Put)
				}
			}
		})
	}
}
