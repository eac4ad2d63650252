package e2e

import (
	"net/http"
	"strings"
	"testing"
)

const (
	auditorClientID     = "e2e-auditor"
	auditorClientSecret = "e2e-auditor-secret-0123456789"
)

// TestAuditorSeesEveryClientsRunsAndChangesNothing checks the auditor role
// (id:secret:auditor in MSISYNC_CLIENTS): it sees another client's sync run and parked
// record, as an admin does, and every call that would change them gets 603, as for a
// read-only client, leaving the record parked.
func TestAuditorSeesEveryClientsRunsAndChangesNothing(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_CLIENTS="+auditorClientID+":"+auditorClientSecret+":auditor")
	tok, auditor := s.token(), s.tokenFor(auditorClientID, auditorClientSecret)
	run := s.createRun(tok, map[string]any{
		"salesPersons": []map[string]any{{"externalSalesPersonId": "aud-owner"}},
		"leads":        []map[string]any{{"externalPersonId": "aud-lead", "email": "aud@example.com", "externalCompanyId": "aud-missing-co", "externalSalesPersonId": "aud-owner"}},
	})
	if r := s.waitForRun(tok, run, "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_FAILED"); runState(r) != "SYNC_RUN_STATE_WAITING" {
		t.Fatalf("run %s ended %s, want waiting: %s", run, runState(r), r.raw)
	}

	// The auditor sees the other client's run, in the list and by id, and its parked record.
	if r := s.call(http.MethodGet, "/v1/syncs/"+run, auditor, "", nil); r.status != http.StatusOK || runState(r) != "SYNC_RUN_STATE_WAITING" {
		t.Errorf("auditor reading %s's run: HTTP %d %s; want it", testClientID, r.status, r.raw)
	}
	if r := s.call(http.MethodGet, "/v1/syncs", auditor, "", nil); r.status != http.StatusOK || !strings.Contains(string(r.raw), run) {
		t.Errorf("auditor listing the runs: HTTP %d %s; want %s's run listed", r.status, truncate(r.raw), testClientID)
	}
	if got := s.pendingKeys(auditor, ""); strings.Join(got, ",") != "aud-lead" {
		t.Errorf("auditor's pending list = %v, want [aud-lead]", got)
	}
	if got := s.pendingKeys(auditor, "?syncId="+run); strings.Join(got, ",") != "aud-lead" {
		t.Errorf("auditor's pending list of %s = %v, want [aud-lead]", run, got)
	}
	if r := s.call(http.MethodGet, "/v1/dead-letters", auditor, "", nil); r.status != http.StatusOK {
		t.Errorf("auditor listing the dead letters: HTTP %d %s", r.status, r.raw)
	}

	// Retry, drop and a new run are refused with 603, and the record stays parked.
	id := s.pendingIDOf(auditor, "aud-lead")
	for _, op := range []string{"retry", "drop"} {
		r := s.call(http.MethodPost, "/v1/pending:"+op, auditor, "", map[string]any{"pendingIds": []string{id}})
		if r.status != http.StatusForbidden || !strings.Contains(string(r.raw), `"marketoCode":"603"`) || !strings.Contains(string(r.raw), "auditor") {
			t.Errorf("auditor %s of a parked record: HTTP %d %s; want 603 naming the auditor role", op, r.status, r.raw)
		}
	}
	if r := s.call(http.MethodPost, "/v1/syncs", auditor, "", map[string]any{"salesPersons": []map[string]any{{"externalSalesPersonId": "aud-2"}}}); r.status != http.StatusForbidden {
		t.Errorf("auditor creating a sync run: HTTP %d %s; want 403 (603)", r.status, r.raw)
	}
	if r := s.call(http.MethodPost, "/rest/v1/leads.json", auditor, "", map[string]any{"input": []map[string]any{{"email": "x@example.com"}}}); r.errorCode() != "603" {
		t.Errorf("auditor syncing a lead over REST: %s; want 603", r.raw)
	}
	if got := s.pendingKeys(tok, ""); strings.Join(got, ",") != "aud-lead" {
		t.Errorf("%s's pending list after the auditor's attempts = %v, want aud-lead still parked", testClientID, got)
	}
	if r := s.call(http.MethodGet, "/v1/syncs/"+run, tok, "", nil); runState(r) != "SYNC_RUN_STATE_WAITING" {
		t.Errorf("run after the auditor's attempts: %s, want still waiting", r.raw)
	}
}
