package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// alertReceiver is an operator's webhook: it checks each call's X-Msisync-Signature with its
// own secret, as the README tells a receiver to, and answers 401 to a wrong one.
type alertReceiver struct {
	secret string
	url    string

	mu      sync.Mutex
	alerts  []map[string]any // the accepted bodies, in order
	refused int
}

func newAlertReceiver(t *testing.T, secret string) *alertReceiver {
	t.Helper()
	r := &alertReceiver{secret: secret}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha256.New, []byte(r.secret))
		mac.Write(body)
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		r.mu.Lock()
		defer r.mu.Unlock()
		if !hmac.Equal([]byte(req.Header.Get("X-Msisync-Signature")), []byte(want)) {
			r.refused++
			http.Error(w, "signature does not match", http.StatusUnauthorized)
			return
		}
		var a map[string]any
		if err := json.Unmarshal(body, &a); err != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		r.alerts = append(r.alerts, a)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hooks/msisync"
	return r
}

// waitFor polls until an accepted alert named key with status arrived, and returns it.
func (r *alertReceiver) waitFor(t *testing.T, key, status string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		for _, a := range r.alerts {
			if a["alert"] == key && a["status"] == status {
				r.mu.Unlock()
				return a
			}
		}
		got := append([]map[string]any(nil), r.alerts...)
		r.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("no %s alert %q within 20 s; received %v", status, key, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAlertsReachASignedWebhook runs the suite with an alert webhook: a dead letter past
// MSISYNC_ALERT_DEAD_LETTER_THRESHOLD=0 fires the dead-letter alert and dropping it
// resolves it; a client past 80 % of MSISYNC_DAILY_QUOTA fires its quota alert; each body is
// readable JSON signed with the secret. A second suite signing with another secret than its
// receiver's is refused (401) and retries, saying so in its log.
func TestAlertsReachASignedWebhook(t *testing.T) {
	t.Parallel()
	const secret = "e2e-alert-secret-0123456789"
	good := newAlertReceiver(t, secret)
	wrong := newAlertReceiver(t, "the-receivers-other-secret-42")
	alertEnv := func(url string, quota int) []string {
		return []string{"MSISYNC_ALERT_WEBHOOK_URL=" + url, "MSISYNC_ALERT_WEBHOOK_SECRET=" + secret,
			"MSISYNC_ALERT_CHECK_INTERVAL=1s", "MSISYNC_ALERT_DEAD_LETTER_THRESHOLD=0",
			"MSISYNC_PARK_TTL=1s", "MSISYNC_DEAD_LETTER_RETRY=off", "MSISYNC_DAILY_QUOTA=" + strconv.Itoa(quota)}
	}
	s := startSuite(t, "", alertEnv(good.url, 20)...)
	other := startSuite(t, "", alertEnv(wrong.url, 20)...)
	tok, otherTok := s.token(), other.token()

	// A lead whose company never comes is dead-lettered after a second: more dead letters
	// than the threshold of 0.
	s.createRun(tok, map[string]any{"leads": []map[string]any{{"externalPersonId": "alert-lead", "email": "alert-lead@example.com", "externalCompanyId": "alert-missing-co"}}})
	other.createRun(otherTok, map[string]any{"leads": []map[string]any{{"externalPersonId": "alert-lead", "email": "alert-lead@example.com", "externalCompanyId": "alert-missing-co"}}})
	fired := good.waitFor(t, "dead-letters", "firing")
	summary, _ := fired["summary"].(string)
	if !strings.Contains(summary, "1 dead-lettered sync records, more than the threshold of 0") || fired["source"] != "orchestrator" || fired["time"] == nil {
		t.Errorf("dead-letter alert = %v; want a summary a person can read, the source and the time", fired)
	}
	if d, _ := fired["details"].(map[string]any); d["deadLetters"] != float64(1) {
		t.Errorf("dead-letter alert details = %v, want deadLetters 1", fired["details"])
	}

	// Dropping it resolves the alert.
	dead := s.call(http.MethodGet, "/v1/dead-letters", tok, "", nil)
	list, _ := dead.body["deadLetters"].([]any)
	if len(list) != 1 {
		t.Fatalf("dead letters = %s, want the lead", dead.raw)
	}
	id, _ := list[0].(map[string]any)["pendingId"].(string)
	if r := s.call(http.MethodPost, "/v1/pending:drop", tok, "", map[string]any{"pendingIds": []string{id}}); r.status != http.StatusOK {
		t.Fatalf("dropping the dead letter: HTTP %d %s", r.status, r.raw)
	}
	good.waitFor(t, "dead-letters", "resolved")

	// 16 calls of 20 (80 %) fire the client's quota alert.
	for range 13 { // with the three calls above
		s.call(http.MethodGet, "/v1/syncs", tok, "", nil)
	}
	quota := good.waitFor(t, "api-quota/"+testClientID, "firing")
	if d, _ := quota["details"].(map[string]any); d["used"] != float64(16) || d["dailyQuota"] != float64(20) {
		t.Errorf("quota alert = %v; want 16 calls of 20", quota)
	}
	good.mu.Lock()
	if good.refused != 0 {
		t.Errorf("the receiver refused %d alerts signed with its own secret", good.refused)
	}
	for i, a := range good.alerts {
		for j := range i {
			if b := good.alerts[j]; a["alert"] == b["alert"] && a["status"] == b["status"] && a["status"] == "firing" && !resolvedBetween(good.alerts[j:i], a["alert"]) {
				t.Errorf("alert %v sent twice while firing: %v", a["alert"], good.alerts)
			}
		}
	}
	good.mu.Unlock()

	// The other suite signs with a secret its receiver does not have: refused, retried.
	deadline := time.Now().Add(20 * time.Second)
	for {
		wrong.mu.Lock()
		refused, accepted := wrong.refused, len(wrong.alerts)
		wrong.mu.Unlock()
		logs := other.logs.String()
		if refused >= 2 && strings.Contains(logs, "alert webhook failed; retrying") && strings.Contains(logs, "HTTP 401") {
			if accepted != 0 {
				t.Errorf("a receiver with another secret accepted %d alerts", accepted)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s the receiver with another secret refused %d calls; want the suite to retry and log it:\n%s", refused, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resolvedBetween reports whether alerts holds a resolution of key.
func resolvedBetween(alerts []map[string]any, key any) bool {
	for _, a := range alerts {
		if a["alert"] == key && a["status"] == "resolved" {
			return true
		}
	}
	return false
}
