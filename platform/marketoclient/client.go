package marketoclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/retry"
)

// Options are the parts of a Client that tests and embedders replace; the zero value is
// the real thing.
type Options struct {
	// HTTP makes the requests; nil means a client with cfg.Timeout.
	HTTP *http.Client
	// Limits are shared with the other clients of the same instance; nil means new ones.
	Limits *Limits
	// Now and Sleep replace the clock (for the token's expiry, the limits and the backoff).
	Now   func() time.Time
	Sleep retry.SleepFunc
	// Rand replaces the backoff's jitter (see retry.Policy).
	Rand func(n int64) int64
	// Retry sets the attempts and backoff of failed calls; zero means DefaultRetry.
	Retry retry.Policy
	// Log hears about retries and pauses; nil discards.
	Log *slog.Logger
}

// DefaultRetry is how often and how patiently failed calls are tried again.
var DefaultRetry = retry.Policy{MaxAttempts: 6, Base: time.Second, Max: time.Minute}

// tokenMargin is how long before its expiry a token is replaced.
const tokenMargin = 60 * time.Second

// Client calls one Marketo instance. Safe for concurrent use.
type Client struct {
	cfg    Config
	http   *http.Client
	limits *Limits
	now    func() time.Time
	policy retry.Policy
	log    *slog.Logger

	tokenMu sync.Mutex
	token   string
	expires time.Time

	stats stats
}

// New returns a Client of the instance cfg names; cfg must be valid and upstream.
func New(cfg Config, opt Options) *Client {
	c := &Client{cfg: cfg, http: opt.HTTP, limits: opt.Limits, now: opt.Now, log: opt.Log, policy: opt.Retry}
	if c.http == nil {
		c.http = &http.Client{Timeout: cfg.Timeout}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.limits == nil {
		c.limits = NewLimits(cfg, c.now, opt.Sleep)
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.policy.MaxAttempts == 0 {
		c.policy = DefaultRetry
	}
	if opt.Sleep != nil {
		c.policy.Sleep = opt.Sleep
	}
	if opt.Rand != nil {
		c.policy.Rand = opt.Rand
	}
	c.policy.OnRetry = func(r retry.Retrying) {
		c.stats.retried()
		c.log.Warn("retrying a Marketo call", "attempt", r.Attempts, "wait", r.Wait, "error", r.Err)
	}
	return c
}

// Limits returns the limits the client observes.
func (c *Client) Limits() *Limits { return c.limits }

// envelope is Marketo's response envelope.
type envelope struct {
	RequestID     string            `json:"requestId"`
	Success       bool              `json:"success"`
	Errors        []Reason          `json:"errors"`
	Warnings      []json.RawMessage `json:"warnings"`
	Result        json.RawMessage   `json:"result"`
	NextPageToken string            `json:"nextPageToken"`
	MoreResult    bool              `json:"moreResult"`
}

// Reason is a code and message, in an envelope's errors or a record's reasons.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// call sends one idempotent request (method, path with query, JSON body or nil) and decodes
// the envelope's result into out (nil: ignored). It waits for the limits, renews the token
// once on 601/602, retries 604, 606, 608, 615, 5xx, timeouts and dropped connections with
// backoff and jitter, and stops every call until the reset on 607.
func (c *Client) call(ctx context.Context, method, path string, body any, out any) (*envelope, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	return c.send(ctx, method, path, payload, "application/json", out)
}

// send is call with the body already encoded, of contentType.
func (c *Client) send(ctx context.Context, method, path string, payload []byte, contentType string, out any) (*envelope, error) {
	renewed := false
	var env *envelope
	_, err := retry.Do(ctx, c.policy, func(ctx context.Context) error {
		e, err := c.attempt(ctx, method, path, payload, contentType)
		var api *APIError
		switch {
		case err == nil:
			env = e
			return nil
		case errors.As(err, &api):
			switch api.Code {
			case marketo.CodeAccessTokenInvalid, marketo.CodeAccessTokenExpired:
				if renewed {
					return &AuthError{Detail: api.Code + " " + api.Message + " with a fresh token"}
				}
				renewed = true
				c.dropToken()
				return retry.Again(err, 0)
			case marketo.CodeDailyQuotaReached:
				q := c.limits.pause()
				c.log.Warn("Marketo's daily API quota is spent: every call pauses until the reset", "reset", q.ResetAt)
				return q
			case marketo.CodeRequestTimeOut, marketo.CodeRateLimitExceeded, marketo.CodeTemporarilyUnavailble,
				marketo.CodeConcurrentAccessLimit:
				return retry.Retry(err)
			}
			if strings.HasPrefix(api.Code, "HTTP 5") {
				return retry.Retry(err)
			}
			return err
		case transient(err):
			return retry.Retry(err)
		}
		return err
	})
	c.stats.ended(c.now(), err)
	if err != nil {
		var ex *retry.ExhaustedError
		if errors.As(err, &ex) {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		return nil, err
	}
	if out != nil && len(env.Result) > 0 {
		if err := json.Unmarshal(env.Result, out); err != nil {
			return nil, fmt.Errorf("%s %s: reading Marketo's result: %w", method, path, err)
		}
	}
	return env, nil
}

// attempt sends the request once, within the limits.
func (c *Client) attempt(ctx context.Context, method, path string, payload []byte, contentType string) (*envelope, error) {
	tok, err := c.accessToken(ctx)
	if err != nil {
		return nil, err
	}
	release, err := c.limits.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.cfg.URL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if payload != nil {
		req.Header.Set("Content-Type", contentType)
	}
	c.stats.called()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	bare, _, _ := strings.Cut(path, "?")
	if resp.StatusCode != http.StatusOK {
		return nil, &APIError{Code: fmt.Sprintf("HTTP %d", resp.StatusCode), Message: http.StatusText(resp.StatusCode), Path: bare}
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return nil, &APIError{Code: "HTTP 200", Message: "the answer is not Marketo's JSON envelope", Path: bare}
	}
	if !env.Success {
		e := &APIError{Path: bare}
		if len(env.Errors) > 0 {
			e.Code, e.Message = env.Errors[0].Code, env.Errors[0].Message
		}
		return nil, e
	}
	return &env, nil
}

// transient reports a failure of the connection that another attempt may not meet.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE)
}

// tokenAnswer is the identity service's answer.
type tokenAnswer struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// accessToken returns the cached token, or a new one when it is missing or about to expire.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.tokenMu.Lock()
	defer c.tokenMu.Unlock()
	if c.token != "" && c.now().Before(c.expires) {
		return c.token, nil
	}
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret.Value()}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.identityURL()+"/oauth/token?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds the secret: keep it out of the error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = fmt.Errorf("getting a Marketo access token from %s: %w", c.cfg.identityURL(), ue.Err)
		}
		return "", err
	}
	defer resp.Body.Close()
	var ans tokenAnswer
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusBadRequest || ans.Error != "":
		detail := ans.ErrorDescription
		if detail == "" {
			detail = fmt.Sprintf("HTTP %d %s", resp.StatusCode, ans.Error)
		}
		return "", &AuthError{Status: resp.StatusCode, Detail: detail}
	case resp.StatusCode >= 500:
		return "", &APIError{Code: fmt.Sprintf("HTTP %d", resp.StatusCode), Message: http.StatusText(resp.StatusCode), Path: "/identity/oauth/token"}
	case resp.StatusCode != http.StatusOK || ans.AccessToken == "":
		return "", &AuthError{Status: resp.StatusCode, Detail: fmt.Sprintf("HTTP %d without an access token from %s", resp.StatusCode, c.cfg.identityURL())}
	}
	c.token = ans.AccessToken
	c.expires = c.now().Add(time.Duration(ans.ExpiresIn)*time.Second - tokenMargin)
	return c.token, nil
}

// dropToken forgets the cached token, so that the next call gets a new one.
func (c *Client) dropToken() {
	c.tokenMu.Lock()
	c.token = ""
	c.tokenMu.Unlock()
}
