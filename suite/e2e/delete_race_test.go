package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// TestDeleteRacingCreateLeavesNoOrphans deletes a company at the moment leads naming it are
// synced, round after round, over REST: with one orchestrator on SQLite, and with two
// replicas of the suite sharing one PostgreSQL database (the delete sent to one, the leads
// to the other); each round's leads are new ones and existing ones moved to the company.
// Whichever wins, the sync order must hold afterwards: either the company still exists, or no
// stored lead names it.
func TestDeleteRacingCreateLeavesNoOrphans(t *testing.T) {
	t.Parallel()
	t.Run("one orchestrator on SQLite", func(t *testing.T) {
		t.Parallel()
		s := startSuite(t, "")
		raceDeletesAndCreates(t, s.base, s.base, s.token())
	})
	t.Run("two replicas on PostgreSQL", func(t *testing.T) {
		t.Parallel()
		db := "MSISYNC_DATABASE_URL=" + pgtest.NewDatabase(t)
		a := startSuite(t, "", db)
		b := startSuite(t, "", db)
		raceDeletesAndCreates(t, a.base, b.base, a.token())
	})
}

// raceDeletesAndCreates runs the rounds: deletes go to deleteBase, lead syncs to syncBase.
func raceDeletesAndCreates(t *testing.T, deleteBase, syncBase, tok string) {
	const rounds, leadsPerRound, movedPerRound = 20, 10, 5
	post := func(base, path string, body any) crashResult {
		r := crashPostJSON(base, path, tok, body)
		if r.err != nil || r.status != http.StatusOK || r.body["success"] != true {
			t.Fatalf("POST %s: %v", path, r)
		}
		return r
	}
	post(deleteBase, "/rest/v1/salespersons.json", map[string]any{"input": []map[string]any{{"externalSalesPersonId": "race-sp", "email": "race-sp@example.com"}}})
	// Leads that already exist and are moved to the company in its round (the reverse race).
	post(deleteBase, "/rest/v1/companies.json", map[string]any{"input": []map[string]any{{"externalCompanyId": "race-home", "company": "Home", "externalSalesPersonId": "race-sp"}}})
	var movers []map[string]any
	for r := range rounds {
		for i := range movedPerRound {
			movers = append(movers, map[string]any{"externalPersonId": fmt.Sprintf("race-mv-%d-%d", r, i), "email": fmt.Sprintf("race-mv-%d-%d@example.com", r, i),
				"externalCompanyId": "race-home", "externalSalesPersonId": "race-sp"})
		}
	}
	post(syncBase, "/rest/v1/leads.json", map[string]any{"lookupField": "externalPersonId", "input": movers})
	companies := make([]string, rounds)
	deleted, written := 0, 0
	for r := range rounds {
		companies[r] = fmt.Sprintf("race-co-%d", r)
		post(deleteBase, "/rest/v1/companies.json", map[string]any{"input": []map[string]any{{"externalCompanyId": companies[r], "company": "Race " + companies[r], "externalSalesPersonId": "race-sp"}}})
		leads := make([]map[string]any, leadsPerRound)
		for i := range leads {
			leads[i] = map[string]any{"externalPersonId": fmt.Sprintf("race-%d-%d", r, i), "email": fmt.Sprintf("race-%d-%d@example.com", r, i),
				"externalCompanyId": companies[r], "externalSalesPersonId": "race-sp"}
		}
		for _, m := range movers[r*movedPerRound : (r+1)*movedPerRound] {
			leads = append(leads, map[string]any{"externalPersonId": m["externalPersonId"], "externalCompanyId": companies[r]})
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		var del, syn crashResult
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			del = crashPostJSON(deleteBase, "/rest/v1/companies/delete.json", tok, map[string]any{"input": []map[string]any{{"externalCompanyId": companies[r]}}})
		}()
		go func() {
			defer wg.Done()
			<-start
			syn = crashPostJSON(syncBase, "/rest/v1/leads.json", tok, map[string]any{"lookupField": "externalPersonId", "input": leads})
		}()
		close(start)
		wg.Wait()
		for _, res := range []crashResult{del, syn} {
			if res.err != nil || res.status != http.StatusOK || res.body["success"] != true {
				t.Fatalf("round %d: %v", r, res)
			}
		}
		if strings.Join(del.outcomes(), ",") == "deleted" {
			deleted++
		}
		for _, o := range syn.outcomes() {
			if o == "created" || o == "updated" {
				written++
			}
		}
	}
	t.Logf("%d of %d deletes won the race; %d leads were written", deleted, rounds, written)

	// Stored state: a company's leads, read by externalCompanyId from both replicas.
	existing := map[string]bool{}
	r := crashQuery(deleteBase, "/rest/v1/companies.json", tok, url.Values{"filterType": {"externalCompanyId"}, "filterValues": {strings.Join(companies, ",")}})
	if r.err != nil || r.body["success"] != true {
		t.Fatalf("querying the companies: %v", r)
	}
	for _, c := range (response{body: r.body}).results() {
		existing[fmt.Sprint(c["externalCompanyId"])] = true
	}
	for _, base := range []string{deleteBase, syncBase} {
		r = crashQuery(base, "/rest/v1/leads.json", tok, url.Values{"filterType": {"externalCompanyId"}, "filterValues": {strings.Join(companies, ",")},
			"fields": {"externalPersonId,externalCompanyId"}, "batchSize": {"300"}})
		if r.err != nil || r.body["success"] != true {
			t.Fatalf("querying the leads by company: %v", r)
		}
		orphans := map[string]int{}
		for _, l := range (response{body: r.body}).results() {
			if co := fmt.Sprint(l["externalCompanyId"]); !existing[co] {
				orphans[co]++
			}
		}
		if len(orphans) > 0 {
			t.Errorf("leads name companies that no longer exist (company: leads): %v", orphans)
		}
	}
}
