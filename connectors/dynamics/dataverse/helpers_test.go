package dataverse

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testSecret = "s3cr3t+Value/with=chars"

// env is a fake Entra token endpoint plus a fake Web API.
type env struct {
	t         *testing.T
	tokenSrv  *httptest.Server
	api       *httptest.Server
	expiresIn atomic.Int64 // expires_in of issued tokens (seconds)
	issued    atomic.Int64 // tokens issued

	mu       sync.Mutex
	valid    map[string]bool // accepted bearer tokens
	tokenErr http.HandlerFunc
	handler  http.HandlerFunc
	requests []*http.Request // API requests seen (headers only)
	apiCalls atomic.Int64
	// rejectAll makes the API answer 401 to every token.
	rejectAll atomic.Bool
}

func newEnv(t *testing.T, h http.HandlerFunc) *env {
	t.Helper()
	e := &env{t: t, valid: map[string]bool{}, handler: h}
	e.expiresIn.Store(3600)
	e.tokenSrv = httptest.NewServer(http.HandlerFunc(e.serveToken))
	t.Cleanup(e.tokenSrv.Close)
	e.api = httptest.NewServer(http.HandlerFunc(e.serveAPI))
	t.Cleanup(e.api.Close)
	return e
}

func (e *env) serveToken(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	te := e.tokenErr
	e.mu.Unlock()
	if te != nil {
		te(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	if _, _, ok := r.BasicAuth(); ok {
		e.t.Errorf("token request used basic auth; want the Entra shape (credentials in the form body)")
	}
	want := map[string]string{
		"grant_type":    "client_credentials",
		"client_id":     "app-id",
		"client_secret": testSecret,
		"scope":         e.api.URL + "/.default",
	}
	for k, v := range want {
		if got := r.PostForm.Get(k); got != v {
			e.t.Errorf("token form %s = %q, want %q", k, got, v)
		}
	}
	n := e.issued.Add(1)
	tok := fmt.Sprintf("tok-%d", n)
	e.mu.Lock()
	e.valid[tok] = true
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"token_type":"Bearer","expires_in":%d,"access_token":%q}`, e.expiresIn.Load(), tok)
}

func (e *env) serveAPI(w http.ResponseWriter, r *http.Request) {
	e.apiCalls.Add(1)
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	e.mu.Lock()
	ok := e.valid[tok]
	e.requests = append(e.requests, r.Clone(context.Background()))
	h := e.handler
	e.mu.Unlock()
	if e.rejectAll.Load() {
		writeError(w, 401, "0x8006088a", "ExpiredAuthTicket")
		return
	}
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h(w, r)
}

// revoke makes the API reject tok (as if it expired early).
func (e *env) revoke(tok string) {
	e.mu.Lock()
	delete(e.valid, tok)
	e.mu.Unlock()
}

func (e *env) seen() []*http.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*http.Request(nil), e.requests...)
}

// waits records the fake sleeps of a client.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	w.d = append(w.d, d)
	w.mu.Unlock()
	return ctx.Err()
}

func (w *waits) all() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.d...)
}

// expiring is a context whose deadline passes when expire is called, so that a test can
// end a wait at a chosen moment without reading the clock.
type expiring struct {
	context.Context
	expire context.CancelFunc
}

func newExpiring() expiring {
	ctx, cancel := context.WithCancel(context.Background())
	return expiring{ctx, cancel}
}

func (e expiring) Err() error {
	if e.Context.Err() != nil {
		return context.DeadlineExceeded
	}
	return nil
}

// client returns a Client for e with millisecond backoffs and a fake sleep.
func (e *env) client(mod func(*Config)) (*Client, *waits) {
	e.t.Helper()
	cfg := Config{
		URL:          e.api.URL,
		TokenURL:     e.tokenSrv.URL + "/tenant/oauth2/v2.0/token",
		ClientID:     "app-id",
		ClientSecret: testSecret,
		BaseBackoff:  time.Millisecond,
		MaxBackoff:   10 * time.Millisecond,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		e.t.Fatalf("New: %v", err)
	}
	w := &waits{}
	c.sleep = w.sleep
	return c, w
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func whoAmIHandler(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/WhoAmI") {
		writeError(w, 404, "", "no such resource "+r.URL.Path)
		return
	}
	writeJSON(w, 200, map[string]any{
		"@odata.context": "x/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
		"BusinessUnitId": "{B1B1B1B1-0000-0000-0000-000000000001}",
		"UserId":         "AAAAAAAA-0000-0000-0000-000000000002",
		"OrganizationId": "cccccccc-0000-0000-0000-000000000003",
	})
}
