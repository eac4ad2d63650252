package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestScoringAndInsight drives the MSI insight end to end: 200 leads scored 0..199, tiers
// recomputed, a hot lead, interesting moments, activities, Best Bets, diagnostics and the
// writeback feed.
func TestScoringAndInsight(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	start := time.Now().Add(-time.Second).UTC()
	ok := func(r response) response {
		t.Helper()
		if r.status != http.StatusOK || r.body["success"] == false {
			t.Fatalf("HTTP %d %s", r.status, truncate(r.raw))
		}
		return r
	}
	ok(s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{"input": []map[string]any{{"externalSalesPersonId": "rep-1", "email": "rep1@example.com"}}}))
	ok(s.call(http.MethodPost, "/rest/v1/companies.json", tok, "", map[string]any{"input": []map[string]any{{"externalCompanyId": "acme", "company": "Acme", "externalSalesPersonId": "rep-1"}}}))
	var leads, changes []map[string]any
	for i := range 200 {
		id := fmt.Sprintf("p-%03d", i)
		leads = append(leads, map[string]any{"externalPersonId": id, "email": id + "@example.com", "firstName": "P", "lastName": id, "externalCompanyId": "acme", "externalSalesPersonId": "rep-1"})
		changes = append(changes, map[string]any{"externalPersonId": strings.ToUpper(id), "newValue": i, "reason": "seeded"})
	}
	r := ok(s.call(http.MethodPost, "/rest/v1/leads.json", tok, "", map[string]any{"lookupField": "externalPersonId", "input": leads}))
	for _, o := range outcomes(r) {
		if o != "created" {
			t.Fatalf("lead sync: %s", truncate(r.raw))
		}
	}
	sc := ok(s.call(http.MethodPost, "/v1/score-changes", tok, "", map[string]any{"changes": changes}))
	if res, _ := sc.body["results"].([]any); len(res) != 200 {
		t.Fatalf("score changes answered %d results: %s", len(res), truncate(sc.raw))
	}
	unknown := s.call(http.MethodPost, "/v1/score-changes", tok, "", map[string]any{"changes": []map[string]any{{"externalPersonId": "nobody", "delta": 5}}})
	if !strings.Contains(string(unknown.raw), "SKIPPED") || !strings.Contains(string(unknown.raw), "1004") {
		t.Errorf("a score change for an unknown person was not reported per item: %s", unknown.raw)
	}
	ok(s.call(http.MethodPost, "/v1/scoring/tiers:recompute", tok, "", map[string]any{}))

	// Stars are monotonic in score: 3 at the top, 0 at score 0.
	read := func() map[string]map[string]any {
		t.Helper()
		out := map[string]map[string]any{}
		token := ""
		for page := 0; page < 5; page++ {
			q := url.Values{"filterType": {"externalCompanyId"}, "filterValues": {"acme"}, "batchSize": {"300"},
				"fields": {"externalPersonId,leadScore,urgency,relativeScore,relativeScoring,relativeUrgency,priority,msiLastInterestingMomentDesc,msiLastInterestingMomentType"}}
			if token != "" {
				q.Set("nextPageToken", token)
			}
			r := ok(s.call(http.MethodGet, "/rest/v1/leads.json?"+q.Encode(), tok, "", nil))
			for _, item := range r.results() {
				out[item["externalPersonId"].(string)] = item
			}
			next, _ := r.body["nextPageToken"].(string)
			if more, _ := r.body["moreResult"].(bool); !more {
				break
			}
			token = next
		}
		return out
	}
	got := read()
	if len(got) != 200 {
		t.Fatalf("read back %d leads, want 200", len(got))
	}
	ids := make([]string, 0, 200)
	for id := range got {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return got[ids[i]]["leadScore"].(float64) < got[ids[j]]["leadScore"].(float64) })
	prev := -1.0
	for _, id := range ids {
		stars := got[id]["relativeScore"].(float64)
		if stars < prev {
			t.Fatalf("stars not monotonic in score: %s has %v stars after %v", id, stars, prev)
		}
		prev = stars
		if got[id]["relativeScoring"] != got[id]["relativeScore"] {
			t.Errorf("relativeScoring alias %v differs from relativeScore %v", got[id]["relativeScoring"], got[id]["relativeScore"])
		}
	}
	if top := got["p-199"]; top["relativeScore"] != 3.0 || top["leadScore"] != 199.0 {
		t.Errorf("top lead = %v, want score 199 and 3 stars", top)
	}
	if bottom := got["p-000"]; bottom["relativeScore"] != 0.0 {
		t.Errorf("score-0 lead = %v, want 0 stars", bottom)
	}

	// A fresh +500 jump: more urgency, at least one flame, higher priority, at once.
	before := got["p-010"]
	jump := ok(s.call(http.MethodPost, "/v1/score-changes", tok, "", map[string]any{"changes": []map[string]any{{"externalPersonId": "p-010", "delta": 500, "reason": "Visited pricing page 5 times"}}}))
	after := read()["p-010"]
	if after["urgency"].(float64) <= before["urgency"].(float64) || after["relativeUrgency"].(float64) < 1 || after["priority"].(float64) <= before["priority"].(float64) {
		t.Errorf("+500 jump: before %v, after %v; want more urgency, ≥ 1 flame, higher priority (answer %s)", before, after, truncate(jump.raw))
	}

	// Of two moments the newest wins, whatever order they arrive in.
	ok(s.call(http.MethodPost, "/v1/interesting-moments", tok, "", map[string]any{"moments": []map[string]any{
		{"externalPersonId": "p-010", "type": "Web", "description": "Visited pricing page", "source": "Web", "date": time.Now().UTC().Format(time.RFC3339)},
		{"externalPersonId": "p-010", "type": "Email", "description": "Opened the March newsletter", "source": "Email", "date": time.Now().Add(-48 * time.Hour).UTC().Format(time.RFC3339)},
	}}))
	if m := read()["p-010"]; m["msiLastInterestingMomentDesc"] != "Visited pricing page" || m["msiLastInterestingMomentType"] != "Web" {
		t.Errorf("last interesting moment = %v, want the newer Web moment", m)
	}

	// Moments show up as Marketo activity type 46.
	pt := ok(s.call(http.MethodGet, "/rest/v1/activities/pagingtoken.json?sinceDatetime="+url.QueryEscape(start.Format(time.RFC3339)), tok, "", nil))
	next, _ := pt.body["nextPageToken"].(string)
	acts := ok(s.call(http.MethodGet, "/rest/v1/activities.json?activityTypeIds=46&nextPageToken="+url.QueryEscape(next), tok, "", nil))
	var descs []string
	for _, a := range acts.results() {
		if a["activityTypeId"] != 46.0 {
			t.Errorf("activity of type %v in a type-46 query", a["activityTypeId"])
		}
		descs = append(descs, fmt.Sprint(a["primaryAttributeValue"]))
	}
	if !strings.Contains(strings.Join(descs, "|"), "Visited pricing page") || len(descs) != 2 {
		t.Errorf("interesting-moment activities = %v", descs)
	}
	types := ok(s.call(http.MethodGet, "/rest/v1/activities/types.json", tok, "", nil))
	if !strings.Contains(string(types.raw), "Interesting Moment") || !strings.Contains(string(types.raw), "Change Score") {
		t.Errorf("activity types = %s", truncate(types.raw))
	}

	// Best Bets lists the hot lead first.
	bb := s.call(http.MethodGet, "/v1/salespersons/REP-1/best-bets?pageSize=5", tok, "", nil)
	bets, _ := bb.body["bestBets"].([]any)
	if len(bets) == 0 || bets[0].(map[string]any)["externalPersonId"] != "p-010" {
		t.Errorf("best bets = %s, want p-010 first", truncate(bb.raw))
	}

	// Diagnostics explain a linked person and an unknown one.
	d := s.call(http.MethodGet, "/v1/diagnostics/persons/P-010", tok, "", nil)
	if d.status != http.StatusOK || d.body["passed"] != true || strings.Contains(string(d.raw), "not synced") {
		t.Errorf("diagnostics of a linked person = %s", d.raw)
	}
	u := s.call(http.MethodGet, "/v1/diagnostics/persons/ghost-42", tok, "", nil)
	if u.status != http.StatusOK || u.body["passed"] == true || !strings.Contains(string(u.raw), "not synced") {
		t.Errorf("diagnostics of an unknown person = %s", u.raw)
	}

	// The writeback feed: Dynamics columns, and a cursor that moves on.
	w1 := s.call(http.MethodGet, "/v1/writeback/changes?pageSize=50", tok, "", nil)
	ch1, _ := w1.body["changes"].([]any)
	cursor, _ := w1.body["nextCursor"].(string)
	if len(ch1) != 50 || cursor == "" {
		t.Fatalf("first writeback page = %d changes, cursor %q: %s", len(ch1), cursor, truncate(w1.raw))
	}
	first := ch1[0].(map[string]any)
	cols, _ := first["columns"].(map[string]any)
	for _, c := range []string{"mkt_leadscore", "mkt_priority", "mkt_relativescore", "mkt_urgency"} {
		if _, ok := cols[c]; !ok {
			t.Errorf("writeback change lacks column %s: %v", c, first)
		}
	}
	if first["externalPersonId"] == "" {
		t.Errorf("writeback change not keyed by externalPersonId: %v", first)
	}
	w2 := s.call(http.MethodGet, "/v1/writeback/changes?pageSize=50&cursor="+url.QueryEscape(cursor), tok, "", nil)
	ch2, _ := w2.body["changes"].([]any)
	if len(ch2) == 0 || fmt.Sprint(ch2[0]) == fmt.Sprint(ch1[0]) || w2.body["nextCursor"] == cursor {
		t.Errorf("the cursor did not move on: %s", truncate(w2.raw))
	}
}
