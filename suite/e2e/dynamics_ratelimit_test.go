package e2e

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

func TestDynamicsCycleRidesOutTheOrchestratorRateLimit(t *testing.T) {
	// The orchestrator allows the connector's API client eight calls a second; a cycle makes
	// more, in bursts. Each 606 is retried with backoff, so the cycle completes with every
	// record.
	e := newDynamicsEnvWith(t, simulator.SeedOptions{Random: 22, Users: 3, Accounts: 4, Contacts: 6, Leads: 2, Opportunities: 2}, "",
		"MSISYNC_RATE_LIMIT_CALLS=8", "MSISYNC_RATE_LIMIT_WINDOW=1s")
	logs := &syncBuffer{}
	e.log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.open()
	rep := e.sync()
	retried := strings.Count(logs.String(), `msg="orchestrator asked to retry"`)
	t.Logf("the connector retried %d rate-limited calls", retried)
	if retried == 0 || !strings.Contains(logs.String(), "code=ResourceExhausted") {
		t.Errorf("the connector retried no rate-limited call, want some:\n%s", logs)
	}
	if lead := object(rep, mapping.Lead); lead.Sent == 0 || lead.Applied+lead.Parked+lead.Rejected != lead.Sent {
		t.Errorf("leads in the cycle's report: %+v, want every one sent and answered", lead)
	}

	// Stored: every contact and lead the connector sent is in msisync. The test's own REST
	// calls share the client's rate limit, so a 606 is waited out by polling.
	ids := append(e.sim.IDs("contacts"), e.sim.IDs("leads")...)
	q := url.Values{"filterType": {"externalPersonId"}, "filterValues": {strings.Join(ids, ",")}, "fields": {"externalPersonId"}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.suite.call(http.MethodPost, "/rest/v1/leads.json?_method=GET", e.tok, "application/x-www-form-urlencoded", q.Encode())
		if r.errorCode() == "606" && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if r.body["success"] != true {
			t.Fatalf("looking up the synced people: %s", r.raw)
		}
		if got, want := len(r.results()), object(rep, mapping.Lead).Applied; got < want || want == 0 {
			t.Errorf("people stored = %d, want the %d applied: %s", got, want, rep)
		}
		break
	}
}
