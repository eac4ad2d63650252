package suiteproc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Client talks to the suite's REST gateway with a bearer token. Its methods are safe for
// concurrent use once Authenticate has returned.
type Client struct {
	base   string
	id     string
	secret string
	http   *http.Client
	token  string
}

// NewClient returns a client of the gateway at base for the API client id/secret that keeps
// a connection per concurrent caller (conns) alive and never uses a proxy.
func NewClient(base, id, secret string, conns int) *Client {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns + 4,
		MaxIdleConnsPerHost: conns + 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &Client{base: base, id: id, secret: secret, http: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

// Authenticate gets an access token with the client's credentials.
func (c *Client) Authenticate(ctx context.Context) error {
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id}, "client_secret": {c.secret}}
	raw, err := c.Do(ctx, http.MethodGet, "/identity/oauth/token?"+q.Encode(), "", nil)
	if err != nil {
		return fmt.Errorf("getting a token: %w", err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(raw, &tok); err != nil || tok.AccessToken == "" {
		return fmt.Errorf("getting a token: no access_token in %s", Snippet(raw))
	}
	c.token = tok.AccessToken
	return nil
}

// Call sends one request and returns the HTTP status and body of the answer, whatever the
// status. The error is only for requests that got no answer.
func (c *Client) Call(ctx context.Context, method, path, contentType string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, err
	}
	return resp.StatusCode, raw, nil
}

// Do sends one request and returns the body of an HTTP 200 answer; any other status is an
// error.
func (c *Client) Do(ctx context.Context, method, path, contentType string, body []byte) ([]byte, error) {
	status, raw, err := c.Call(ctx, method, path, contentType, body)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", status, Snippet(raw))
	}
	return raw, nil
}

// CallJSON posts a JSON body to path (see Call).
func (c *Client) CallJSON(ctx context.Context, path string, body []byte) (int, []byte, error) {
	return c.Call(ctx, http.MethodPost, path, "application/json", body)
}

// QueryPath is path with Marketo's ?_method=GET override, which lets a query's parameters
// travel in a form body (for long filterValues lists).
func QueryPath(path string) string { return path + "?_method=GET" }

// CallQuery sends the query form to path as POST path?_method=GET with a form body (see
// Call).
func (c *Client) CallQuery(ctx context.Context, path string, form url.Values) (int, []byte, error) {
	return c.Call(ctx, http.MethodPost, QueryPath(path), "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// Query is CallQuery that returns the body of an HTTP 200 answer; any other status is an
// error.
func (c *Client) Query(ctx context.Context, path string, form url.Values) ([]byte, error) {
	return c.Do(ctx, http.MethodPost, QueryPath(path), "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// Snippet shortens a response body for an error message.
func Snippet(b []byte) string {
	const n = 400
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
