package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// TestUpstreamLosesNothingUnderEveryFault sends a change per round while the proxy injects
// one fault into the lead calls, and checks after each round that the upstream holds every
// record once, with the last values.
func TestUpstreamLosesNothingUnderEveryFault(t *testing.T) {
	t.Parallel()
	p := startUpstreamPair(t)
	set := changeSet("flt", 2, "Start")
	p.syncAndWait(set)
	p.waitDelivered(60 * time.Second)
	leads := set["leads"].([]map[string]any)
	for _, f := range []struct {
		kind  string
		n     int
		delay time.Duration
	}{
		{"606", 2, 0}, {"615", 1, 0}, {"604", 1, 0}, {"601", 1, 0}, {"602", 1, 0},
		{"http502", 1, 0}, {"http503", 1, 0}, {"slow", 1, 3 * time.Second},
		{"dropBefore", 1, 0}, {"dropAfter", 1, 0},
	} {
		t.Run(f.kind, func(t *testing.T) {
			for i, l := range leads {
				l["title"] = fmt.Sprintf("%s %d", f.kind, i)
			}
			p.proxy.inject("/rest/v1/leads.json", f.kind, f.n, f.delay)
			p.syncAndWait(map[string]any{"leads": leads})
			p.waitDelivered(90 * time.Second)
			hit := 0
			for _, c := range p.proxy.calls() {
				if c.Fault == f.kind {
					hit++
				}
			}
			if hit != f.n {
				t.Errorf("the proxy injected %s %d times, want %d", f.kind, hit, f.n)
			}
			p.sameRecords(t, set)
		})
	}
	if st := p.status(); !strings.Contains(string(st.raw), `"retries"`) || num(st.body["calls"].(map[string]any)["retries"]) == 0 {
		t.Errorf("GET /v1/upstream does not count the retries: %s", st.raw)
	}
}

// TestUpstreamPausesOn607AndResumesOnRequest: Marketo's 607 pauses the delivery with
// nothing lost; POST /v1/upstream/resume ends the pause.
func TestUpstreamPausesOn607AndResumesOnRequest(t *testing.T) {
	t.Parallel()
	p := startUpstreamPair(t)
	p.proxy.inject("/rest/v1/", "607", -1, 0)
	set := changeSet("q607", 2, "Paused")
	p.syncAndWait(set)
	deadline := time.Now().Add(30 * time.Second)
	var st response
	for {
		st = p.status()
		if st.body["pausedUntil"] != nil && strings.Contains(fmt.Sprint(st.body["pausedReason"]), "607") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pause after 607: %s", st.raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if backlog(st) == 0 {
		t.Fatalf("paused with an empty outbox: %s", st.raw)
	}
	p.proxy.clear()
	if r := p.fwd.call(http.MethodPost, "/v1/upstream/resume", p.fwdTok, "", map[string]any{}); r.status != http.StatusOK {
		t.Fatalf("resume: HTTP %d %s", r.status, r.raw)
	}
	p.waitDelivered(60 * time.Second)
	p.sameRecords(t, set)
}

// TestUpstreamStopsAtItsShareOfTheQuota: with a tiny daily quota the delivery pauses
// before the reserve, nothing is lost, and it completes once the quota allows it.
func TestUpstreamStopsAtItsShareOfTheQuota(t *testing.T) {
	t.Parallel()
	p := startUpstreamPair(t, "MSISYNC_MARKETO_DAILY_QUOTA=10", "MSISYNC_MARKETO_QUOTA_RESERVE=50")
	set := changeSet("share", 2, "Quota")
	p.syncAndWait(set)
	deadline := time.Now().Add(30 * time.Second)
	var st response
	for {
		st = p.status()
		if strings.Contains(fmt.Sprint(st.body["pausedReason"]), "share") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pause at msisync's share of the quota: %s", st.raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
	calls := st.body["calls"].(map[string]any)
	if num(calls["usedToday"]) > 5 || num(calls["allowed"]) != 5 || backlog(st) == 0 {
		t.Fatalf("paused at %v calls of %v allowed with %v waiting: %s", calls["usedToday"], calls["allowed"], backlog(st), st.raw)
	}
	// A bigger quota (the subscription was raised): everything waiting is delivered.
	p.fwd.stop()
	p.fwd.env = append(p.fwd.env, "MSISYNC_MARKETO_DAILY_QUOTA=50000")
	p.fwd.start()
	p.fwdTok = p.fwd.token()
	p.waitDelivered(60 * time.Second)
	p.sameRecords(t, set)
}

// kill SIGKILLs the suite and waits for it to die.
func (s *suite) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.t.Fatal("the suite did not die within 15 s of SIGKILL")
	}
	s.cmd = nil
}

// TestUpstreamSurvivesKill9OfTheForwarder kills the forwarding suite while the upstream has
// applied a call whose answer it has not received, once per object, and checks that the
// upstream ends with exactly the accepted records.
func TestUpstreamSurvivesKill9OfTheForwarder(t *testing.T) {
	t.Parallel()
	p := startUpstreamPair(t)
	for _, path := range []string{"/rest/v1/salespersons.json", "/rest/v1/companies.json", "/rest/v1/leads.json", "/rest/v1/opportunities.json", "/rest/v1/opportunities/roles.json"} {
		name := strings.TrimSuffix(strings.TrimPrefix(path, "/rest/v1/"), ".json")
		set := changeSet("kill-"+strings.ReplaceAll(name, "/", "-"), 2, "Killed")
		held, release := p.proxy.holdAnswers(path)
		p.syncAndWait(set)
		select {
		case <-held:
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no call reached the upstream within 30 s", name)
		}
		p.fwd.kill()
		release()
		sent := syncCalls(p.proxy.calls(), path)
		p.fwd.start()
		p.fwdTok = p.fwd.token()
		p.waitDelivered(90 * time.Second)
		if again := syncCalls(p.proxy.calls(), path); again == sent {
			t.Errorf("%s: the call whose answer was lost was not sent again after the restart", name)
		}
		p.sameRecords(t, set)
	}
}

// TestUpstreamDeliversEveryAcknowledgedWriteAfterAKill kills the forwarding suite in the
// middle of a lead load: every lead it acknowledged reaches the upstream after the restart.
func TestUpstreamDeliversEveryAcknowledgedWriteAfterAKill(t *testing.T) {
	t.Parallel()
	p := startUpstreamPair(t)
	base := changeSet("acc", 1, "Base")
	base["leads"], base["opportunities"], base["opportunityRoles"] = []map[string]any{}, []map[string]any{}, []map[string]any{}
	p.syncAndWait(base)
	companies := keysOf(base, "companies", "externalCompanyId")
	load := startLeadLoad(p.fwd.base, p.fwdTok, "upk", "acc-user-0", companies, true)
	t.Cleanup(load.halt)
	load.waitForBatches(6, time.Second, 10*time.Second)
	p.fwd.kill()
	sent := load.finish(t)
	dropIdleConnections()
	acked, _ := splitLoad(sent)
	if len(acked) == 0 {
		t.Fatal("no batch was acknowledged before the kill")
	}
	p.fwd.start()
	p.fwdTok = p.fwd.token()
	p.waitDelivered(120 * time.Second)
	var keys []string
	for _, b := range acked {
		keys = append(keys, b.batch.keys...)
	}
	found := 0
	for chunk := range slices.Chunk(keys, 100) {
		found += len(query(p.up, p.upTok, "/rest/v1/leads.json", "externalPersonId", chunk, "externalPersonId"))
	}
	if found != len(keys) {
		t.Fatalf("the upstream holds %d of the %d acknowledged leads", found, len(keys))
	}
	t.Logf("killed after %d batches; %d acknowledged leads all delivered", len(sent), len(keys))
}

// TestUpstreamOnPostgres runs the forwarding suite on PostgreSQL (its outbox claims rows
// with FOR UPDATE SKIP LOCKED there): the MSI order, and a kill -9 while the upstream holds
// an applied lead call's answer.
func TestUpstreamOnPostgres(t *testing.T) {
	t.Parallel()
	p := startUpstreamPair(t, "MSISYNC_DATABASE_URL="+pgtest.NewDatabase(t))
	set := changeSet("pg", 2, "Postgres")
	p.syncAndWait(set)
	p.waitDelivered(60 * time.Second)
	p.sameRecords(t, set)
	for _, l := range set["leads"].([]map[string]any) {
		l["title"] = "Postgres again"
	}
	held, release := p.proxy.holdAnswers("/rest/v1/leads.json")
	p.syncAndWait(map[string]any{"leads": set["leads"]})
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("no lead call reached the upstream within 30 s")
	}
	p.fwd.kill()
	release()
	p.fwd.start()
	p.fwdTok = p.fwd.token()
	p.waitDelivered(90 * time.Second)
	p.sameRecords(t, set)
	checkOrder(t, p.proxy.calls())
}
