package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

// listedRun is one item of a GET /v1/syncs answer.
type listedRun struct {
	id, requestID, state, createTime string
	item                             map[string]any
}

// listRuns reads one page of GET /v1/syncs with the query; it fails the test unless the
// answer is 200.
func (s *suite) listRuns(tok, query string) (runs []listedRun, next string) {
	s.t.Helper()
	r := s.call(http.MethodGet, "/v1/syncs"+query, tok, "", nil)
	if r.status != http.StatusOK {
		s.t.Fatalf("GET /v1/syncs%s = HTTP %d %s", query, r.status, r.raw)
	}
	list, _ := r.body["syncRuns"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		str := func(k string) string { v, _ := m[k].(string); return v }
		runs = append(runs, listedRun{id: str("syncId"), requestID: str("requestId"), state: str("state"), createTime: str("createTime"), item: m})
	}
	next, _ = r.body["nextPageToken"].(string)
	return runs, next
}

// listAllRuns pages through GET /v1/syncs with the query, size runs a page, and returns
// the runs' ids in the order listed.
func (s *suite) listAllRuns(tok, query string, size int) []string {
	s.t.Helper()
	var ids []string
	token := ""
	for page := 1; ; page++ {
		q := fmt.Sprintf("?pageSize=%d", size)
		if query != "" {
			q += "&" + query
		}
		if token != "" {
			q += "&pageToken=" + url.QueryEscape(token)
		}
		runs, next := s.listRuns(tok, q)
		if len(runs) > size {
			s.t.Fatalf("page %d of GET /v1/syncs%s holds %d runs, more than pageSize", page, q, len(runs))
		}
		for _, r := range runs {
			ids = append(ids, r.id)
		}
		if next == "" {
			return ids
		}
		if page > 50 {
			s.t.Fatalf("GET /v1/syncs%s: still a next page after %d pages: %v", q, page, ids)
		}
		token = next
	}
}

func TestListSyncRunsFilteredPagedAndOwned(t *testing.T) {
	t.Parallel()
	s := twoClients(t)
	a, b := s.token(), s.tokenFor(otherClientID, otherClientSecret)
	admin := s.tokenFor(adminClientID, adminClientSecret)

	// Client a makes three runs that complete and one that waits for a missing company
	// (in that order); client b makes two that complete.
	create := func(tok, requestID string, body map[string]any, want string) string {
		body["requestId"] = requestID
		id := s.createRun(tok, body)
		if r := s.waitForRun(tok, id, "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_FAILED"); runState(r) != want {
			t.Fatalf("run %s ended %s, want %s: %s", requestID, runState(r), want, r.raw)
		}
		return id
	}
	salesPerson := func(key string) map[string]any {
		return map[string]any{"salesPersons": []map[string]any{{"externalSalesPersonId": key, "email": key + "@example.com"}}}
	}
	var runsA, runsB []string // oldest first
	for i := range 3 {
		runsA = append(runsA, create(a, fmt.Sprintf("list-a-%d", i), salesPerson(fmt.Sprintf("LIST-A-%d", i)), "SYNC_RUN_STATE_COMPLETED"))
		if i < 2 {
			runsB = append(runsB, create(b, fmt.Sprintf("list-b-%d", i), salesPerson(fmt.Sprintf("LIST-B-%d", i)), "SYNC_RUN_STATE_COMPLETED"))
		}
	}
	waiting := create(a, "list-a-waiting", map[string]any{
		"salesPersons": []map[string]any{{"externalSalesPersonId": "LIST-A-OWNER"}},
		"leads":        []map[string]any{{"externalPersonId": "LIST-A-LEAD", "email": "lead@example.com", "externalCompanyId": "LIST-NO-SUCH-COMPANY", "externalSalesPersonId": "LIST-A-OWNER"}},
	}, "SYNC_RUN_STATE_WAITING")
	runsA = append(runsA, waiting)
	newestFirst := func(ids []string) []string {
		out := slices.Clone(ids)
		slices.Reverse(out)
		return out
	}

	// Client a's list: its runs only, newest first, each a summary with state, counts and
	// times but no per-record outcomes.
	runs, next := s.listRuns(a, "")
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.id)
		if _, ok := r.item["outcomes"]; ok {
			t.Errorf("listed run %s carries outcomes: %v", r.id, r.item)
		}
		if r.createTime == "" || r.state == "" {
			t.Errorf("listed run %s lacks its createTime or state: %v", r.id, r.item)
		}
	}
	if !slices.Equal(ids, newestFirst(runsA)) || next != "" {
		t.Fatalf("%s's runs = %v (next page %q), want its own, newest first: %v", testClientID, ids, next, newestFirst(runsA))
	}
	if w := runs[0]; w.requestID != "list-a-waiting" || w.state != "SYNC_RUN_STATE_WAITING" {
		t.Errorf("newest run listed = %v, want list-a-waiting, waiting", w.item)
	}
	got := counts(response{body: map[string]any{"syncRun": runs[0].item}})
	if lead := got["SYNC_OBJECT_TYPE_LEAD"]; lead["total"] != 1 || lead["parked"] != 1 {
		t.Errorf("counts of the waiting run = %v, want one parked lead", got)
	}
	if sp := got["SYNC_OBJECT_TYPE_SALES_PERSON"]; sp["total"] != 1 || sp["applied"] != 1 {
		t.Errorf("counts of the waiting run = %v, want one applied sales person", got)
	}

	// Another client's runs are not listed; an admin lists every client's.
	if got := s.listAllRuns(b, "", 50); !slices.Equal(got, newestFirst(runsB)) {
		t.Errorf("%s's runs = %v, want only its own: %v", otherClientID, got, newestFirst(runsB))
	}
	all := s.listAllRuns(admin, "", 50)
	for _, id := range append(slices.Clone(runsA), runsB...) {
		if !slices.Contains(all, id) {
			t.Errorf("admin's list %v lacks run %s", all, id)
		}
	}
	if len(all) != len(runsA)+len(runsB) {
		t.Errorf("admin's list = %v, want the %d runs of both clients", all, len(runsA)+len(runsB))
	}

	// Paging one or two runs at a time reaches every run once, in order.
	for _, size := range []int{1, 2} {
		if got := s.listAllRuns(admin, "", size); !slices.Equal(got, all) {
			t.Errorf("admin's runs %d a page = %v, want %v (no repeats, no skips)", size, got, all)
		}
	}
	if got := s.listAllRuns(a, "state=COMPLETED", 2); !slices.Equal(got, newestFirst(runsA[:3])) {
		t.Errorf("%s's completed runs, 2 a page = %v, want %v", testClientID, got, newestFirst(runsA[:3]))
	}

	// Filters.
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"state=WAITING", []string{waiting}},
		{"state=SYNC_RUN_STATE_WAITING", []string{waiting}},
		{"state=waiting,queued", []string{waiting}},
		{"state=COMPLETED&state=WAITING", newestFirst(runsA)},
		{"state=FAILED", nil},
		{"requestId=list-a-1", []string{runsA[1]}},
		{"requestId=list-b-1", nil}, // client b's request id
		{"createdAfter=" + url.QueryEscape(runsCreateTime(t, runs, runsA[2])), []string{waiting, runsA[2]}},
		{"createdBefore=" + url.QueryEscape(runsCreateTime(t, runs, runsA[1])), []string{runsA[0]}},
	} {
		if got := s.listAllRuns(a, tc.query, 50); !slices.Equal(got, tc.want) {
			t.Errorf("GET /v1/syncs?%s as %s = %v, want %v", tc.query, testClientID, got, tc.want)
		}
	}

	// Bad parameters answer 400 naming the parameter.
	_, tok := s.listRuns(admin, "?pageSize=1")
	for _, tc := range []struct{ query, names string }{
		{"?state=BOGUS", `state "BOGUS"`},
		{"?state=COMPLETED,DONE", `state "DONE"`},
		{"?pageSize=301", "page_size"},
		{"?pageSize=-1", "page_size"},
		{"?createdAfter=yesterday", "created_after"},
		{"?createdAfter=2026-12-07T10:00:00Z&createdBefore=2026-12-07T09:00:00Z", "created_after"},
		{"?pageToken=not-a-token", "page_token"},
		{"?state=WAITING&pageToken=" + url.QueryEscape(tok), "page_token"}, // a token of another query
	} {
		r := s.call(http.MethodGet, "/v1/syncs"+tc.query, admin, "", nil)
		c, _ := r.body["code"].(float64)
		msg, _ := r.body["message"].(string)
		if r.status != http.StatusBadRequest || codes.Code(c) != codes.InvalidArgument || !strings.Contains(msg, tc.names) {
			t.Errorf("GET /v1/syncs%s = HTTP %d %s; want 400 InvalidArgument naming %s", tc.query, r.status, r.raw, tc.names)
		}
	}
	if tok == "" {
		t.Errorf("the first page of one run has no nextPageToken")
	}
}

// runsCreateTime returns the createTime of the run with the id among runs.
func runsCreateTime(t *testing.T, runs []listedRun, id string) string {
	t.Helper()
	for _, r := range runs {
		if r.id == id {
			return r.createTime
		}
	}
	t.Fatalf("run %s is not listed", id)
	return ""
}
