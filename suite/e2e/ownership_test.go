package e2e

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

const (
	otherClientID     = "e2e-other"
	otherClientSecret = "e2e-other-secret-0123456789"
	adminClientID     = "e2e-admin"
	adminClientSecret = "e2e-admin-secret-0123456789"
)

// twoClients starts a suite with a second read-write client and an admin client besides
// the test client.
func twoClients(t *testing.T, extra ...string) *suite {
	t.Helper()
	return startSuite(t, "", append([]string{"MSISYNC_CLIENTS=" + otherClientID + ":" + otherClientSecret + "," +
		adminClientID + ":" + adminClientSecret + ":admin"}, extra...)...)
}

// runState returns the state of a run in a GET /v1/syncs/{id} answer.
func runState(r response) string {
	run, _ := r.body["syncRun"].(map[string]any)
	state, _ := run["state"].(string)
	return state
}

func TestRequestIDBelongsToItsClient(t *testing.T) {
	t.Parallel()
	s := twoClients(t)
	a, b := s.token(), s.tokenFor(otherClientID, otherClientSecret)
	bodyA := map[string]any{"requestId": "crm-batch-7", "salesPersons": []map[string]any{{"externalSalesPersonId": "OWN-A", "email": "a@example.com"}}}
	bodyB := map[string]any{"requestId": "crm-batch-7", "salesPersons": []map[string]any{{"externalSalesPersonId": "OWN-B", "email": "b@example.com"}}}
	runA := s.createRun(a, bodyA)
	runB := s.createRun(b, bodyB)
	if runA == runB {
		t.Fatalf("client %s reusing client %s's requestId got its run %s back; want a run of its own", otherClientID, testClientID, runA)
	}
	for tok, id := range map[string]string{a: runA, b: runB} {
		if r := s.waitForRun(tok, id, "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_FAILED"); runState(r) != "SYNC_RUN_STATE_COMPLETED" {
			t.Errorf("run %s ended %s: %s", id, runState(r), r.raw)
		}
	}
	// Both clients' records were written.
	got := s.call(http.MethodGet, "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=OWN-A,OWN-B&fields=externalSalesPersonId,email", a, "", nil).results()
	emails := map[string]any{}
	for _, sp := range got {
		emails[sp["externalSalesPersonId"].(string)] = sp["email"]
	}
	if emails["OWN-A"] != "a@example.com" || emails["OWN-B"] != "b@example.com" {
		t.Errorf("sales persons after both runs = %v; want OWN-A and OWN-B written", got)
	}
	// Each client retrying its requestId gets its own run back.
	if again := s.createRun(a, bodyA); again != runA {
		t.Errorf("client %s retrying its requestId got run %s, want %s", testClientID, again, runA)
	}
	if again := s.createRun(b, bodyB); again != runB {
		t.Errorf("client %s retrying its requestId got run %s, want %s", otherClientID, again, runB)
	}
}

// pendingKeys returns the keys on a client's pending list (a query string may filter it).
func (s *suite) pendingKeys(tok, query string) []string {
	s.t.Helper()
	r := s.call(http.MethodGet, "/v1/pending"+query, tok, "", nil)
	if r.status != http.StatusOK {
		s.t.Fatalf("GET /v1/pending%s = HTTP %d %s", query, r.status, r.raw)
	}
	list, _ := r.body["pendingRecords"].([]any)
	var out []string
	for _, p := range list {
		k, _ := p.(map[string]any)["key"].(string)
		out = append(out, k)
	}
	return out
}

// pendingIDOf returns the pending id of the record with the key on the client's list.
func (s *suite) pendingIDOf(tok, key string) string {
	s.t.Helper()
	r := s.call(http.MethodGet, "/v1/pending", tok, "", nil)
	list, _ := r.body["pendingRecords"].([]any)
	for _, p := range list {
		m := p.(map[string]any)
		if m["key"] == key {
			id, _ := m["pendingId"].(string)
			return id
		}
	}
	s.t.Fatalf("%s is not on the pending list: %s", key, r.raw)
	return ""
}

// outcomeStates returns the states of a retry or drop answer's outcomes.
func outcomeStates(r response) []string {
	list, _ := r.body["outcomes"].([]any)
	var out []string
	for _, o := range list {
		st, _ := o.(map[string]any)["state"].(string)
		out = append(out, st)
	}
	return out
}

func TestClientsSeeAndManageOnlyTheirOwnRuns(t *testing.T) {
	t.Parallel()
	s := twoClients(t)
	a, b := s.token(), s.tokenFor(otherClientID, otherClientSecret)
	admin := s.tokenFor(adminClientID, adminClientSecret)
	// Each client parks a lead whose company is missing.
	parked := func(tok, lead, company string) string {
		id := s.createRun(tok, map[string]any{
			"salesPersons": []map[string]any{{"externalSalesPersonId": "owner-" + lead}},
			"leads":        []map[string]any{{"externalPersonId": lead, "email": lead + "@example.com", "externalCompanyId": company, "externalSalesPersonId": "owner-" + lead}},
		})
		if r := s.waitForRun(tok, id, "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_FAILED"); runState(r) != "SYNC_RUN_STATE_WAITING" {
			t.Fatalf("run %s ended %s, want waiting: %s", id, runState(r), r.raw)
		}
		return id
	}
	runA := parked(a, "lead-a", "company-a")
	runB := parked(b, "lead-b", "company-b")

	// Another client's run is not found, as an id that names none; an admin sees it.
	r := s.call(http.MethodGet, "/v1/syncs/"+runA, b, "", nil)
	if c, _ := r.body["code"].(float64); r.status != http.StatusNotFound || codes.Code(c) != codes.NotFound || strings.Contains(string(r.raw), "lead-a") {
		t.Errorf("client %s reading %s's run: HTTP %d %s; want 404 NotFound revealing nothing", otherClientID, testClientID, r.status, r.raw)
	}
	unknown := s.call(http.MethodGet, "/v1/syncs/00000000-0000-4000-8000-000000000000", b, "", nil)
	if unknown.status != r.status {
		t.Errorf("another client's run answers HTTP %d, an unknown run %d; want the same", r.status, unknown.status)
	}
	if r := s.call(http.MethodGet, "/v1/syncs/"+runA, admin, "", nil); r.status != http.StatusOK || runState(r) != "SYNC_RUN_STATE_WAITING" {
		t.Errorf("admin reading %s's run: HTTP %d %s", testClientID, r.status, r.raw)
	}

	// Each client's pending list holds only its records; the admin's holds both.
	if got := s.pendingKeys(a, ""); strings.Join(got, ",") != "lead-a" {
		t.Errorf("%s's pending list = %v, want [lead-a]", testClientID, got)
	}
	if got := s.pendingKeys(b, ""); strings.Join(got, ",") != "lead-b" {
		t.Errorf("%s's pending list = %v, want [lead-b]", otherClientID, got)
	}
	if got := s.pendingKeys(b, "?syncId="+runA); len(got) != 0 {
		t.Errorf("%s's pending list filtered by %s's run = %v, want empty", otherClientID, testClientID, got)
	}
	if got := s.pendingKeys(admin, ""); len(got) != 2 {
		t.Errorf("admin's pending list = %v, want both clients' records", got)
	}
	if r := s.call(http.MethodGet, "/v1/dead-letters", b, "", nil); r.status != http.StatusOK || strings.Contains(string(r.raw), "lead-a") {
		t.Errorf("%s's dead letters: HTTP %d %s", otherClientID, r.status, r.raw)
	}

	// Retrying or dropping another client's record answers not found and leaves it parked.
	idA, idB := s.pendingIDOf(a, "lead-a"), s.pendingIDOf(b, "lead-b")
	for _, op := range []string{"retry", "drop"} {
		r := s.call(http.MethodPost, "/v1/pending:"+op, b, "", map[string]any{"pendingIds": []string{idA}})
		if got := outcomeStates(r); r.status != http.StatusOK || len(got) != 1 || got[0] != "SYNC_RECORD_STATE_NOT_FOUND" || strings.Contains(string(r.raw), "lead-a") {
			t.Errorf("client %s %s of %s's record: HTTP %d %s; want it not found", otherClientID, op, testClientID, r.status, r.raw)
		}
	}
	if got := s.pendingKeys(a, ""); strings.Join(got, ",") != "lead-a" {
		t.Errorf("%s's pending list after %s's retry and drop = %v, want lead-a still parked", testClientID, otherClientID, got)
	}
	// The admin manages any client's records.
	if r := s.call(http.MethodPost, "/v1/pending:drop", admin, "", map[string]any{"pendingIds": []string{idB}}); strings.Join(outcomeStates(r), ",") != "SYNC_RECORD_STATE_DROPPED" {
		t.Errorf("admin dropping %s's record: %s", otherClientID, r.raw)
	}
	if got := s.pendingKeys(b, ""); len(got) != 0 {
		t.Errorf("%s's pending list after the admin's drop = %v, want empty", otherClientID, got)
	}
	if r := s.waitForRun(b, runB, "SYNC_RUN_STATE_COMPLETED"); counts(r)["SYNC_OBJECT_TYPE_LEAD"]["dropped"] != 1 {
		t.Errorf("%s's run after the admin's drop: %s", otherClientID, r.raw)
	}

	// Release stays global: another client's company releases the parked lead.
	company := s.waitForRun(b, s.createRun(b, map[string]any{"companies": []map[string]any{{"externalCompanyId": "COMPANY-A", "company": "A Inc", "externalSalesPersonId": "OWNER-LEAD-A"}}}), "SYNC_RUN_STATE_COMPLETED")
	if counts(company)["SYNC_OBJECT_TYPE_COMPANY"]["applied"] != 1 {
		t.Fatalf("%s's company run: %s", otherClientID, company.raw)
	}
	if r := s.waitForRun(a, runA, "SYNC_RUN_STATE_COMPLETED"); counts(r)["SYNC_OBJECT_TYPE_LEAD"]["applied"] != 1 {
		t.Errorf("%s's run after %s's company arrived: %s", testClientID, otherClientID, r.raw)
	}
	if n := len(s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues=lead-a", a, "", nil).results()); n != 1 {
		t.Errorf("released lead-a: %d leads, want 1", n)
	}
}
