package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// TestDynamicsThroughUpstreamMarketoAndBack is the whole loop of upstream mode: a Dynamics
// org synced through msisync reaches the customer's Marketo in the MSI order, and the MSI
// fields Marketo computes for a contact come back into msisync and are written back to the
// contact in Dynamics.
func TestDynamicsThroughUpstreamMarketoAndBack(t *testing.T) {
	t.Parallel()
	up := startSuite(t, "")
	proxy := newFaultProxy(t, up.base)
	e := newDynamicsEnvWith(t, simulator.SeedOptions{Random: 11, Users: 4, Accounts: 20, Contacts: 120, Leads: 20, Opportunities: 12}, "",
		"MSISYNC_MARKETO_URL="+proxy.URL(), "MSISYNC_MARKETO_CLIENT_ID="+testClientID, "MSISYNC_MARKETO_CLIENT_SECRET="+testClientSecret,
		"MSISYNC_MARKETO_BATCH_LINGER=100ms", "MSISYNC_MARKETO_POLL_INTERVAL=1s", "MSISYNC_MARKETO_TIMEOUT=2s")
	p := &upstreamPair{up: up, fwd: e.suite, proxy: proxy, upTok: up.token(), fwdTok: e.tok}
	e.sync()
	p.waitDelivered(90 * time.Second)

	// The upstream holds what msisync holds, object by object.
	counts := func(s *suite, tok string) string {
		r := s.call(http.MethodGet, "/v1/counts", tok, "", nil)
		if r.status != http.StatusOK {
			t.Fatalf("GET /v1/counts = HTTP %d %s", r.status, r.raw)
		}
		return fmt.Sprint(r.body["salesPersons"], r.body["companies"], r.body["leads"], r.body["opportunities"], r.body["opportunityRoles"])
	}
	if local, remote := counts(e.suite, e.tok), counts(up, p.upTok); local != remote {
		t.Errorf("msisync holds %s (sales persons, companies, leads, opportunities, roles), the upstream Marketo %s", local, remote)
	}
	checkOrder(t, proxy.calls())

	// Marketo scores a contact; the score reaches Dynamics through msisync.
	_, _, person, _ := e.stakeholder()
	if r := up.call(http.MethodPost, "/v1/score-changes", p.upTok, "", map[string]any{"changes": []map[string]any{{"externalPersonId": person, "delta": 63, "reason": "Webinar"}}}); r.status != http.StatusOK {
		t.Fatalf("score change upstream: %s", r.raw)
	}
	if r := up.call(http.MethodPost, "/v1/interesting-moments", p.upTok, "", map[string]any{"moments": []map[string]any{{"externalPersonId": person, "type": "Milestone", "description": "Attended the webinar", "source": "Marketo"}}}); r.status != http.StatusOK {
		t.Fatalf("moment upstream: %s", r.raw)
	}
	deadline := time.Now().Add(30 * time.Second)
	for num(e.leads([]string{person}, "leadScore")[person]["leadScore"]) != 63 {
		if time.Now().After(deadline) {
			t.Fatalf("Marketo's score of %s did not reach msisync within 30 s: %s", person, p.status().raw)
		}
		time.Sleep(300 * time.Millisecond)
	}
	wb, err := e.conn.WritebackOnce(context.Background())
	if err != nil {
		t.Fatalf("WritebackOnce: %v", err)
	}
	row, _ := e.sim.Get("contacts", person)
	if fmt.Sprint(row["mkt_leadscore"]) != "63" || row["mkt_lastinterestingmomentdesc"] != "Attended the webinar" {
		t.Errorf("the contact in Dynamics has score %v and moment %v, want Marketo's 63 and \"Attended the webinar\" (writeback: %s)", row["mkt_leadscore"], row["mkt_lastinterestingmomentdesc"], wb)
	}
}
