package alert

import (
	"bytes"
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

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/retry"
)

const secret = "0123456789abcdef-secret"

// receiver is a webhook that checks signatures with its secret: 401 for a wrong one.
type receiver struct {
	secret   string
	mu       sync.Mutex
	got      []Event
	refused  int
	received chan struct{}
}

func newReceiver(t *testing.T, secret string) (*receiver, *httptest.Server) {
	r := &receiver{secret: secret, received: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer func() { r.mu.Unlock(); r.received <- struct{}{} }()
		if !Verify([]byte(r.secret), body, req.Header.Get(SignatureHeader)) {
			r.refused++
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var e Event
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("alert body %s: %v", body, err)
		}
		r.got = append(r.got, e)
	}))
	t.Cleanup(srv.Close)
	return r, srv
}

func (r *receiver) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-r.received:
		case <-time.After(10 * time.Second):
			t.Fatalf("the receiver got %d calls, want %d", len(r.got)+r.refused, n)
		}
	}
}

func noWait(context.Context, time.Duration) error { return nil }

func TestAlertsAreSignedDeduplicatedAndResolved(t *testing.T) {
	t.Parallel()
	rcv, srv := newReceiver(t, secret)
	a := New(Config{WebhookURL: config.Secret(srv.URL), WebhookSecret: secret}, "orchestrator", nil, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	a.Raise("dead-letters", "120 dead letters, over the threshold of 100", map[string]any{"count": 120})
	a.Raise("dead-letters", "121 dead letters", nil) // already firing: not sent again
	a.Resolve("dead-letters", "dead letters back under the threshold")
	a.Resolve("dead-letters", "again") // not firing: not sent
	rcv.wait(t, 2)
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.got) != 2 || rcv.got[0].Status != Firing || rcv.got[1].Status != Resolved || rcv.got[0].Alert != "dead-letters" ||
		rcv.got[0].Source != "orchestrator" || rcv.got[0].Details["count"] != float64(120) || rcv.got[0].Time.IsZero() {
		t.Errorf("received %+v; want the firing alert with its details, then its resolution", rcv.got)
	}
}

func TestAWrongSecretIsRefusedAndRetried(t *testing.T) {
	t.Parallel()
	rcv, srv := newReceiver(t, "another-secret-of-the-receiver")
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	a := New(Config{WebhookURL: config.Secret(srv.URL), WebhookSecret: secret}, "orchestrator", log,
		Options{Retry: retry.Policy{MaxAttempts: 3, Sleep: noWait}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go a.Run(ctx)
	a.Raise("quota", "a client used 80 % of its daily quota", nil)
	rcv.wait(t, 3)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		out := logs.String()
		mu.Unlock()
		if strings.Contains(out, "alert not sent: the webhook kept failing") {
			if !strings.Contains(out, "alert webhook failed; retrying") || !strings.Contains(out, "HTTP 401") {
				t.Errorf("logs do not show the retries and the 401: %s", out)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no give-up line after 3 refused attempts: %s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if rcv.refused != 3 || len(rcv.got) != 0 {
		t.Errorf("receiver refused %d and took %d, want 3 refused and none taken", rcv.refused, len(rcv.got))
	}
}

func TestRaiseNeverBlocks(t *testing.T) {
	t.Parallel()
	// Nobody runs the delivery: the queue fills, and further alerts are dropped at once.
	a := New(Config{WebhookURL: "http://127.0.0.1:1/none", WebhookSecret: secret}, "test", nil, Options{QueueSize: 2})
	done := make(chan struct{})
	go func() {
		for i := range 100 {
			a.Raise(string(rune('a'+i%26))+strings.Repeat("x", i), "s", nil)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Raise blocked on a full queue")
	}
	var none *Alerter // off: does nothing
	none.Raise("k", "s", nil)
	none.Resolve("k", "s")
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"alert":"x"}`)
	sig := Sign([]byte(secret), body)
	if !Verify([]byte(secret), body, sig) || !Verify([]byte(secret), body, "sha256="+strings.ToUpper(sig[7:])) {
		t.Error("a good signature was refused")
	}
	for _, bad := range []string{"", sig[7:], "sha256=00", Sign([]byte("other"), body)} {
		if Verify([]byte(secret), body, bad) {
			t.Errorf("Verify accepted %q", bad)
		}
	}
	if Verify([]byte(secret), []byte(`{"alert":"y"}`), sig) {
		t.Error("a signature of another body was accepted")
	}
}

func TestConfigNamesTheVariable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{WebhookURL: "ftp://x"}, "MSISYNC_ALERT_WEBHOOK_URL"},
		{Config{WebhookURL: "https://x.example/a"}, "MSISYNC_ALERT_WEBHOOK_SECRET"},
		{Config{WebhookURL: "https://x.example/a", WebhookSecret: "short"}, "MSISYNC_ALERT_WEBHOOK_SECRET"},
		{Config{WebhookSecret: secret}, "MSISYNC_ALERT_WEBHOOK_URL"},
	} {
		if err := tt.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %s", tt.cfg, err, tt.want)
		}
	}
	if err := (Config{WebhookURL: "https://x.example/a", WebhookSecret: secret}).Validate(); err != nil {
		t.Errorf("a good configuration: %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("no webhook: %v", err)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
