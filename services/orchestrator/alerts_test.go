package orchestrator

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/alert"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
	"github.com/msisync/msisync/services/orchestrator/internal/upstream"
)

type fakeBacklog struct {
	mu   sync.Mutex
	dead int64
}

func (f *fakeBacklog) Backlog(context.Context) (store.Backlog, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return store.Backlog{DeadLettered: map[store.ObjectType]int64{store.Lead: f.dead}}, nil
}

func TestAlertsFireAndResolveWithTheCounts(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []alert.Event
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e alert.Event
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &e); err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
	}))
	defer srv.Close()
	cfg := Config{Alert: alert.Config{WebhookURL: config.Secret(srv.URL), WebhookSecret: "0123456789abcdef"},
		AlertDeadLetterThreshold: 2, AlertCheckInterval: time.Hour, DailyQuota: 100}
	bl := &fakeBacklog{dead: 3}
	usage := map[string]int64{"crm": 80, "other": 79}
	w := newAlerts(cfg, bl, func() map[string]int64 { return usage }, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.a.Run(ctx)
	w.check(ctx)
	bl.dead, usage["crm"] = 2, 80
	w.check(ctx) // dead letters back to the threshold: resolved; crm still at 80 %: not sent again
	want := []string{"dead-letters firing", "api-quota/crm firing", "dead-letters resolved"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		var seen []string
		for _, e := range got {
			seen = append(seen, e.Alert+" "+e.Status)
		}
		mu.Unlock()
		if strings.Join(seen, ",") == strings.Join(want, ",") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts sent = %v, want %v", seen, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMarketoAlertsFireWhilePausedOrStalled(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e alert.Event
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &e); err != nil {
			t.Error(err)
		}
		mu.Lock()
		got = append(got, e.Alert+" "+e.Status+": "+e.Summary)
		mu.Unlock()
	}))
	defer srv.Close()
	cfg := Config{Alert: alert.Config{WebhookURL: config.Secret(srv.URL), WebhookSecret: "0123456789abcdef"}, AlertCheckInterval: time.Hour}
	w := newAlerts(cfg, &fakeBacklog{}, func() map[string]int64 { return nil }, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.a.Run(ctx)
	now := time.Now()
	w.marketo(upstream.Health{PausedUntil: now.Add(time.Hour), PauseReason: "Marketo's daily API quota is spent (607)", Backlog: 40, OldestWaiting: now.Add(-20 * time.Minute), LastError: "607"}, now)
	w.marketo(upstream.Health{}, now) // delivered: both resolve
	want := []string{"marketo/paused firing", "marketo/stalled firing", "marketo/paused resolved", "marketo/stalled resolved"}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		seen := append([]string(nil), got...)
		mu.Unlock()
		var heads []string
		for _, s := range seen {
			heads = append(heads, s[:strings.Index(s, ":")])
		}
		if strings.Join(heads, ",") == strings.Join(want, ",") {
			if !strings.Contains(seen[0], "607") || !strings.Contains(seen[1], "40 records wait") {
				t.Errorf("alert messages lack the reason or the backlog: %v", seen)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts sent = %v, want %v", seen, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAlertSettingsNameTheVariable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{AlertDeadLetterThreshold: -1}, "MSISYNC_ALERT_DEAD_LETTER_THRESHOLD"},
		{Config{Alert: alert.Config{WebhookURL: "https://x.example", WebhookSecret: "0123456789abcdef"}}, "MSISYNC_ALERT_CHECK_INTERVAL"},
		{Config{Alert: alert.Config{WebhookURL: "https://x.example"}, AlertCheckInterval: time.Minute}, "MSISYNC_ALERT_WEBHOOK_SECRET"},
	} {
		if err := tt.cfg.validateAlerts(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("validateAlerts(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
}
