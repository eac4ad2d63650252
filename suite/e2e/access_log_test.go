package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestAccessLogShowsEveryRequest checks what the `make run` terminal shows as requests
// arrive: one info line per request with the method, path, status, Marketo code, client id,
// records and duration — and never the query string, which may carry a secret.
func TestAccessLogShowsEveryRequest(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_LOG_LEVEL=info")
	tok := s.token()
	r := s.call(http.MethodPost, "/rest/v1/salespersons.json", tok, "", map[string]any{"input": []map[string]any{
		{"externalSalesPersonId": "log-sp-1", "email": "a@example.com"}, {"externalSalesPersonId": "log-sp-2"},
	}})
	for h := range r.header {
		if strings.Contains(strings.ToLower(h), "client-id") {
			t.Errorf("the gateway passed its access-log header %s on to the caller", h)
		}
	}
	s.call(http.MethodGet, "/rest/v1/salespersons.json?filterType=externalSalesPersonId&filterValues=log-sp-1", "not-a-token", "", nil)
	s.call(http.MethodGet, "/v1/syncs/no-such-run", tok, "", nil)
	s.call(http.MethodGet, "/rest/v1/lead/999999.json", tok, "", nil)

	want := map[string][]string{
		"POST /rest/v1/salespersons.json": {"status=200", "client_id=" + testClientID, "records=2", "duration="},
		"GET /rest/v1/salespersons.json":  {"status=200", "code=601"},
		"GET /v1/syncs/no-such-run":       {"status=404", "code=NotFound", "client_id=" + testClientID},
		"GET /identity/oauth/token":       {"status=200", "client_id=" + testClientID},
		"GET /rest/v1/lead/999999.json":   {"status=200", "client_id=" + testClientID},
	}
	var lines []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		lines = lines[:0]
		for _, l := range strings.Split(s.logs.String(), "\n") {
			if strings.Contains(l, `msg="http request"`) {
				lines = append(lines, l)
			}
		}
		if len(lines) >= len(want) || time.Now().After(deadline) {
			break
		}
	}
	for request, fields := range want {
		method, path, _ := strings.Cut(request, " ")
		var line string
		for _, l := range lines {
			if strings.Contains(l, "method="+method) && strings.Contains(l, "path="+path+" ") {
				line = l
			}
		}
		if line == "" {
			t.Errorf("no access log line for %s among:\n%s", request, strings.Join(lines, "\n"))
			continue
		}
		for _, f := range fields {
			if !strings.Contains(line, f) {
				t.Errorf("the access log line of %s lacks %s:\n%s", request, f, line)
			}
		}
	}
	if strings.Contains(strings.Join(lines, "\n"), testClientSecret) || strings.Contains(strings.Join(lines, "\n"), "filterValues") {
		t.Errorf("the access log shows a query string:\n%s", strings.Join(lines, "\n"))
	}
}
