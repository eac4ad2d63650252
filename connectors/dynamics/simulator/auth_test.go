package simulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTokenFlow(t *testing.T) {
	e := newEnv(t, Options{TokenLifetime: 10 * time.Minute})
	good := func() url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {"msisync-sim"},
			"client_secret": {"sim-secret"}, "scope": {e.srv.URL + "/.default"}}
	}
	st, m := e.tokenRequest(good())
	if st != 200 || m["token_type"] != "Bearer" || m["expires_in"] != float64(600) || m["ext_expires_in"] != float64(600) || m["access_token"] == "" {
		t.Fatalf("success = %d %v", st, m)
	}

	// Scope compares case-insensitively and tolerates a trailing slash.
	f := good()
	f.Set("scope", strings.ToUpper(e.srv.URL)+"/"+"/.default")
	if st, m := e.tokenRequest(f); st != 200 {
		t.Fatalf("upper-case scope: %d %v", st, m)
	}

	tests := []struct {
		name   string
		edit   func(url.Values)
		status int
		code   string
		aadsts float64
	}{
		{"wrong secret", func(v url.Values) { v.Set("client_secret", "nope") }, 401, "invalid_client", 7000215},
		{"wrong client", func(v url.Values) { v.Set("client_id", "other") }, 401, "invalid_client", 7000215},
		{"wrong scope", func(v url.Values) { v.Set("scope", "https://other.crm.dynamics.com/.default") }, 400, "invalid_scope", 70011},
		{"user_impersonation scope", func(v url.Values) { v.Set("scope", e.srv.URL+"/user_impersonation") }, 400, "invalid_scope", 70011},
		{"wrong grant", func(v url.Values) { v.Set("grant_type", "password") }, 400, "unsupported_grant_type", 70003},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := good()
			tc.edit(f)
			st, m := e.tokenRequest(f)
			if st != tc.status || m["error"] != tc.code {
				t.Fatalf("got %d %v", st, m)
			}
			codes, _ := m["error_codes"].([]any)
			if len(codes) != 1 || codes[0] != tc.aadsts || !strings.HasPrefix(m["error_description"].(string), "AADSTS") ||
				m["trace_id"] == nil || m["correlation_id"] == nil || m["timestamp"] == nil {
				t.Fatalf("body %v", m)
			}
		})
	}

	// HTTP Basic client authentication.
	f = good()
	f.Del("client_id")
	f.Del("client_secret")
	req, _ := http.NewRequest("POST", e.srv.URL+"/8f6d1a2b-0000-4000-8000-000000000001/oauth2/v2.0/token", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("msisync-sim", "sim-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("basic auth: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if s := e.sim.Stats(); s.TokensIssued != 4 || s.TokenErrors != 5 {
		t.Fatalf("stats %+v", s)
	}
}

func TestUnauthorized(t *testing.T) {
	e := newEnv(t, Options{})
	resp, m := e.getJSON("WhoAmI", nil)
	if resp.StatusCode != 200 || m["UserId"] != e.sim.SeedReport().ApplicationUserID || m["OrganizationId"] == "" || m["BusinessUnitId"] == "" {
		t.Fatalf("WhoAmI %d %v", resp.StatusCode, m)
	}
	app, _ := e.sim.Get("systemusers", m["UserId"].(string))
	if app["accessmode"] != int64(4) || app["applicationid"] == nil {
		t.Fatalf("application user %v", app)
	}

	good := e.token
	for _, tc := range []struct{ name, token, msg string }{
		{"missing", "", "missing"}, {"invalid", "sim.forged", "invalid"},
	} {
		e.token = tc.token
		resp, b := e.do("GET", "accounts?$select=name", nil, "")
		wantErr(t, resp, b, 401, "0x80072560", tc.msg)
		if !strings.Contains(resp.Header.Get("WWW-Authenticate"), `Bearer error="invalid_token"`) {
			t.Fatalf("%s: WWW-Authenticate %q", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
	e.token = good
	e.sim.ExpireAccessTokens()
	resp, b := e.do("GET", "accounts?$select=name", nil, "")
	wantErr(t, resp, b, 401, "0x80072560", "expired")
	e.token = e.fetchToken()
	if resp, b := e.do("GET", "accounts?$select=name", nil, ""); resp.StatusCode != 200 {
		t.Fatalf("new token: %d %s", resp.StatusCode, b)
	}

	// Natural expiry through the clock.
	now := time.Now()
	e2 := newEnv(t, Options{TokenLifetime: time.Minute, Now: func() time.Time { return now }})
	now = now.Add(2 * time.Minute)
	resp, b = e2.do("GET", "WhoAmI", nil, "")
	wantErr(t, resp, b, 401, "0x80072560", "expired")
	if s := e.sim.Stats(); s.Unauthorized != 3 {
		t.Fatalf("unauthorized = %d", s.Unauthorized)
	}
}
