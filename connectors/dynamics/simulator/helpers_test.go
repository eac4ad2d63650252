package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// env is a simulator behind an httptest server plus a token.
type env struct {
	t     *testing.T
	sim   *Simulator
	srv   *httptest.Server
	token string
}

// smallSeed is a tiny org for fast tests.
func smallSeed() *SeedOptions {
	return &SeedOptions{Random: 42, Users: 6, Accounts: 20, Contacts: 57, Leads: 30, Opportunities: 25}
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	if opts.Seed == nil {
		opts.Seed = smallSeed()
	}
	e := &env{t: t, sim: New(opts)}
	e.srv = httptest.NewServer(e.sim)
	t.Cleanup(e.srv.Close)
	e.token = e.fetchToken()
	return e
}

func (e *env) tokenURL() string { return e.srv.URL + "/common/oauth2/v2.0/token" }

func (e *env) fetchToken() string {
	e.t.Helper()
	st, body := e.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_id": {"msisync-sim"},
		"client_secret": {"sim-secret"}, "scope": {e.srv.URL + "/.default"}})
	if st != 200 {
		e.t.Fatalf("token: %d %v", st, body)
	}
	return body["access_token"].(string)
}

func (e *env) tokenRequest(form url.Values) (int, map[string]any) {
	e.t.Helper()
	resp, err := http.PostForm(e.tokenURL(), form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// do sends an API request; path is relative to the Web API base unless absolute.
func (e *env) do(method, path string, hdr map[string]string, body string) (*http.Response, []byte) {
	e.t.Helper()
	u := path
	if !strings.HasPrefix(path, "http") {
		u = e.srv.URL + apiPrefix + path
	}
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rb)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// getJSON GETs path and decodes the JSON body.
func (e *env) getJSON(path string, hdr map[string]string) (*http.Response, map[string]any) {
	e.t.Helper()
	resp, b := e.do("GET", path, hdr, "")
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		e.t.Fatalf("GET %s: %d %q: %v", path, resp.StatusCode, b, err)
	}
	return resp, m
}

// wantErr checks a Dataverse error response.
func wantErr(t *testing.T, resp *http.Response, body []byte, status int, code, msgPart string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, status, body)
	}
	var m struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if m.Error.Code != code || !strings.Contains(m.Error.Message, msgPart) {
		t.Fatalf("error = %+v, want code %q and message containing %q", m.Error, code, msgPart)
	}
}

// pageResult is one collection response.
type pageResult struct {
	Context   string           `json:"@odata.context"`
	Value     []map[string]any `json:"value"`
	NextLink  string           `json:"@odata.nextLink"`
	DeltaLink string           `json:"@odata.deltaLink"`
}

// loadAll follows nextLinks from path and returns every row plus the final deltaLink.
func (e *env) loadAll(path, prefer string) ([]map[string]any, string, int) {
	e.t.Helper()
	var rows []map[string]any
	pages := 0
	next := path
	for next != "" {
		resp, b := e.do("GET", next, map[string]string{"Prefer": prefer}, "")
		if resp.StatusCode != 200 {
			e.t.Fatalf("GET %s: %d %s", next, resp.StatusCode, b)
		}
		var p pageResult
		if err := json.Unmarshal(b, &p); err != nil {
			e.t.Fatal(err)
		}
		pages++
		rows = append(rows, p.Value...)
		if p.NextLink != "" && p.DeltaLink != "" {
			e.t.Fatalf("page has both nextLink and deltaLink")
		}
		if p.NextLink == "" {
			return rows, p.DeltaLink, pages
		}
		next = p.NextLink
	}
	return rows, "", pages
}
