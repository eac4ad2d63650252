package connector

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
)

func TestWebhookSettingsAreCheckedTogether(t *testing.T) {
	ok := Config{WebhookURL: "https://msisync.example.com/hook", WebhookAddr: "0.0.0.0:8095", WebhookSecret: "0123456789abcdef"}
	if errs := ok.validateWebhook(); len(errs) != 0 {
		t.Fatalf("valid settings: %v", errs)
	}
	if errs := (&Config{}).validateWebhook(); len(errs) != 0 {
		t.Fatalf("near real time off: %v", errs)
	}
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"secret without URL", func(c *Config) { c.WebhookURL = "" }, "MSISYNC_DYNAMICS_WEBHOOK_URL is not"},
		{"relative URL", func(c *Config) { c.WebhookURL = "/hook" }, "MSISYNC_DYNAMICS_WEBHOOK_URL is \"/hook\""},
		{"no address", func(c *Config) { c.WebhookAddr = "" }, "MSISYNC_DYNAMICS_WEBHOOK_ADDR is not set"},
		{"bad address", func(c *Config) { c.WebhookAddr = "8095" }, "MSISYNC_DYNAMICS_WEBHOOK_ADDR"},
		{"short secret", func(c *Config) { c.WebhookSecret = "short" }, "MSISYNC_DYNAMICS_WEBHOOK_SECRET has 5 characters"},
		{"long debounce", func(c *Config) { c.WebhookDebounce = time.Hour }, "MSISYNC_DYNAMICS_WEBHOOK_DEBOUNCE is 1h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			errs := c.validateWebhook()
			if len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.want) {
				t.Errorf("validateWebhook = %v, want an error naming %q", errs, tc.want)
			}
		})
	}
}

func TestWebhookHandlerChecksTheKeyAndSchedulesTheTable(t *testing.T) {
	c := &Connector{cfg: Config{WebhookSecret: "0123456789abcdef"}, log: slog.New(slog.DiscardHandler)}
	p := newPending()
	h := c.webhookHandler(p)
	post := func(key, query, body string) int {
		r := httptest.NewRequest(http.MethodPost, "/hook"+query, strings.NewReader(body))
		if key != "" {
			r.Header.Set(WebhookKeyHeader, key)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	contact := `{"PrimaryEntityName":"contact","PrimaryEntityId":"00000000-0000-0000-0000-000000000001","MessageName":"Update"}`
	for _, tc := range []struct {
		name, key, query, body string
		want                   int
	}{
		{"no key", "", "", contact, http.StatusUnauthorized},
		{"wrong key", "0123456789abcdeX", "", contact, http.StatusUnauthorized},
		{"not JSON", "0123456789abcdef", "", "<xml/>", http.StatusBadRequest},
		{"a table not synced", "0123456789abcdef", "", `{"PrimaryEntityName":"task"}`, http.StatusOK},
	} {
		if got := post(tc.key, tc.query, tc.body); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	if sets := p.take(); len(sets) != 0 {
		t.Fatalf("refused notifications scheduled %v", sets)
	}
	if got := post("0123456789abcdef", "", contact); got != http.StatusAccepted {
		t.Errorf("header key: %d", got)
	}
	if got := post("", "?code=0123456789abcdef", strings.Replace(contact, "contact", "account", 1)); got != http.StatusAccepted {
		t.Errorf("code query parameter: %d", got)
	}
	select {
	case <-p.kick:
	default:
		t.Error("no kick")
	}
	if sets := p.take(); len(sets) != 2 || !sets[mapping.Contacts] || !sets[mapping.Accounts] {
		t.Errorf("scheduled %v; want contacts and accounts", sets)
	}
}

func TestEveryTrackedSetHasItsTable(t *testing.T) {
	if len(watchedTables) != len(mapping.PullOrder) {
		t.Fatalf("watchedTables = %v; want one table per set of %v (add the set to tableOf)", watchedTables, mapping.PullOrder)
	}
	for _, set := range mapping.PullOrder {
		if table := tableOf[set]; table == "" || watchedTables[table] != set {
			t.Errorf("set %s: table %q, watched as %q", set, table, watchedTables[table])
		}
	}
}
