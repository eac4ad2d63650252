package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// TestDynamicsCycleIsReportedToTheOrchestrator checks that the connector reports each sync
// cycle's summary, as GET /v1/connector/cycles (the console's overview) shows it: the counts
// of a cycle that succeeded, then the error in words of one that failed, which replaces it.
func TestDynamicsCycleIsReportedToTheOrchestrator(t *testing.T) {
	t.Parallel()
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 11, Users: 3, Accounts: 5, Contacts: 20, Leads: 5, Opportunities: 3})
	cycles := func() []map[string]any {
		t.Helper()
		r := e.suite.call(http.MethodGet, "/v1/connector/cycles", e.tok, "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET /v1/connector/cycles: HTTP %d %s", r.status, truncate(r.raw))
		}
		var out []map[string]any
		items, _ := r.body["cycles"].([]any)
		for _, it := range items {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	if got := cycles(); len(got) != 0 {
		t.Fatalf("before any cycle: %v, want none", got)
	}
	rep := e.sync()
	got := cycles()
	if len(got) != 1 {
		t.Fatalf("after a cycle: %v, want one", got)
	}
	c := got[0]
	var sent, applied, parked, rejected int
	for _, o := range rep.Objects {
		sent, applied, parked, rejected = sent+o.Sent, applied+o.Applied, parked+o.Parked, rejected+o.Rejected
	}
	want := map[string]string{"source": "dynamics", "rowsRead": fmt.Sprint(rep.Pulled()), "recordsSent": fmt.Sprint(sent),
		"recordsApplied": fmt.Sprint(applied), "recordsParked": fmt.Sprint(parked), "recordsRejected": fmt.Sprint(rejected), "error": ""}
	for k, v := range want {
		if g := fmt.Sprint(c[k]); g != v && !((v == "0" || v == "") && g == "<nil>") {
			t.Errorf("cycle %s = %s, want %s (cycle: %v)", k, g, v, c)
		}
	}
	if rep.Pulled() == 0 || applied == 0 {
		t.Errorf("the cycle read %d rows and applied %d records; the seed should give some", rep.Pulled(), applied)
	}
	start, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(c["startTime"]))
	end, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(c["endTime"]))
	if start.IsZero() || end.Before(start) {
		t.Errorf("cycle times: start %v, end %v", c["startTime"], c["endTime"])
	}

	// A cycle that fails (Dataverse refuses the connector's secret) is reported with its
	// error in words, and replaces the last one.
	e.configure = func(cfg *connector.Config) { cfg.ClientSecret = "not-the-secret" }
	e.open()
	if _, err := e.conn.SyncOnce(context.Background()); err == nil {
		t.Fatal("a cycle with a wrong Dataverse secret succeeded")
	}
	got = cycles()
	if len(got) != 1 {
		t.Fatalf("after a failed cycle: %v, want one", got)
	}
	if msg := fmt.Sprint(got[0]["error"]); msg == "<nil>" || msg == "" || !strings.Contains(strings.ToLower(msg), "token") && !strings.Contains(msg, "401") {
		t.Errorf("failed cycle error = %q, want the reason in words", msg)
	}
	if fmt.Sprint(got[0]["startTime"]) == fmt.Sprint(c["startTime"]) {
		t.Errorf("the failed cycle did not replace the last one: %v", got[0])
	}
}
