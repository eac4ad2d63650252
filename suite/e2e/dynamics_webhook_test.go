package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
)

// webhookSecret is the connector's MSISYNC_DYNAMICS_WEBHOOK_SECRET in these tests.
const webhookSecret = "e2e-webhook-key-0123456789"

// TestConnectorWebhookPullsAChangeWithinSeconds runs `msisync dynamics sync --watch` as a
// process with near real time on and the scheduled cycle an hour apart: it registers its
// webhook in the simulator, and a contact changed in Dynamics after the first cycle reaches
// msisync's lead query through the notification alone. Notifications without the key are
// refused with 401 and change nothing.
func TestConnectorWebhookPullsAChangeWithinSeconds(t *testing.T) {
	t.Parallel()
	seed := simulator.SeedOptions{Random: 11, Users: 4, Accounts: 6, Contacts: 12, Leads: 5, Opportunities: 4}
	sim := simulator.New(simulator.Options{Seed: &seed, WebhookDelay: 20 * time.Millisecond})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	s := startSuite(t, "")
	tok := s.token()

	hookAddr := freePort(t)
	cmd := watchCommand(t, srv.URL, s.grpc["orchestrator"],
		"MSISYNC_LOG_LEVEL=info",
		"MSISYNC_DYNAMICS_SYNC_INTERVAL=1h",
		"MSISYNC_DYNAMICS_WRITEBACK_INTERVAL=1h",
		"MSISYNC_DYNAMICS_POLL_INTERVAL=50ms",
		"MSISYNC_DYNAMICS_WEBHOOK_ADDR="+hookAddr,
		"MSISYNC_DYNAMICS_WEBHOOK_URL=http://"+hookAddr+"/dynamics/webhook",
		"MSISYNC_DYNAMICS_WEBHOOK_SECRET="+webhookSecret,
		"MSISYNC_DYNAMICS_WEBHOOK_DEBOUNCE=100ms",
	)
	logs, done := startWatch(t, cmd)
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		waitWatching(t, done, 60*time.Second, what, ok)
	}
	contact := sim.IDs("contacts")[0]
	title := func() any {
		r := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues="+contact+"&fields=title", tok, "", nil)
		if res := r.results(); len(res) == 1 {
			return res[0]["title"]
		}
		return nil
	}
	// The first (scheduled) cycle loads the org; the webhook is registered: one endpoint,
	// a step on Create, Update and Delete of each of the six synced tables.
	waitUntil("the first cycle", func() bool { return title() != nil })
	waitUntil("the registration", func() bool { return sim.Count("sdkmessageprocessingsteps") == 18 })
	if n := sim.Count("serviceendpoints"); n != 1 {
		t.Fatalf("%d service endpoints; want 1", n)
	}

	// A notification without the key, or with a wrong one, is refused and pulls nothing.
	body := `{"PrimaryEntityName":"contact","PrimaryEntityId":"` + contact + `","MessageName":"Update"}`
	for _, key := range []string{"", "wrong-key-0123456789"} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+hookAddr+"/dynamics/webhook", strings.NewReader(body))
		if key != "" {
			req.Header.Set(connector.WebhookKeyHeader, key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a notification with key %q answered %d; want 401", key, resp.StatusCode)
		}
	}

	// A change in Dynamics reaches the lead query with no scheduled cycle due for an hour.
	delivered := sim.Webhooks().Delivered
	if err := sim.Update("contacts", contact, map[string]any{"jobtitle": "Head of Webhooks"}); err != nil {
		t.Fatal(err)
	}
	waitUntil("the changed title in msisync", func() bool { return title() == "Head of Webhooks" })
	if sim.Webhooks().Delivered <= delivered {
		t.Errorf("the simulator delivered no notification (%+v)", sim.Webhooks())
	}
	if strings.Contains(logs.String(), webhookSecret) {
		t.Errorf("the connector's log shows the webhook secret")
	}
}

// TestConnectorWebhookRegistrationIsIdempotent registers the webhook twice, the second time
// with a new URL: the one endpoint is updated and no step is added.
func TestConnectorWebhookRegistrationIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 3, Users: 2, Accounts: 2, Contacts: 2, Leads: 1, Opportunities: 1})
	url := "https://msisync.example.com/dynamics/webhook"
	e.configure = func(c *connector.Config) {
		c.WebhookURL, c.WebhookAddr, c.WebhookSecret, c.WebhookDebounce = url, "127.0.0.1:0", webhookSecret, time.Second
	}
	e.open()
	ctx := context.Background()
	first, err := e.conn.RegisterWebhook(ctx)
	if err != nil {
		t.Fatal(err)
	}
	url = "https://msisync.example.com/other"
	e.open()
	second, err := e.conn.RegisterWebhook(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first != second || e.sim.Count("serviceendpoints") != 1 || e.sim.Count("sdkmessageprocessingsteps") != 18 {
		t.Errorf("endpoints %s then %s; %d endpoints and %d steps; want one endpoint and 18 steps", first, second,
			e.sim.Count("serviceendpoints"), e.sim.Count("sdkmessageprocessingsteps"))
	}
	ep, _ := e.sim.Get("serviceendpoints", first)
	if ep["url"] != url || ep["contract"] != int64(8) || ep["authtype"] != int64(5) || !strings.Contains(ep["authvalue"].(string), webhookSecret) {
		t.Errorf("endpoint = %v", ep)
	}
}
