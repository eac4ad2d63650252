package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// TestBadValuesAreRefusedPerRecord sends values no database should see — a NUL character,
// another C0 control character — in plain fields, in custom fields and in external ids (the
// records' keys and their parents' keys), over REST and in a sync run, on SQLite and on
// PostgreSQL (which rejects 0x00 in text). Each such record alone is skipped with 1001
// naming the field; the others in its batch are written; nothing answers HTTP 500; and a
// sync run completes at once with the bad records rejected and their reasons.
func TestBadValuesAreRefusedPerRecord(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			var extra []string
			if engine == "postgres" {
				extra = append(extra, "MSISYNC_DATABASE_URL="+pgtest.NewDatabase(t))
			}
			s := startSuite(t, "", extra...)
			checkBadValues(t, s, s.token())
		})
	}
}

func checkBadValues(t *testing.T, s *suite, tok string) {
	r := s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalSalesPersonId": "bv-sp", "email": "bv-sp@example.com"},
		{"externalSalesPersonId": "bv-sp-bad\x00", "email": "bv-sp2@example.com"},
	}})
	if got := outcomesOf(r); strings.Join(got, ",") != "created,skipped 1001" {
		t.Errorf("sales persons with a NUL in one key: HTTP %d %v %s", r.status, got, r.raw)
	}
	r = s.call(http.MethodPost, "/rest/v1/companies.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalCompanyId": "bv-co", "company": "Good Ltd", "externalSalesPersonId": "bv-sp"},
		{"externalCompanyId": "bv-co-bad", "company": "Bad\x00 Ltd", "externalSalesPersonId": "bv-sp"},
		{"externalCompanyId": "bv-co\x00x", "company": "Bad key Ltd", "externalSalesPersonId": "bv-sp"},
	}})
	if got := outcomesOf(r); strings.Join(got, ",") != "created,skipped 1001,skipped 1001" {
		t.Errorf("companies with NULs: HTTP %d %v %s", r.status, got, r.raw)
	}

	// 300 leads, five of them bad in different places: the 295 others are created.
	bad := map[int]map[string]any{
		7:   {"title": "Head of\x00 Sales"},
		50:  {"externalCompanyId": "bv-co\x00"},
		120: {"externalPersonId": "bv-lead-\x00120"},
		200: {"firstName": "Bell\x07"},
		299: {"bvCustom": "nul\x00"},
	}
	input := make([]map[string]any, 300)
	for i := range input {
		input[i] = map[string]any{"externalPersonId": "bv-lead-" + strconv.Itoa(i), "email": "bv-" + strconv.Itoa(i) + "@example.com",
			"externalCompanyId": "bv-co", "externalSalesPersonId": "bv-sp", "title": "Line one\r\nline two\tend"}
		for k, v := range bad[i] {
			input[i][k] = v
		}
	}
	r = s.call(http.MethodPost, "/rest/v1/leads.json", tok, "", map[string]any{"lookupField": "externalPersonId", "input": input})
	got := outcomesOf(r)
	if r.status != http.StatusOK || len(got) != 300 {
		t.Fatalf("300 leads, 5 with bad values: HTTP %d %s", r.status, truncate(r.raw))
	}
	for i, o := range got {
		want := "created"
		if bad[i] != nil {
			want = "skipped 1001"
		}
		if o != want {
			t.Errorf("lead %d: %s, want %s", i, o, want)
		}
	}
	for i, item := range r.results() {
		if bad[i] == nil {
			continue
		}
		var field string
		for k := range bad[i] {
			field = k
		}
		if !strings.Contains(fmt.Sprint(item), "'"+field+"'") {
			t.Errorf("lead %d's reason does not name the field %s: %v", i, field, item)
		}
	}
	stored := queryLeads(t, s.base, tok, []string{"bv-lead-0", "bv-lead-7", "bv-lead-299", "bv-lead-298"})
	if len(stored) != 2 || stored["bv-lead-0"] == nil || stored["bv-lead-298"] == nil {
		t.Errorf("stored leads = %v, want bv-lead-0 and bv-lead-298 only", stored)
	}

	// Keys in deletes and queries: refused, never a database error.
	r = s.call(http.MethodPost, "/rest/v1/companies/delete.json", tok, "", map[string]any{"input": []map[string]any{{"externalCompanyId": "bv-co\x00"}}})
	if got := outcomesOf(r); r.status != http.StatusOK || strings.Join(got, ",") != "skipped 1001" {
		t.Errorf("delete of a company key with a NUL: HTTP %d %s", r.status, r.raw)
	}
	for _, q := range []struct{ path, filter string }{
		{"/rest/v1/leads.json", "externalCompanyId"}, {"/rest/v1/leads.json", "email"},
		{"/rest/v1/companies.json", "externalCompanyId"}, {"/rest/v1/salespersons.json", "externalSalesPersonId"},
	} {
		r = s.call(http.MethodGet, q.path+"?"+url.Values{"filterType": {q.filter}, "filterValues": {"bv\x00"}}.Encode(), tok, "", nil)
		if r.status != http.StatusOK || r.errorCode() != "1003" {
			t.Errorf("query %s by %s with a NUL: HTTP %d %s, want 1003", q.path, q.filter, r.status, r.raw)
		}
	}

	// A sync run: the bad records are rejected with their reasons, the run completes.
	id := s.createRun(tok, map[string]any{"leads": []map[string]any{
		{"externalPersonId": "bv-run-1", "email": "bv-run-1@example.com", "externalCompanyId": "bv-co"},
		{"externalPersonId": "bv-run-2", "email": "bv-run-2@example.com", "title": "x\x00y"},
		{"externalPersonId": "bv-run-3\x00", "email": "bv-run-3@example.com"},
		{"externalPersonId": "bv-run-4", "email": "bv-run-4@example.com"},
	}})
	run := s.waitForRun(tok, id, "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_FAILED", "SYNC_RUN_STATE_WAITING")
	if state := run.body["syncRun"].(map[string]any)["state"]; state != "SYNC_RUN_STATE_COMPLETED" {
		t.Fatalf("run with bad values ended %v: %s", state, run.raw)
	}
	c := counts(run)["SYNC_OBJECT_TYPE_LEAD"]
	if c["applied"] != 2 || c["rejected"] != 2 {
		t.Errorf("run counts = %v, want 2 applied and 2 rejected", c)
	}
	recs := s.call(http.MethodGet, "/v1/syncs/"+id+"?state=SYNC_RECORD_STATE_REJECTED", tok, "", nil)
	if !strings.Contains(string(recs.raw), "1001") || !strings.Contains(string(recs.raw), "'title'") || !strings.Contains(string(recs.raw), "'externalPersonId'") {
		t.Errorf("rejected records do not carry 1001 reasons naming the fields: %s", recs.raw)
	}
	if got := queryLeads(t, s.base, tok, []string{"bv-run-1", "bv-run-2", "bv-run-4"}); len(got) != 2 {
		t.Errorf("leads of the run stored = %v, want bv-run-1 and bv-run-4", got)
	}
}

// outcomesOf summarises every result item of an answer.
func outcomesOf(r response) []string {
	var out []string
	for _, item := range r.results() {
		out = append(out, outcome(item))
	}
	return out
}
