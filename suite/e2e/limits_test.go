package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const (
	readerClientID     = "e2e-reader"
	readerClientSecret = "e2e-reader-secret-9876543210"
)

// tokenFor gets an access token for any client.
func (s *suite) tokenFor(id, secret string) string {
	s.t.Helper()
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	r := s.call(http.MethodGet, "/identity/oauth/token?"+q.Encode(), "", "", nil)
	tok, _ := r.body["access_token"].(string)
	if r.status != http.StatusOK || tok == "" {
		s.t.Fatalf("token for %s: HTTP %d %s", id, r.status, r.raw)
	}
	return tok
}

// errorMessage returns the first response-level Marketo error message of an envelope.
func (r response) errorMessage() string {
	errs, _ := r.body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	e, _ := errs[0].(map[string]any)
	m, _ := e["message"].(string)
	return m
}

const describePath = "/rest/v1/salespersons/describe.json"

func TestRateLimitRolesAndNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "",
		"MSISYNC_RATE_LIMIT_CALLS=5", "MSISYNC_RATE_LIMIT_WINDOW=2s",
		"MSISYNC_CLIENTS="+readerClientID+":"+readerClientSecret+":read_only",
		"MSISYNC_ALLOW_ACCESS_TOKEN_PARAM=true",
		"MSISYNC_LOG_LEVEL=debug")
	tok := s.token()
	// Token calls do not count.
	for range 10 {
		if again := s.token(); again != tok {
			t.Fatalf("the token changed before expiry")
		}
	}
	// Neither do calls refused by authentication.
	for range 3 {
		if r := s.call(http.MethodGet, describePath, "not-a-token", "", nil); r.errorCode() != "601" {
			t.Fatalf("bad token: %s; want 601", r.raw)
		}
	}
	for i := range 5 {
		if r := s.call(http.MethodGet, describePath, tok, "", nil); r.body["success"] != true {
			t.Fatalf("call %d of 5: %s", i+1, r.raw)
		}
	}
	r := s.call(http.MethodGet, describePath, tok, "", nil)
	if r.status != http.StatusOK || r.errorCode() != "606" || r.errorMessage() != "Max rate limit '5' exceeded with in '2' secs" {
		t.Errorf("6th call in 2 s: HTTP %d %s; want 606 \"Max rate limit '5' exceeded with in '2' secs\"", r.status, r.raw)
	}

	// The read-only client has its own window: it may read, and gets 603 when it writes.
	reader := s.tokenFor(readerClientID, readerClientSecret)
	if reader == tok {
		t.Fatal("two clients share one token")
	}
	if r := s.call(http.MethodGet, describePath, reader, "", nil); r.body["success"] != true {
		t.Errorf("read-only client reading: %s", r.raw)
	}
	// The deprecated query parameter works when enabled (and must not be logged either).
	if r := s.call(http.MethodGet, describePath+"?access_token="+url.QueryEscape(reader), "", "", nil); r.body["success"] != true {
		t.Errorf("read-only client reading with access_token: %s", r.raw)
	}
	write := map[string]any{"input": []map[string]any{{"externalSalesPersonId": "RO-1", "email": "ro@example.com"}}}
	r = s.call(http.MethodPost, "/rest/v1/salespersons.json", reader, "", write)
	if r.errorCode() != "603" || !strings.Contains(r.errorMessage(), "read-only") {
		t.Errorf("read-only client writing: %s; want 603 saying the client is read-only", r.raw)
	}
	r = s.call(http.MethodPost, "/v1/syncs", reader, "", map[string]any{"salesPersons": []map[string]any{{"externalSalesPersonId": "RO-2"}}})
	if r.status != http.StatusForbidden || !strings.Contains(string(r.raw), `"marketoCode":"603"`) || !strings.Contains(string(r.raw), "read-only") {
		t.Errorf("read-only client creating a sync run: HTTP %d %s; want it refused with 603", r.status, r.raw)
	}

	// After the window the read-write client writes again.
	time.Sleep(2100 * time.Millisecond)
	if r := s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", write); r.body["success"] != true {
		t.Errorf("read-write client writing after the window: %s", r.raw)
	}

	s.stop()
	logs := s.logs.String()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatalf("no debug records captured; the check below would prove nothing:\n%s", logs)
	}
	for name, secret := range map[string]string{
		"the client secret": testClientSecret, "the read-only client's secret": readerClientSecret,
		"the access token": tok, "the read-only client's token": reader,
		"the access token's signature": tok[strings.IndexByte(tok, ':')+1:],
	} {
		if strings.Contains(logs, secret) || strings.Contains(logs, url.QueryEscape(secret)) {
			t.Errorf("%s appears in the suite's logs", name)
		}
	}
}

func TestDailyQuotaSurvivesARestart(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_DAILY_QUOTA=3")
	tok := s.token()
	for i := range 3 {
		s.token() // not counted
		if r := s.call(http.MethodGet, describePath, tok, "", nil); r.body["success"] != true {
			t.Fatalf("call %d of 3: %s", i+1, r.raw)
		}
	}
	r := s.call(http.MethodGet, describePath, tok, "", nil)
	if r.status != http.StatusOK || r.errorCode() != "607" || r.errorMessage() != "Daily quota reached" {
		t.Fatalf("4th call on a quota of 3: HTTP %d %s; want 607 Daily quota reached", r.status, r.raw)
	}
	// The count is saved at shutdown and loaded at start.
	s.restart()
	if r := s.call(http.MethodGet, describePath, tok, "", nil); r.errorCode() != "607" {
		t.Errorf("after a restart: %s; want 607 still", r.raw)
	}
	if again := s.token(); again != tok {
		t.Errorf("token calls are refused or changed once the quota is spent")
	}
}
