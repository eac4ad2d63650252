package dataverse

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/retry"
)

func TestNewValidation(t *testing.T) {
	good := Config{URL: "https://org.crm.dynamics.com", TokenURL: "https://login.microsoftonline.com/t/oauth2/v2.0/token", ClientID: "id", ClientSecret: "sec"}
	cases := []struct {
		name    string
		mod     func(*Config)
		wantErr string // substring; "" = valid
	}{
		{"valid", func(*Config) {}, ""},
		{"trailing slash ok", func(c *Config) { c.URL = "https://org.crm.dynamics.com/" }, ""},
		{"http simulator ok", func(c *Config) { c.URL = "http://127.0.0.1:8090" }, ""},
		{"missing URL", func(c *Config) { c.URL = "" }, "URL is required"},
		{"bad scheme", func(c *Config) { c.URL = "ftp://org" }, "must use https://"},
		{"no scheme", func(c *Config) { c.URL = "org.crm.dynamics.com" }, "URL"},
		{"with path", func(c *Config) { c.URL = "https://org.crm.dynamics.com/api/data/v9.2" }, "bare environment URL"},
		{"missing TokenURL", func(c *Config) { c.TokenURL = "" }, "TokenURL is required"},
		{"bad TokenURL", func(c *Config) { c.TokenURL = "login" }, "TokenURL"},
		{"missing ClientID", func(c *Config) { c.ClientID = " " }, "ClientID is required"},
		{"missing secret", func(c *Config) { c.ClientSecret = "" }, "ClientSecret is required"},
		{"bad version", func(c *Config) { c.APIVersion = "9.2" }, "APIVersion"},
		{"page size low", func(c *Config) { c.PageSize = -1 }, "PageSize"},
		{"page size high", func(c *Config) { c.PageSize = 5001 }, "PageSize"},
		{"page size max ok", func(c *Config) { c.PageSize = 5000 }, ""},
		{"concurrency 52", func(c *Config) { c.MaxConcurrency = 52 }, "MaxConcurrency 52"},
		{"concurrency 51 ok", func(c *Config) { c.MaxConcurrency = 51 }, ""},
		{"negative attempts", func(c *Config) { c.MaxAttempts = -1 }, "MaxAttempts"},
		{"negative backoff", func(c *Config) { c.BaseBackoff = -time.Second }, "BaseBackoff"},
		{"max below base", func(c *Config) { c.BaseBackoff = time.Second; c.MaxBackoff = time.Millisecond }, "MaxBackoff"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mod(&cfg)
			c, err := New(cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if c == nil {
					t.Fatal("nil client")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New error = %v, want it to contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "sec") && cfg.ClientSecret == "sec" && strings.Contains(err.Error(), `"sec"`) {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}

	// Several problems are reported together.
	_, err := New(Config{})
	for _, f := range []string{"URL", "TokenURL", "ClientID", "ClientSecret"} {
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Errorf("empty config error %v does not name %s", err, f)
		}
	}
}

func TestDefaultsAndBaseURL(t *testing.T) {
	c, err := New(Config{URL: "https://org.crm.dynamics.com/", TokenURL: "https://login/t/token", ClientID: "id", ClientSecret: "sec"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.BaseURL(), "https://org.crm.dynamics.com/api/data/v9.2/"; got != want {
		t.Errorf("BaseURL = %q, want %q", got, want)
	}
	cfg := c.cfg
	if cfg.PageSize != 1000 || cfg.MaxConcurrency != 8 || cfg.MaxAttempts != 8 || cfg.BaseBackoff != 500*time.Millisecond || cfg.MaxBackoff != 30*time.Second {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.HTTPClient.Timeout != 2*time.Minute || cfg.HTTPClient.Jar != nil {
		t.Errorf("default HTTP client: timeout %v jar %v", cfg.HTTPClient.Timeout, cfg.HTTPClient.Jar)
	}
	if got := c.cc.Scopes; len(got) != 1 || got[0] != "https://org.crm.dynamics.com/.default" {
		t.Errorf("scope = %v", got)
	}
}

func TestWhoAmIAndHeaders(t *testing.T) {
	e := newEnv(t, whoAmIHandler)
	c, _ := e.client(func(c *Config) { c.PageSize = 250 })
	w, err := c.WhoAmI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := WhoAmI{UserID: "aaaaaaaa-0000-0000-0000-000000000002", BusinessUnitID: "b1b1b1b1-0000-0000-0000-000000000001", OrganizationID: "cccccccc-0000-0000-0000-000000000003"}
	if w != want {
		t.Errorf("WhoAmI = %+v, want %+v", w, want)
	}
	r := e.seen()[0]
	if r.URL.Path != "/api/data/v9.2/WhoAmI" || r.Method != "GET" {
		t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	for k, v := range map[string]string{
		"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0",
		"If-None-Match": "null", "Authorization": "Bearer tok-1",
	} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if got := r.Header.Values("Prefer"); len(got) != 1 || got[0] != `odata.include-annotations="*",odata.maxpagesize=250` {
		t.Errorf("Prefer = %q, want one combined value", got)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		t.Errorf("GET carries Content-Type %q", ct)
	}
}

func TestTokenFetchedOnceAndReused(t *testing.T) {
	e := newEnv(t, whoAmIHandler)
	c, _ := e.client(nil)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.WhoAmI(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := e.issued.Load(); n != 1 {
		t.Errorf("tokens issued = %d, want 1", n)
	}
	if s := c.Stats(); s.TokenFetches != 1 || s.Requests != 10 {
		t.Errorf("stats = %+v", s)
	}
}

func TestEarlyExpiry(t *testing.T) {
	for _, tc := range []struct{ life, want time.Duration }{
		{time.Hour, 5 * time.Minute},
		{3599 * time.Second, 5 * time.Minute},
		{10 * time.Minute, time.Minute},
		{2 * time.Second, 200 * time.Millisecond},
		{0, 0},
		{-time.Second, 0},
	} {
		if got := earlyExpiry(tc.life); got != tc.want {
			t.Errorf("earlyExpiry(%v) = %v, want %v", tc.life, got, tc.want)
		}
	}
}

func TestTokenRenewedWhenExpired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, whoAmIHandler)
	e.expiresIn.Store(1) // renewed 100ms early, i.e. after ~900ms
	c, _ := e.client(nil)
	ctx := context.Background()
	for range 2 {
		if _, err := c.WhoAmI(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.issued.Load(); n != 1 {
		t.Fatalf("tokens issued = %d before expiry, want 1", n)
	}
	time.Sleep(time.Second)
	if _, err := c.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.issued.Load(); n != 2 {
		t.Errorf("tokens issued = %d after expiry, want 2", n)
	}
	if got := e.seen()[2].Header.Get("Authorization"); got != "Bearer tok-2" {
		t.Errorf("third request used %q", got)
	}
}

func TestUnauthorizedRefetchesAndRetriesOnce(t *testing.T) {
	e := newEnv(t, whoAmIHandler)
	c, _ := e.client(nil)
	ctx := context.Background()
	if _, err := c.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}
	e.revoke("tok-1") // the service stops accepting the cached token
	if _, err := c.WhoAmI(ctx); err != nil {
		t.Fatalf("WhoAmI after revocation: %v", err)
	}
	s := c.Stats()
	if s.TokenFetches != 2 || s.Unauthorized != 1 || s.Requests != 3 {
		t.Errorf("stats = %+v, want 2 token fetches, 1 unauthorized, 3 requests", s)
	}

	// A 401 that persists after the refresh is returned (one retry only).
	e2 := newEnv(t, whoAmIHandler)
	e2.rejectAll.Store(true)
	c2, _ := e2.client(nil)
	_, err := c2.WhoAmI(ctx)
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Fatalf("err = %v, want a 401 *Error", err)
	}
	if n := e2.apiCalls.Load(); n != 2 {
		t.Errorf("API calls = %d, want 2 (request + one retry)", n)
	}
	if n := e2.issued.Load(); n != 2 {
		t.Errorf("tokens issued = %d, want 2", n)
	}
}

func TestTokenEndpointError(t *testing.T) {
	e := newEnv(t, whoAmIHandler)
	var calls atomic.Int64
	e.tokenErr = func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: x","error_codes":[7000215]}`))
	}
	c, _ := e.client(nil)
	_, err := c.WhoAmI(context.Background())
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"invalid_client", "AADSTS7000215", "HTTP 401", "ClientSecret"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, testSecret) {
		t.Errorf("error leaks the secret: %q", msg)
	}
	if !errors.Is(err, ErrToken) {
		t.Errorf("errors.Is(err, ErrToken) = false")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("token calls = %d, want 1 (invalid_client is not retried)", n)
	}
	if n := e.apiCalls.Load(); n != 0 {
		t.Errorf("API calls = %d, want 0", n)
	}

	// A non-OAuth error body that echoes the secret is scrubbed; a 503 is retried.
	calls.Store(0)
	e.tokenErr = func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_ = r.ParseForm()
		http.Error(w, "gateway trouble for "+r.PostForm.Get("client_secret"), http.StatusServiceUnavailable)
	}
	c, _ = e.client(func(c *Config) { c.MaxAttempts = 3 })
	_, err = c.WhoAmI(context.Background())
	if err == nil || strings.Contains(err.Error(), testSecret) || !strings.Contains(err.Error(), "[secret]") {
		t.Errorf("error = %v, want the secret scrubbed", err)
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("token calls = %d, want 3 (503 retried up to MaxAttempts)", n)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			writeError(w, 429, "0x80072322", "Number of requests exceeded the limit of 6000 over time window of 300 seconds.")
			return
		}
		whoAmIHandler(w, r)
	})
	c, waits := e.client(nil)
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := waits.all(); len(got) != 1 || got[0] != time.Second {
		t.Errorf("waits = %v, want [1s] (Retry-After: 1) before the second request", got)
	}
	if s := c.Stats(); s.Throttled != 1 || s.Retries != 1 || s.Requests != 2 {
		t.Errorf("stats = %+v", s)
	}
}

func TestRetryAfterWaits(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "120") // above MaxBackoff: honoured in full
			writeError(w, 429, "0x80072321", "Combined execution time ...")
		case 2:
			w.Header().Set("Retry-After", "900") // capped at 5 minutes
			writeError(w, 429, "0x80072326", "Number of concurrent requests exceeded the limit of 52.")
		case 3:
			writeError(w, 429, "0x80072322", "no Retry-After: backoff") // backoff
		default:
			whoAmIHandler(w, r)
		}
	})
	c, waits := e.client(nil)
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := waits.all()
	if len(got) != 3 || got[0] != 120*time.Second || got[1] != 5*time.Minute || got[2] > 10*time.Millisecond {
		t.Errorf("waits = %v, want [2m0s 5m0s <=10ms]", got)
	}
	if s := c.Stats(); s.Throttled != 3 || s.Retries != 3 {
		t.Errorf("stats = %+v", s)
	}
}

func TestServerErrorRetriedThenSuccess(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			writeError(w, 503, "", "Service Unavailable")
		case 2:
			w.WriteHeader(502)
			_, _ = w.Write([]byte("<html>bad gateway</html>"))
		default:
			whoAmIHandler(w, r)
		}
	})
	c, waits := e.client(nil)
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatal(err)
	}
	ws := waits.all()
	if len(ws) != 2 {
		t.Fatalf("waits = %v, want 2", ws)
	}
	// full jitter over 1ms then 2ms
	if ws[0] > time.Millisecond || ws[1] > 2*time.Millisecond {
		t.Errorf("waits = %v exceed the exponential bounds", ws)
	}
	if s := c.Stats(); s.ServerErrors != 2 || s.Retries != 2 || s.Requests != 3 {
		t.Errorf("stats = %+v", s)
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			panic(http.ErrAbortHandler) // drops the connection
		}
		whoAmIHandler(w, r)
	})
	c, waits := e.client(nil)
	if _, err := c.WhoAmI(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(waits.all()) != 1 {
		t.Errorf("waits = %v, want one retry", waits.all())
	}
}

func TestClientErrorNotRetried(t *testing.T) {
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 400, "0x80060888", "Could not find a property named 'bogus' on type 'Microsoft.Dynamics.CRM.contact'.")
	})
	c, waits := e.client(nil)
	_, err := c.Query(context.Background(), "contacts", Query{Select: []string{"bogus"}})
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if apiErr.Status != 400 || apiErr.Code != "0x80060888" || !strings.Contains(apiErr.Message, "bogus") {
		t.Errorf("Error = %+v", apiErr)
	}
	if want := "dataverse: 400 0x80060888: Could not find a property named 'bogus' on type 'Microsoft.Dynamics.CRM.contact'."; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
	if e.apiCalls.Load() != 1 || len(waits.all()) != 0 {
		t.Errorf("400 was retried: calls %d waits %v", e.apiCalls.Load(), waits.all())
	}
	if errors.Is(err, ErrDeltaExpired) {
		t.Error("400 taken for an expired delta")
	}
}

func TestMaxAttemptsExhausted(t *testing.T) {
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, 500, "0x80040216", "An unexpected error occurred.")
	})
	c, waits := e.client(func(c *Config) { c.MaxAttempts = 3 })
	_, err := c.WhoAmI(context.Background())
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Status != 500 {
		t.Fatalf("err = %v, want wrapping a 500 *Error", err)
	}
	if !strings.Contains(err.Error(), "3 attempts") {
		t.Errorf("err = %q, want it to say 3 attempts", err)
	}
	if n := e.apiCalls.Load(); n != 3 {
		t.Errorf("API calls = %d, want 3", n)
	}
	if len(waits.all()) != 2 {
		t.Errorf("waits = %v, want 2", waits.all())
	}
}

func TestConcurrencyBound(t *testing.T) {
	var inFlight, peak atomic.Int64
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(15 * time.Millisecond)
		whoAmIHandler(w, r)
	})
	c, _ := e.client(func(c *Config) { c.MaxConcurrency = 3 })
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.WhoAmI(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > 3 {
		t.Errorf("peak in flight = %d, want <= 3", p)
	} else if p < 2 {
		t.Errorf("peak in flight = %d: requests were not concurrent at all", p)
	}
}

func TestSlotNotHeldWhileWaiting(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "30")
			writeError(w, 429, "0x80072322", "slow down")
			return
		}
		whoAmIHandler(w, r)
	})
	c, _ := e.client(func(c *Config) { c.MaxConcurrency = 1 })
	waiting := make(chan struct{})
	release := make(chan struct{})
	c.sleep = func(ctx context.Context, d time.Duration) error {
		close(waiting)
		<-release
		return nil
	}
	done := make(chan error, 1)
	go func() { _, err := c.WhoAmI(context.Background()); done <- err }()
	<-waiting
	// The only slot must be free while the first request waits out its Retry-After.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := c.WhoAmI(ctx); err != nil {
		t.Fatalf("second request blocked while the first waited: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestCancelStopsWait(t *testing.T) {
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "60")
		writeError(w, 429, "0x80072322", "slow down")
	})
	c, _ := e.client(nil)
	// The deadline passes once the client has begun its minute-long wait; the real sleep
	// must end then, with the context's error, and the request must not be sent again.
	ctx := newExpiring()
	var asked []time.Duration
	var interrupted error
	c.sleep = func(sctx context.Context, d time.Duration) error {
		asked = append(asked, d)
		ctx.expire()
		interrupted = retry.Sleep(sctx, d)
		return interrupted
	}
	_, err := c.WhoAmI(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	if len(asked) != 1 || asked[0] != time.Minute || !errors.Is(interrupted, context.DeadlineExceeded) {
		t.Errorf("waits asked %v, the wait returned %v; want one 1m wait cut short by the deadline", asked, interrupted)
	}
	if n := e.apiCalls.Load(); n != 1 {
		t.Errorf("API calls = %d, want 1", n)
	}
}

func TestBackoffBounds(t *testing.T) {
	c, err := New(Config{URL: "https://o", TokenURL: "https://l/t", ClientID: "i", ClientSecret: "s",
		BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 70; n++ {
		limit := min(time.Second, 100*time.Millisecond<<min(n-1, 20))
		for range 50 {
			if d := c.backoff(n); d < 0 || d > limit {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, limit)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"1", time.Second}, {" 7 ", 7 * time.Second}, {"0", 0}, {"-3", 0}, {"junk", 0},
		{"300", 5 * time.Minute}, {"100000", 5 * time.Minute},
		{now.Add(20 * time.Second).Format(http.TimeFormat), 20 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := parseRetryAfter(tc.in, now); got != tc.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
