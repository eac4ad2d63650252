package simulator

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// tokenInfo is one issued access token.
type tokenInfo struct {
	expires time.Time
	revoked bool // set by ExpireAccessTokens
}

// tokenStore holds issued access tokens.
type tokenStore struct {
	mu     sync.Mutex
	tokens map[string]tokenInfo
}

// ExpireAccessTokens makes every access token issued so far expired: API requests using
// them get 401 until the client fetches a new token.
func (s *Simulator) ExpireAccessTokens() {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	for k, t := range s.tokens.tokens {
		t.revoked = true
		s.tokens.tokens[k] = t
	}
}

// aadError writes a Microsoft Entra ID token error.
func aadError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	now := time.Now().UTC()
	traceID, corrID := newGUID(), newGUID()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	body, _ := marshal(obj{
		{"error", code},
		{"error_description", fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			aadsts, desc, traceID, corrID, now.Format("2006-01-02 15:04:05Z"))},
		{"error_codes", []int{aadsts}},
		{"timestamp", now.Format("2006-01-02 15:04:05Z")},
		{"trace_id", traceID},
		{"correlation_id", corrID},
	})
	_, _ = w.Write(body)
}

// serveToken implements POST /{tenant}/oauth2/v2.0/token (client credentials grant).
func (s *Simulator) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		aadError(w, http.StatusMethodNotAllowed, "invalid_request", 900561,
			"The endpoint only accepts POST requests.")
		return
	}
	if err := r.ParseForm(); err != nil {
		aadError(w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain a valid form.")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		s.stats.add(&s.stats.tokenErrors, 1)
		aadError(w, http.StatusBadRequest, "unsupported_grant_type", 70003,
			fmt.Sprintf("The app requested an unsupported grant type '%s'.", gt))
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if bu, bp, ok := r.BasicAuth(); ok {
		id, secret = bu, bp
	}
	if id != s.opts.ClientID || secret != s.opts.ClientSecret {
		s.stats.add(&s.stats.tokenErrors, 1)
		aadError(w, http.StatusUnauthorized, "invalid_client", 7000215,
			fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", id))
		return
	}
	scope := r.PostForm.Get("scope")
	want := strings.ToLower(baseURL(r))
	got := strings.ToLower(strings.TrimSpace(scope))
	if !strings.HasSuffix(got, "/.default") || strings.TrimSuffix(strings.TrimSuffix(got, "/.default"), "/") != want {
		s.stats.add(&s.stats.tokenErrors, 1)
		aadError(w, http.StatusBadRequest, "invalid_scope", 70011,
			fmt.Sprintf("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope %s is not valid; expected %s/.default.", scope, baseURL(r)))
		return
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := "sim." + base64.RawURLEncoding.EncodeToString(b[:])
	now := s.opts.Now()
	s.tokens.mu.Lock()
	for k, t := range s.tokens.tokens { // prune long-dead tokens
		if now.Sub(t.expires) > time.Hour {
			delete(s.tokens.tokens, k)
		}
	}
	s.tokens.tokens[tok] = tokenInfo{expires: now.Add(s.opts.TokenLifetime)}
	s.tokens.mu.Unlock()
	s.stats.add(&s.stats.tokensIssued, 1)
	secs := int(s.opts.TokenLifetime / time.Second)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	writeJSON(w, http.StatusOK, obj{
		{"token_type", "Bearer"}, {"expires_in", secs}, {"ext_expires_in", secs}, {"access_token", tok},
	})
}

// authenticate checks the bearer token of an API request.
func (s *Simulator) authenticate(w http.ResponseWriter, r *http.Request) *apiError {
	reason := ""
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "bearer ")
	}
	switch {
	case h == "":
		reason = "Bearer token is missing: the Authorization header is required."
	case !ok || tok == "":
		reason = "Bearer token is invalid: the Authorization header must be 'Bearer <token>'."
	default:
		s.tokens.mu.Lock()
		info, known := s.tokens.tokens[strings.TrimSpace(tok)]
		s.tokens.mu.Unlock()
		switch {
		case !known:
			reason = "Bearer token is invalid: it was not issued by this environment."
		case info.revoked || !s.opts.Now().Before(info.expires):
			reason = "Bearer token has expired (ExpiredAuthTicket)."
		}
	}
	if reason == "" {
		return nil
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(
		`Bearer error="invalid_token", error_description=%q, authorization_uri="%s/common/oauth2/authorize", resource_id="%s/"`,
		reason, baseURL(r), baseURL(r)))
	return &apiError{status: http.StatusUnauthorized, code: "0x80072560", msg: reason}
}
