package marketoclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/retry"
)

// clock is a fake clock that moves only when something sleeps on it.
type clock struct {
	mu     sync.Mutex
	t      time.Time
	sleeps []time.Duration
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *clock) slept() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.sleeps) }

// fake is a Marketo instance of the test's: it issues tokens tok1, tok2, … and answers
// REST calls with reply, counting them.
type fake struct {
	t      *testing.T
	srv    *httptest.Server
	secret string
	clock  *clock

	mu       sync.Mutex
	tokens   int
	calls    int
	at       []time.Time // fake time of each REST call
	running  int
	maxRun   int
	reply    func(n int, r *http.Request) (status int, body string) // n: 1-based call number
	lastAuth string
}

func newFake(t *testing.T, c *clock) *fake {
	f := &fake{t: t, secret: "s3cret", clock: c}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/identity/oauth/token" {
		if r.URL.Query().Get("client_secret") != f.secret || r.URL.Query().Get("client_id") != "cid" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"Bad client credentials"}`)
			return
		}
		f.mu.Lock()
		f.tokens++
		n := f.tokens
		f.mu.Unlock()
		fmt.Fprintf(w, `{"access_token":"tok%d","token_type":"bearer","expires_in":3599,"scope":"api@x"}`, n)
		return
	}
	f.mu.Lock()
	f.calls++
	n := f.calls
	if f.clock != nil {
		f.at = append(f.at, f.clock.now())
	}
	f.running++
	f.maxRun = max(f.maxRun, f.running)
	f.lastAuth = r.Header.Get("Authorization")
	reply := f.reply
	f.mu.Unlock()
	defer func() { f.mu.Lock(); f.running--; f.mu.Unlock() }()
	status, body := http.StatusOK, `{"requestId":"1#x","success":true,"result":[]}`
	if reply != nil {
		status, body = reply(n, r)
	}
	if status < 0 { // drop the connection without an answer
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
		return
	}
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func (f *fake) count() int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls }

// failure is a Marketo envelope with one response-level error.
func failure(code, msg string) string {
	return fmt.Sprintf(`{"requestId":"1#x","success":false,"errors":[{"code":%q,"message":%q}]}`, code, msg)
}

// ok is a successful envelope with result.
func ok(result any) string {
	b, _ := json.Marshal(map[string]any{"requestId": "1#x", "success": true, "result": result})
	return string(b)
}

// client returns a client of f with cfg's limits (start from Defaults), on clock c (nil:
// the real one), with the top of each backoff range as its jitter.
func (f *fake) client(cfg Config, c *clock) *Client {
	cfg.URL, cfg.ClientID = f.srv.URL, "cid"
	if cfg.ClientSecret == "" {
		cfg.ClientSecret = config.Secret(f.secret)
	}
	opt := Options{Rand: func(n int64) int64 { return n - 1 }, Retry: retry.Policy{MaxAttempts: 4, Base: time.Second, Max: 10 * time.Second}}
	if c != nil {
		opt.Now, opt.Sleep = c.now, c.sleep
	}
	return New(cfg, opt)
}
