package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// dataverseGate serves the simulator, or answers every API request (token requests aside)
// 503 with "Retry-After: 0" while down: Dataverse unavailable.
type dataverseGate struct {
	sim  http.Handler
	down atomic.Bool
}

func (g *dataverseGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.down.Load() && !strings.Contains(r.URL.Path, "/oauth2/") {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"error":{"code":"0x80040216","message":"The service is unavailable."}}`))
		return
	}
	g.sim.ServeHTTP(w, r)
}

// count returns how many accepted alerts named key have status.
func (r *alertReceiver) count(key, status string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, a := range r.alerts {
		if a["alert"] == key && a["status"] == status {
			n++
		}
	}
	return n
}

// waitCount polls until n accepted alerts named key have status.
func (r *alertReceiver) waitCount(t *testing.T, key, status string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for r.count(key, status) < n {
		if time.Now().After(deadline) {
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("%d %s alerts %q after 30 s, want %d; received %v", r.count(key, status), status, key, n, r.alerts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConnectorAlertsWhenItsCyclesFail runs `msisync dynamics sync --watch` as a process
// with an alert webhook and MSISYNC_ALERT_FAILED_CYCLES=2. Started before the suite, its
// cycles fail: the orchestrator-unreachable and failing-cycles alerts fire, and resolve
// once the suite is up. Then Dataverse answers 503: the Dataverse alert and the failing-
// cycles alert fire again, and resolve when it is back. Every alert is signed.
func TestConnectorAlertsWhenItsCyclesFail(t *testing.T) {
	t.Parallel()
	const secret = "e2e-connector-alert-secret-42"
	rcv := newAlertReceiver(t, secret)
	seed := simulator.SeedOptions{Random: 11, Users: 2, Accounts: 3, Contacts: 4, Leads: 2, Opportunities: 1}
	gate := &dataverseGate{sim: simulator.New(simulator.Options{Seed: &seed})}
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	orchAddr := freePort(t)

	cmd := watchCommand(t, srv.URL, orchAddr,
		"MSISYNC_LOG_LEVEL=warn",
		"MSISYNC_DYNAMICS_SYNC_INTERVAL=300ms",
		"MSISYNC_DYNAMICS_WRITEBACK_INTERVAL=1h",
		"MSISYNC_DYNAMICS_POLL_INTERVAL=50ms",
		"MSISYNC_DYNAMICS_THROTTLE_BUDGET=1s",
		"MSISYNC_ALERT_WEBHOOK_URL="+rcv.url,
		"MSISYNC_ALERT_WEBHOOK_SECRET="+secret,
		"MSISYNC_ALERT_FAILED_CYCLES=2",
	)
	startWatch(t, cmd)

	// No orchestrator yet.
	down := rcv.waitFor(t, "dynamics/orchestrator-unreachable", "firing")
	if s, _ := down["summary"].(string); !strings.Contains(s, "cannot reach the msisync orchestrator") || down["source"] != "dynamics-connector" {
		t.Errorf("orchestrator alert = %v; want a summary a person can read, from the connector", down)
	}
	failing := rcv.waitFor(t, "dynamics/sync-cycles-failing", "firing")
	if d, _ := failing["details"].(map[string]any); d["failedInARow"] != float64(2) {
		t.Errorf("failing-cycles alert = %v, want it after 2 failed cycles", failing)
	}

	// The suite comes up where the connector looks for it: the next cycle succeeds.
	startSuite(t, "", "MSISYNC_ORCHESTRATOR_ADDR="+orchAddr)
	rcv.waitFor(t, "dynamics/orchestrator-unreachable", "resolved")
	rcv.waitFor(t, "dynamics/sync-cycles-failing", "resolved")

	// Dataverse becomes unavailable, then comes back.
	gate.down.Store(true)
	dv := rcv.waitFor(t, "dynamics/dataverse-unreachable", "firing")
	d, _ := dv["details"].(map[string]any)
	if e, _ := d["error"].(string); !strings.Contains(e, "503") {
		t.Errorf("Dataverse alert = %v, want the 503 in its details", dv)
	}
	rcv.waitCount(t, "dynamics/sync-cycles-failing", "firing", 2)
	gate.down.Store(false)
	rcv.waitFor(t, "dynamics/dataverse-unreachable", "resolved")
	rcv.waitCount(t, "dynamics/sync-cycles-failing", "resolved", 2)

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.refused != 0 {
		t.Errorf("the receiver refused %d of the connector's alerts: a bad signature", rcv.refused)
	}
}

// TestConnectorWatchWithAScopeStartsWhileDataverseIsDown runs `msisync dynamics sync
// --watch` with a sync scope while Dataverse answers 503: checking the scope against the
// org cannot be done yet, so the connector starts and leaves the check to its cycles (as
// it does for the field mapping) instead of exiting; once Dataverse is back, a cycle syncs
// the org.
func TestConnectorWatchWithAScopeStartsWhileDataverseIsDown(t *testing.T) {
	t.Parallel()
	seed := simulator.SeedOptions{Random: 11, Users: 2, Accounts: 3, Contacts: 4, Leads: 2, Opportunities: 1}
	sim := simulator.New(simulator.Options{Seed: &seed})
	gate := &dataverseGate{sim: sim}
	gate.down.Store(true)
	srv := httptest.NewServer(gate)
	t.Cleanup(srv.Close)
	s := startSuite(t, "")

	cmd := watchCommand(t, srv.URL, s.grpc["orchestrator"],
		"MSISYNC_LOG_LEVEL=warn",
		"MSISYNC_DYNAMICS_SYNC_INTERVAL=300ms",
		"MSISYNC_DYNAMICS_WRITEBACK_INTERVAL=1h",
		"MSISYNC_DYNAMICS_POLL_INTERVAL=50ms",
		"MSISYNC_DYNAMICS_THROTTLE_BUDGET=1s",
		"MSISYNC_DYNAMICS_FILTER_ACCOUNTS=statecode eq 0",
	)
	logs, done := startWatch(t, cmd)
	waitWatching(t, done, 30*time.Second, "the warning that the cycles check the configuration", func() bool {
		return strings.Contains(logs.String(), "starting without having checked")
	})

	gate.down.Store(false)
	tok := s.token()
	contacts := strings.Join(sim.IDs("contacts"), ",")
	waitWatching(t, done, 30*time.Second, "a cycle syncing the org once Dataverse is back", func() bool {
		r := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues="+contacts, tok, "", nil)
		return len(r.results()) > 0
	})
}
