package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// waitForRun polls GET /v1/syncs/{id} until the run's state is one of want, and returns
// the last answer.
func (s *suite) waitForRun(token, id string, want ...string) response {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.call(http.MethodGet, "/v1/syncs/"+id, token, "", nil)
		run, _ := r.body["syncRun"].(map[string]any)
		state, _ := run["state"].(string)
		for _, w := range want {
			if state == w {
				return r
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("run %s is %q after 30 s, want one of %v: %s", id, state, want, r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// createRun posts a change set and returns the run id.
func (s *suite) createRun(token string, body map[string]any) string {
	s.t.Helper()
	r := s.call(http.MethodPost, "/v1/syncs", token, "", body)
	run, _ := r.body["syncRun"].(map[string]any)
	id, _ := run["syncId"].(string)
	if r.status != http.StatusOK || id == "" {
		s.t.Fatalf("POST /v1/syncs = HTTP %d %s", r.status, r.raw)
	}
	return id
}

// counts returns, per object type, the run's counts.
func counts(r response) map[string]map[string]float64 {
	run, _ := r.body["syncRun"].(map[string]any)
	list, _ := run["counts"].([]any)
	out := map[string]map[string]float64{}
	for _, c := range list {
		m, _ := c.(map[string]any)
		kind, _ := m["objectType"].(string)
		out[kind] = map[string]float64{}
		for k, v := range m {
			if f, ok := v.(float64); ok {
				out[kind][k] = f
			}
		}
	}
	return out
}

func TestSyncRunInReverseOrderEndsFullyApplied(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	// The lists come roles first, sales persons last; the role names its lead by the CRM id.
	body := map[string]any{
		"opportunityRoles": []map[string]any{{"externalOpportunityId": "OPP-R1", "externalPersonId": "CONTACT-R1", "role": "Economic Buyer", "isPrimary": true}},
		"opportunities":    []map[string]any{{"externalOpportunityId": "opp-r1", "name": "Renewal", "externalCompanyId": "ACC-R1", "externalSalesPersonId": "USER-R1", "amount": 5000}},
		"leads":            []map[string]any{{"externalPersonId": "contact-r1", "email": "r1@example.com", "externalCompanyId": "acc-r1", "externalSalesPersonId": "user-r1"}},
		"companies":        []map[string]any{{"externalCompanyId": "acc-r1", "company": "Reverse Ltd", "externalSalesPersonId": "USER-R1"}},
		"salesPersons":     []map[string]any{{"externalSalesPersonId": "user-r1", "email": "owner-r1@example.com"}},
	}
	id := s.createRun(tok, body)
	r := s.waitForRun(tok, id, "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_FAILED")
	if state := r.body["syncRun"].(map[string]any)["state"]; state != "SYNC_RUN_STATE_COMPLETED" {
		t.Fatalf("run ended %v: %s", state, r.raw)
	}
	c := counts(r)
	for _, kind := range []string{"SYNC_OBJECT_TYPE_SALES_PERSON", "SYNC_OBJECT_TYPE_COMPANY", "SYNC_OBJECT_TYPE_LEAD", "SYNC_OBJECT_TYPE_OPPORTUNITY", "SYNC_OBJECT_TYPE_OPPORTUNITY_ROLE"} {
		if c[kind]["applied"] != 1 || c[kind]["total"] != 1 {
			t.Errorf("%s counts = %v, want 1 applied of 1", kind, c[kind])
		}
	}
	// Every outcome is applied, and the role is linked to the lead the CRM id named.
	outcomes, _ := r.body["outcomes"].([]any)
	if len(outcomes) != 5 {
		t.Errorf("run has %d outcomes, want 5: %s", len(outcomes), r.raw)
	}
	for _, o := range outcomes {
		if m := o.(map[string]any); m["state"] != "SYNC_RECORD_STATE_APPLIED" {
			t.Errorf("outcome not applied: %v", m)
		}
	}
	lead := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues=CONTACT-R1", tok, "", nil).results()
	roles := s.call(http.MethodGet, "/rest/v1/opportunities/roles.json?filterType=externalOpportunityId&filterValues=opp-r1&fields=leadId,role", tok, "", nil).results()
	if len(lead) != 1 || len(roles) != 1 || roles[0]["leadId"] != lead[0]["id"] || roles[0]["role"] != "Economic Buyer" {
		t.Errorf("role %v not linked to lead %v", roles, lead)
	}

	// The same change set again leaves the same state; the same requestId returns the run.
	again := s.waitForRun(tok, s.createRun(tok, body), "SYNC_RUN_STATE_COMPLETED")
	if c2 := counts(again); c2["SYNC_OBJECT_TYPE_LEAD"]["applied"] != 1 {
		t.Errorf("second run counts = %v", c2)
	}
	if n := len(s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalCompanyId&filterValues=acc-r1", tok, "", nil).results()); n != 1 {
		t.Errorf("after sending the change set twice the company has %d leads, want 1", n)
	}
	body["requestId"] = "crm-batch-42"
	first := s.createRun(tok, body)
	if second := s.createRun(tok, body); second != first {
		t.Errorf("requestId retried: run %s then %s, want the same run", first, second)
	}
}

func TestParkedLeadIsReleasedWhenItsCompanyArrives(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "")
	tok := s.token()
	first := s.createRun(tok, map[string]any{
		"salesPersons": []map[string]any{{"externalSalesPersonId": "user-p1"}},
		"leads": []map[string]any{
			{"externalPersonId": "lead-p1", "email": "p1@example.com", "externalCompanyId": "Globex", "externalSalesPersonId": "user-p1"},
		},
	})
	r := s.waitForRun(tok, first, "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_FAILED")
	if state := r.body["syncRun"].(map[string]any)["state"]; state != "SYNC_RUN_STATE_WAITING" {
		t.Fatalf("run with a lead whose company is missing ended %v: %s", state, r.raw)
	}
	pending := s.call(http.MethodGet, "/v1/pending", tok, "", nil)
	list, _ := pending.body["pendingRecords"].([]any)
	if len(list) != 1 {
		t.Fatalf("pending = %s, want the one lead", pending.raw)
	}
	if !strings.Contains(string(pending.raw), "Globex") || !strings.Contains(string(pending.raw), "1013") {
		t.Errorf("the pending entry does not say which company is missing: %s", pending.raw)
	}
	if n := len(s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues=lead-p1", tok, "", nil).results()); n != 0 {
		t.Fatalf("a parked lead was written")
	}

	// A later run brings the company (in another case); the lead is released and applied.
	second := s.createRun(tok, map[string]any{"companies": []map[string]any{{"externalCompanyId": "GLOBEX", "company": "Globex", "externalSalesPersonId": "USER-P1"}}})
	s.waitForRun(tok, second, "SYNC_RUN_STATE_COMPLETED")
	done := s.waitForRun(tok, first, "SYNC_RUN_STATE_COMPLETED")
	if c := counts(done); c["SYNC_OBJECT_TYPE_LEAD"]["applied"] != 1 || c["SYNC_OBJECT_TYPE_LEAD"]["parked"] != 0 {
		t.Errorf("first run lead counts after release = %v", c["SYNC_OBJECT_TYPE_LEAD"])
	}
	leads := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues=lead-p1&fields=externalCompanyId", tok, "", nil).results()
	if len(leads) != 1 || leads[0]["externalCompanyId"] != "Globex" {
		t.Errorf("released lead = %v", leads)
	}
	if after := s.call(http.MethodGet, "/v1/pending", tok, "", nil); len(after.body["pendingRecords"].([]any)) != 0 {
		t.Errorf("pending after release = %s", after.raw)
	}
}
