package e2e

import (
	"net/http"
	"testing"
	"time"
)

// TestDeadLetterIsRetriedAutomaticallyAfterItsParentAppears runs the suite with dead
// letters retried every second (MSISYNC_DEAD_LETTER_RETRY=1s): a lead whose company is
// missing expires to the dead-letter list, which shows its automatic retries and the next
// one; once the company is synced through the Marketo API, the lead is applied without
// anyone retrying it, and the store kept the retries it took.
func TestDeadLetterIsRetriedAutomaticallyAfterItsParentAppears(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_PARK_TTL=1s", "MSISYNC_DEAD_LETTER_RETRY=1s", "MSISYNC_DEAD_LETTER_RETRY_MAX_AGE=1h")
	tok := s.token()
	run := s.createRun(tok, map[string]any{
		"salesPersons": []map[string]any{{"externalSalesPersonId": "dlr-owner"}},
		"leads": []map[string]any{{"externalPersonId": "dlr-lead", "email": "dlr-lead@example.com",
			"externalCompanyId": "dlr-co", "externalSalesPersonId": "dlr-owner"}},
	})

	// The lead parks, expires after a second, and is retried automatically: parked again,
	// dead again, each time with its next retry scheduled.
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := s.call(http.MethodGet, "/v1/dead-letters", tok, "", nil)
		list, _ := r.body["deadLetters"].([]any)
		if len(list) == 1 {
			d, _ := list[0].(map[string]any)
			if n, _ := d["automaticRetryCount"].(float64); n >= 1 && d["nextRetryTime"] != nil && d["key"] == "dlr-lead" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("dead letters after 20 s: %s; want dlr-lead retried automatically at least once, with its next retry", r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The company arrives through the Marketo API, not through a sync run.
	r := s.call(http.MethodPost, "/rest/v1/companies.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalCompanyId": "dlr-co", "company": "Retried Ltd", "externalSalesPersonId": "dlr-owner"},
	}})
	if r.status != http.StatusOK || r.body["success"] != true {
		t.Fatalf("syncing the company: HTTP %d %s", r.status, r.raw)
	}
	// The run completed when its lead was dead-lettered: wait for the lead to be applied.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		done := s.waitForRun(tok, run, "SYNC_RUN_STATE_COMPLETED")
		if counts(done)["SYNC_OBJECT_TYPE_LEAD"]["applied"] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run 20 s after the company arrived: %s; want its lead applied", done.raw)
		}
	}
	if leads := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues=dlr-lead&fields=externalCompanyId", tok, "", nil).results(); len(leads) != 1 || leads[0]["externalCompanyId"] != "dlr-co" {
		t.Errorf("lead query for dlr-lead = %v, want it with its company", leads)
	}
	if d := s.call(http.MethodGet, "/v1/dead-letters", tok, "", nil); len(d.body["deadLetters"].([]any)) != 0 {
		t.Errorf("dead letters after the company arrived: %s, want none", d.raw)
	}
	var state string
	var retries int
	if err := orchestratorDB(t, s).QueryRow("SELECT state, retries FROM sync_records WHERE run_id = ? AND rec_key = 'dlr-lead'", run).Scan(&state, &retries); err != nil {
		t.Fatal(err)
	}
	if state != "applied" || retries < 1 {
		t.Errorf("stored lead: %s after %d automatic retries, want applied after at least one", state, retries)
	}
}
