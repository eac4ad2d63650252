package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// TestConnectorWatchServesItsMetricsAndLogsItsConfiguration runs `msisync dynamics sync
// --watch` as a process against the simulator with MSISYNC_DYNAMICS_METRICS_ADDR set: its
// /metrics counts the first cycle's rows and records, which agree with the orchestrator's
// own counters; the suite and the connector each log their effective configuration once,
// without a secret.
func TestConnectorWatchServesItsMetricsAndLogsItsConfiguration(t *testing.T) {
	t.Parallel()
	seed := simulator.SeedOptions{Random: 7, Users: 4, Accounts: 6, Contacts: 12, Leads: 5, Opportunities: 4}
	sim := simulator.New(simulator.Options{Seed: &seed})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	s := startSuite(t, "", "MSISYNC_LOG_LEVEL=info")

	metricsAddr := freePort(t)
	cmd := watchCommand(t, srv.URL, s.grpc["orchestrator"],
		"MSISYNC_LOG_LEVEL=info",
		"MSISYNC_DYNAMICS_SYNC_INTERVAL=1h",
		"MSISYNC_DYNAMICS_WRITEBACK_INTERVAL=1h",
		"MSISYNC_DYNAMICS_POLL_INTERVAL=50ms",
		"MSISYNC_DYNAMICS_METRICS_ADDR="+metricsAddr,
	)
	logs, done := startWatch(t, cmd)
	// The listener is up once the first cycles have begun; wait for it to answer.
	url := "http://" + metricsAddr + "/metrics"
	waitWatching(t, done, 30*time.Second, "the connector's /metrics answering", func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	rows := func(set, outcome string, want int) expectation {
		return expectation{"msisync_dynamics_rows_total", map[string]string{"entity_set": set, "outcome": outcome}, float64(want)}
	}
	samples := waitForMetrics(t, url,
		expectation{"msisync_dynamics_cycles_total", map[string]string{"cycle": "sync", "result": "ok"}, 1},
		expectation{"msisync_dynamics_cycles_total", map[string]string{"cycle": "writeback", "result": "ok"}, 1},
		expectation{"msisync_dynamics_cycle_duration_seconds_count", map[string]string{"cycle": "sync"}, 1},
		rows(mapping.Accounts, "changed", seed.Accounts),
		rows(mapping.Contacts, "changed", seed.Contacts),
		rows(mapping.Leads, "changed", seed.Leads),
		rows(mapping.Opportunities, "changed", seed.Opportunities),
	)
	if _, found := metric(samples, "msisync_dynamics_cycles_total", map[string]string{"result": "error"}); found {
		t.Errorf("a cycle failed:\n%s", logs.String())
	}
	// What the connector saw applied is what the orchestrator applied, object by object.
	orch := s.scrape()
	for _, object := range []string{"sales_person", "company", "lead", "opportunity"} {
		sent, _ := metric(samples, "msisync_dynamics_records_total", map[string]string{"object": object, "outcome": "sent"})
		applied, _ := metric(samples, "msisync_dynamics_records_total", map[string]string{"object": object, "outcome": "applied"})
		theirs, _ := metric(orch, "msisync_sync_records_total", map[string]string{"object": object, "outcome": "applied"})
		if sent == 0 || applied != theirs {
			t.Errorf("%s: the connector sent %v and saw %v applied; the orchestrator counted %v applied", object, sent, applied, theirs)
		}
	}

	// Each process logged its effective configuration once, secrets redacted.
	for name, out := range map[string]string{"suite": s.logs.String(), "connector": logs.String()} {
		for _, secret := range []string{testClientSecret, "sim-secret"} {
			if strings.Contains(out, secret) {
				t.Errorf("the %s's log shows the secret %q", name, secret)
			}
		}
		if n := strings.Count(out, "MSISYNC_CLIENT_SECRET=[redacted]"); n != 1 {
			t.Errorf("the %s logged MSISYNC_CLIENT_SECRET=[redacted] %d times; want once:\n%s", name, n, out)
		}
	}
	for _, want := range []string{"section=identity", "section=orchestrator", "MSISYNC_HTTP_ADDR=" + strings.TrimPrefix(s.base, "http://"), "MSISYNC_DAILY_QUOTA=0", "priority:mkt_priority"} {
		if !strings.Contains(s.logs.String(), want) {
			t.Errorf("the suite's configuration log lacks %s", want)
		}
	}
	if n := strings.Count(s.logs.String(), "MSISYNC_DATA_DIR="); n != 1 {
		t.Errorf("the suite logged MSISYNC_DATA_DIR %d times; want once (shared settings appear in one section)", n)
	}
	for _, want := range []string{"section=dynamics", "MSISYNC_DYNAMICS_CLIENT_SECRET=[redacted]", "MSISYNC_DYNAMICS_METRICS_ADDR=" + metricsAddr, "MSISYNC_DYNAMICS_SYNC_INTERVAL=1h0m0s"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the connector's configuration log lacks %s:\n%s", want, logs.String())
		}
	}
}
