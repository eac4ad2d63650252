package dataverse

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/msisync/msisync/platform/retry"
)

// Client talks to one Dataverse environment. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   string   // <URL>/api/data/<version>/
	origin *url.URL // scheme and host of cfg.URL
	prefer string   // the standard Prefer header value
	log    *slog.Logger
	sem    chan struct{} // one slot per request in flight

	cc     *clientcredentials.Config
	tokCtx context.Context // carries the HTTP client for token requests

	tokMu   sync.Mutex
	ts      oauth2.TokenSource // caching source; replaced to drop a rejected token
	lastTok string             // access token most recently fetched

	// Test hooks.
	sleep       retry.SleepFunc
	earlyExpiry func(lifetime time.Duration) time.Duration

	stats struct {
		requests, retries, throttled, serverErrors, tokenFetches, unauthorized atomic.Int64
	}
}

// Stats counts what the client did, for reports and tests.
type Stats struct {
	Requests     int64 // HTTP requests sent to the Web API (not counting token requests)
	Retries      int64 // requests (or $batch rounds) sent again after a 429, 5xx or network error
	Throttled    int64 // 429 answers, including $batch parts
	ServerErrors int64 // 5xx answers, including $batch parts
	TokenFetches int64 // requests to the token endpoint
	Unauthorized int64 // 401 answers
}

// New validates cfg and returns a Client. No request is sent. The OAuth2 scope is
// <URL>/.default.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	origin, _ := url.Parse(cfg.URL) // validated
	c := &Client{
		cfg:    cfg,
		base:   cfg.URL + "/api/data/" + cfg.APIVersion + "/",
		origin: &url.URL{Scheme: origin.Scheme, Host: origin.Host},
		prefer: `odata.include-annotations="*",odata.maxpagesize=` + strconv.Itoa(cfg.PageSize),
		log:    cfg.Log,
		sem:    make(chan struct{}, cfg.MaxConcurrency),
		cc: &clientcredentials.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			TokenURL:     cfg.TokenURL,
			Scopes:       []string{cfg.URL + "/.default"},
			AuthStyle:    oauth2.AuthStyleInParams, // the Entra shape: everything in the form body
		},
		tokCtx:      context.WithValue(context.Background(), oauth2.HTTPClient, cfg.HTTPClient),
		sleep:       retry.Sleep,
		earlyExpiry: earlyExpiry,
	}
	c.ts = c.newTokenSource()
	return c, nil
}

// BaseURL returns <URL>/api/data/<version>/.
func (c *Client) BaseURL() string { return c.base }

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:     c.stats.requests.Load(),
		Retries:      c.stats.retries.Load(),
		Throttled:    c.stats.throttled.Load(),
		ServerErrors: c.stats.serverErrors.Load(),
		TokenFetches: c.stats.tokenFetches.Load(),
		Unauthorized: c.stats.unauthorized.Load(),
	}
}

// ---------------------------------------------------------------------------------------
// Tokens

// earlyExpiry is how long before its expiry a token is renewed: a tenth of its lifetime,
// at most 5 minutes (an hour-long Entra token is renewed 5 minutes early).
func earlyExpiry(lifetime time.Duration) time.Duration {
	return max(0, min(5*time.Minute, lifetime/10))
}

// newTokenSource returns a caching token source over a fresh client-credentials fetch.
// The fetcher moves each token's Expiry earlier by earlyExpiry(lifetime); the reuse source
// then treats it as expired exactly at that moment (its own early expiry is 1ns, since 0
// would mean oauth2's default of 10s, too much for short test lifetimes).
func (c *Client) newTokenSource() oauth2.TokenSource {
	return oauth2.ReuseTokenSourceWithExpiry(nil, tokenFetcher{c}, time.Nanosecond)
}

type tokenFetcher struct{ c *Client }

func (f tokenFetcher) Token() (*oauth2.Token, error) {
	c := f.c
	c.stats.tokenFetches.Add(1)
	start := time.Now()
	tok, err := c.cc.Token(c.tokCtx)
	if err != nil {
		te := c.tokenError(err)
		c.log.Warn("dataverse: token request failed", "error", te.msg, "retryable", te.retryable)
		return nil, te
	}
	if tok.AccessToken == "" {
		return nil, &tokenError{msg: ErrToken.Error() + ": the token endpoint answered without an access_token"}
	}
	if !tok.Expiry.IsZero() {
		tok.Expiry = tok.Expiry.Add(-c.earlyExpiry(tok.Expiry.Sub(start)))
	}
	c.tokMu.Lock()
	c.lastTok = tok.AccessToken
	c.tokMu.Unlock()
	c.log.Debug("dataverse: token fetched", "expires_in", tok.ExpiresIn)
	return tok, nil
}

// tokenError is a failure of the token endpoint. Its message carries the OAuth error code
// and description but never the client secret.
type tokenError struct {
	msg       string
	retryable bool
	cause     error // a transport error, kept for errors.Is (context errors); nil for OAuth errors
}

func (e *tokenError) Error() string { return e.msg }

func (e *tokenError) Unwrap() []error {
	if e.cause != nil {
		return []error{ErrToken, e.cause}
	}
	return []error{ErrToken}
}

func (c *Client) tokenError(err error) *tokenError {
	te := &tokenError{}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %s answered HTTP %d", ErrToken.Error(), c.cfg.TokenURL, status)
		if re.ErrorCode != "" {
			b.WriteString(": " + re.ErrorCode)
			if re.ErrorDescription != "" {
				b.WriteString(": " + firstLine(re.ErrorDescription))
			}
		} else if body := strings.TrimSpace(string(re.Body)); body != "" {
			b.WriteString(": " + excerpt(body, 300))
		}
		switch {
		case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
			b.WriteString(" (check ClientID and ClientSecret, and that the secret has not expired)")
		case re.ErrorCode == "invalid_scope" || re.ErrorCode == "invalid_resource":
			b.WriteString(" (check URL: the scope is <URL>/.default)")
		case re.ErrorCode == "invalid_request" && status == http.StatusBadRequest:
			b.WriteString(" (check TokenURL and the tenant)")
		}
		te.msg = b.String()
		te.retryable = status == http.StatusTooManyRequests || status >= 500
	} else {
		te.msg = fmt.Sprintf("%s: %v", ErrToken.Error(), err)
		te.retryable = transientNetErr(err)
		te.cause = err
	}
	te.msg = c.scrub(te.msg)
	return te
}

// scrub removes the client secret (plain or form-encoded) from s.
func (c *Client) scrub(s string) string {
	sec := c.cfg.ClientSecret
	if sec == "" {
		return s
	}
	s = strings.ReplaceAll(s, sec, "[secret]")
	if q := url.QueryEscape(sec); q != sec {
		s = strings.ReplaceAll(s, q, "[secret]")
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// token returns a valid access token, fetching one when needed. Waiting for the fetch
// stops when ctx is done.
func (c *Client) token(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	ts := c.ts
	c.tokMu.Unlock()
	type result struct {
		tok *oauth2.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		t, err := ts.Token()
		ch <- result{t, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			return "", r.err
		}
		return r.tok.AccessToken, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// invalidate drops the cached token if it is still bad (the one a 401 answered to), so
// the next token call fetches a new one. Concurrent 401s for the same token cause one
// fetch only.
func (c *Client) invalidate(bad string) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.lastTok == bad {
		c.ts = c.newTokenSource()
		c.lastTok = ""
	}
}

// ---------------------------------------------------------------------------------------
// Requests, retries, throttling

// call is one API request, repeatable.
type call struct {
	method string
	url    string
	body   []byte      // nil: no body
	header http.Header // extra headers (Prefer, Content-Type, If-Match, ...)
}

// outcome of one attempt.
type outcome struct {
	err          error
	retry        bool          // transient: worth another attempt
	wait         time.Duration // Retry-After to honour (0: use backoff)
	status       int           // HTTP status, 0 for a transport error
	unauthorized bool
	throttled    bool // service protection (429, or 503 with Retry-After): wait, not a failed attempt
	waitGiven    bool // the answer carried a Retry-After (wait may be 0)
}

// do sends cl until it succeeds, fails permanently or budget attempts are used (a 401
// answered by a token refresh and a throttled answer use none). handle reads a 2xx
// response (the body is closed afterwards). On failure the error is the *Error of a
// non-retryable answer, a token/context error, a *ThrottleBudgetError, or an error
// wrapping a *retry.ExhaustedError.
func (c *Client) do(ctx context.Context, cl call, budget int, handle func(*http.Response) error) error {
	reauthed := false
	t := &throttle{}
	_, err := retry.Do(ctx, c.policy(budget, cl.method, cl.url, nil), func(ctx context.Context) error {
		return c.try(ctx, cl, t, &reauthed, handle)
	})
	return exhausted(err)
}

// policy is the retry policy of one request (or $batch) with budget attempts. Counted
// retries are counted in the stats and logged, by logParts when it takes them.
func (c *Client) policy(budget int, method, u string, logParts func(retry.Retrying) bool) retry.Policy {
	return retry.Policy{
		MaxAttempts: budget,
		Base:        c.cfg.BaseBackoff,
		Max:         c.cfg.MaxBackoff,
		Sleep:       c.sleep,
		OnRetry: func(r retry.Retrying) {
			if !r.Counted {
				return // throttled: counted and logged by try
			}
			c.stats.retries.Add(1)
			if logParts != nil && logParts(r) {
				return
			}
			status := 0
			if e := (*Error)(nil); errors.As(r.Err, &e) {
				status = e.Status
			}
			c.log.Warn("dataverse: retrying request",
				"method", method, "path", pathOf(u), "status", status, "attempt", r.Attempts,
				"max_attempts", budget, "wait", r.Wait, "error", r.Err.Error())
		},
	}
}

// backoff is the wait after the n-th counted failure, or the n-th throttled answer
// without a Retry-After: full jitter over BaseBackoff·2^(n-1), capped at MaxBackoff.
func (c *Client) backoff(n int) time.Duration {
	return retry.Policy{Base: c.cfg.BaseBackoff, Max: c.cfg.MaxBackoff}.Backoff(n)
}

// exhausted prefixes a *retry.ExhaustedError with the package name.
func exhausted(err error) error {
	if ex := (*retry.ExhaustedError)(nil); errors.As(err, &ex) {
		return fmt.Errorf("dataverse: %w", err)
	}
	return err
}

// try sends cl once for retry.Do, and once more with a new token when the API rejects
// the token the first time in the request (reauthed). A failure worth another attempt
// comes back marked: a throttled answer (429, or 503 with Retry-After) with retry.Again,
// its wait charged to the request's throttle account t, so that it uses no attempt until
// the throttle budget is spent; a 5xx, a network error or a failed token request with
// retry.RetryAfter, a counted attempt.
func (c *Client) try(ctx context.Context, cl call, t *throttle, reauthed *bool, handle func(*http.Response) error) error {
	o, tok := c.send(ctx, cl, handle)
	if o.unauthorized && !*reauthed {
		// The token was rejected (expired or revoked early): fetch a new one, retry once.
		*reauthed = true
		c.invalidate(tok)
		c.log.Info("dataverse: 401 from the API, renewing the token and retrying", "method", cl.method, "path", pathOf(cl.url))
		o, _ = c.send(ctx, cl, handle)
	}
	switch {
	case o.err == nil:
		return nil
	case !o.retry:
		return o.err
	case o.throttled:
		wait, err := c.throttled(t, o.wait, o.waitGiven, o.err)
		if err != nil {
			return err
		}
		c.stats.retries.Add(1)
		c.log.Info("dataverse: throttled, waiting", "method", cl.method, "path", pathOf(cl.url), "status", o.status,
			"wait", wait, "throttled_for", t.waited, "throttle_budget", c.cfg.ThrottleBudget)
		return retry.Again(o.err, wait)
	}
	return retry.RetryAfter(o.err, o.wait)
}

// send gets a token and sends cl with it once; it returns the token used.
func (c *Client) send(ctx context.Context, cl call, handle func(*http.Response) error) (outcome, string) {
	tok, err := c.token(ctx)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return outcome{err: cerr}, ""
		}
		var te *tokenError
		return outcome{err: err, retry: errors.As(err, &te) && te.retryable}, ""
	}
	return c.attempt(ctx, cl, tok, handle), tok
}

// attempt sends cl once. The concurrency slot is held only while the request is in
// flight (including reading the response), never while waiting to retry.
func (c *Client) attempt(ctx context.Context, cl call, tok string, handle func(*http.Response) error) outcome {
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, cl.url, body)
	if err != nil {
		return outcome{err: fmt.Errorf("dataverse: bad request URL: %w", err)}
	}
	h := req.Header
	h.Set("Accept", "application/json")
	h.Set("OData-MaxVersion", "4.0")
	h.Set("OData-Version", "4.0")
	if cl.method == http.MethodGet {
		h.Set("If-None-Match", "null")
	}
	for k, v := range cl.header {
		h[k] = v
	}
	h.Set("Authorization", "Bearer "+tok)

	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return outcome{err: ctx.Err()}
	}
	defer func() { <-c.sem }()

	c.stats.requests.Add(1)
	start := time.Now()
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return outcome{err: cerr}
		}
		return outcome{err: fmt.Errorf("dataverse: %s %s: %w", cl.method, pathOf(cl.url), err), retry: transientNetErr(err)}
	}
	defer resp.Body.Close()
	c.log.Debug("dataverse: response", "method", cl.method, "path", pathOf(cl.url), "status", resp.StatusCode, "took", time.Since(start))

	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		rr := &readRecorder{r: resp.Body}
		resp.Body = struct {
			io.Reader
			io.Closer
		}{rr, resp.Body}
		if err := handle(resp); err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return outcome{err: cerr}
			}
			// A body that broke off mid-way is transient; a body that does not decode is not.
			return outcome{err: err, retry: rr.err != nil, status: s}
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
		return outcome{}
	case s == http.StatusUnauthorized:
		c.stats.unauthorized.Add(1)
		return outcome{err: errorFromResponse(resp), status: s, unauthorized: true}
	default:
		e := errorFromResponse(resp)
		if s == http.StatusTooManyRequests {
			c.stats.throttled.Add(1)
		} else if s >= 500 {
			c.stats.serverErrors.Add(1)
		}
		o := outcome{err: e, status: s, retry: retryableStatus(s)}
		if s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable {
			o.wait = e.RetryAfter
			o.waitGiven = resp.Header.Get("Retry-After") != ""
			o.throttled = s == http.StatusTooManyRequests || o.waitGiven
		}
		return o
	}
}

// readRecorder remembers the first read error other than io.EOF.
type readRecorder struct {
	r   io.Reader
	err error
}

func (r *readRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// transientNetErr reports whether a transport error may go away on retry. Certificate
// problems and malformed URLs do not.
func transientNetErr(err error) bool {
	var (
		certErr  *tls.CertificateVerificationError
		authErr  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalErr x509.CertificateInvalidError
	)
	if errors.As(err, &certErr) || errors.As(err, &authErr) || errors.As(err, &hostErr) || errors.As(err, &invalErr) {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Op == "parse" {
		return false
	}
	return true
}

// pathOf returns the path of u for logs (no query: filters may hold data).
func pathOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.EscapedPath()
	}
	return "?"
}
