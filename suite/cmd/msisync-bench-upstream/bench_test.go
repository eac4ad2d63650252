package main

import (
	"encoding/json"
	"testing"
	"time"
)

func TestScaleMixKeepsTheProportionsAndTheTotal(t *testing.T) {
	sp, co, le, op, ro := scaleMix(60000)
	if sp+co+le+op+ro != 60000 {
		t.Fatalf("scaleMix(60000) = %d+%d+%d+%d+%d, not 60000", sp, co, le, op, ro)
	}
	if sp != 35 || co != 3527 || op != 7055 || ro != 14109 || le != 35274 {
		t.Errorf("scaleMix(60000) = %d, %d, %d, %d, %d", sp, co, le, op, ro)
	}
	if sp, co, le, op, ro := scaleMix(5); sp != 1 || co != 1 || le != 1 || op != 1 || ro != 1 {
		t.Errorf("scaleMix(5) = %d, %d, %d, %d, %d, want one of each", sp, co, le, op, ro)
	}
}

// TestRunsCarryEveryParentNoLaterThanItsChild decodes the runs and checks that each child
// names a parent sent in the same run or an earlier one, and that no list exceeds 300.
func TestRunsCarryEveryParentNoLaterThanItsChild(t *testing.T) {
	m := generateMix(1, 9000)
	bodies, sizes, err := m.runs(1)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	total := 0
	for k, raw := range bodies {
		var b runBody
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{len(b.SalesPersons), len(b.Companies), len(b.Leads), len(b.Opportunities), len(b.Roles)} {
			if n > listMax {
				t.Fatalf("run %d has a list of %d", k, n)
			}
		}
		for _, s := range b.SalesPersons {
			seen[s.ExternalSalesPersonID] = true
		}
		for _, c := range b.Companies {
			seen[c.ExternalCompanyID] = true
		}
		for _, l := range b.Leads {
			seen[l.ExternalPersonID] = true
		}
		for _, o := range b.Opportunities {
			seen[o.ExternalOpportunityID] = true
		}
		need := func(kind, id string) {
			if !seen[id] {
				t.Fatalf("run %d: a %s names %s, not sent yet", k, kind, id)
			}
		}
		for _, c := range b.Companies {
			need("company", c.ExternalSalesPersonID)
		}
		for _, l := range b.Leads {
			need("lead", l.ExternalCompanyID)
			need("lead", l.ExternalSalesPersonID)
		}
		for _, o := range b.Opportunities {
			need("opportunity", o.ExternalCompanyID)
		}
		for _, r := range b.Roles {
			need("role", r.ExternalOpportunityID)
			need("role", r.ExternalPersonID)
		}
		total += sizes[k]
	}
	if total != 9000 || m.total() != 9000 {
		t.Errorf("runs hold %d records, the mix %d; want 9000", total, m.total())
	}
}

func TestInitialLoadEstimate(t *testing.T) {
	l := estimateInitialLoad()
	if l.writes != 5673 || l.backfill != 3334 || l.records != 1701000 {
		t.Errorf("estimate = %+v, want 5,673 writes and 3,334 backfill calls for 1,701,000 records", l)
	}
	if capRecordsPerSecond() != 1500 {
		t.Errorf("cap = %v records/s, want 1,500", capRecordsPerSecond())
	}
}

func TestWindowCounts(t *testing.T) {
	t0 := time.Unix(0, 0)
	var calls []call
	for i := range 5 {
		calls = append(calls, call{key: "POST /rest/v1/leads.json", start: t0.Add(time.Duration(i) * time.Second)})
	}
	calls = append(calls, call{key: tokenKey, start: t0})
	if n := maxInWindow(calls, 3*time.Second); n != 3 {
		t.Errorf("maxInWindow = %d, want 3", n)
	}
	if d := minSpan(calls, 2); d != 2*time.Second {
		t.Errorf("minSpan = %s, want 2s", d)
	}
	if d := minSpan(calls, 5); d != 0 {
		t.Errorf("minSpan past the calls = %s, want 0", d)
	}
}

func TestUpstreamStatusReadsGatewayInt64s(t *testing.T) {
	var s upstreamStatus
	raw := `{"mode":"upstream","objects":[{"object":"lead","pending":"12","delivered":"300"},{"object":"role","waiting":"1"}]}`
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	if s.Objects[0].Pending != 12 || s.Objects[0].Delivered != 300 || s.Objects[1].Waiting != 1 || s.settled() {
		t.Errorf("decoded %+v", s)
	}
	var done upstreamStatus
	_ = json.Unmarshal([]byte(`{"objects":[{"object":"lead","delivered":"5"}]}`), &done)
	if !done.settled() || (upstreamStatus{}).settled() {
		t.Error("settled: want true with nothing left, false with no objects")
	}
}
