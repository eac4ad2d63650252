package e2e

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// consoleClient is a browser-like HTTP client signed in to the console.
type consoleClient struct {
	t    *testing.T
	base string
	http *http.Client
}

var consoleCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInConsole signs in through the console's form with a cookie jar.
func signInConsole(t *testing.T, s *suite, id, secret string) *consoleClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &consoleClient{t: t, base: s.base, http: &http.Client{Jar: jar}}
	_, page := c.get("/console/login")
	m := consoleCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the sign-in page:\n%s", page)
	}
	resp, err := c.http.PostForm(s.base+"/console/login", url.Values{"client_id": {id}, "client_secret": {secret}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/console/" || !strings.Contains(string(body), `id="client-id">`+id+`<`) {
		t.Fatalf("signing in as %s ended at %s:\n%s", id, resp.Request.URL, body)
	}
	return c
}

// get loads a console page and returns its status and body.
func (c *consoleClient) get(path string) (int, string) {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestConsolePageLoadsDoNotCountAgainstTheLimits(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_RATE_LIMIT_CALLS=3", "MSISYNC_RATE_LIMIT_WINDOW=1h", "MSISYNC_DAILY_QUOTA=1000")
	tok := s.token()
	c := signInConsole(t, s, testClientID, testClientSecret)
	// Each page makes several API calls as the client; far more than 3 in all.
	for range 4 {
		for _, path := range []string{"/console/", "/console/runs", "/console/pending", "/console/findings"} {
			if code, body := c.get(path); code != http.StatusOK || strings.Contains(body, `role="alert"`) {
				t.Fatalf("GET %s = %d:\n%s", path, code, body)
			}
		}
	}
	// The client's own window is untouched: three calls pass, the fourth is 606.
	for i := range 3 {
		if r := s.call(http.MethodGet, describePath, tok, "", nil); r.body["success"] != true {
			t.Fatalf("REST call %d of 3 after the console's page loads: %s", i+1, r.raw)
		}
	}
	if r := s.call(http.MethodGet, describePath, tok, "", nil); r.errorCode() != "606" {
		t.Errorf("4th REST call: %s; want 606", r.raw)
	}
	// A caller cannot claim to be the console to dodge the limits.
	req, _ := http.NewRequest(http.MethodGet, s.base+describePath, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Grpc-Metadata-X-Msisync-Console", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(raw), `"code":"606"`) {
		t.Errorf("REST call claiming to be the console: %s; want 606", raw)
	}
	// The overview shows today's calls against the quota: the three that passed (refused calls
	// and the console's own do not count), once the counts reach the store.
	row := regexp.MustCompile(`<td>` + testClientID + `</td><td>(\d+)</td>`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, body := c.get("/console/")
		if m := row.FindStringSubmatch(body); m != nil {
			if m[1] != "3" {
				t.Errorf("overview shows %s calls today for %s, want 3:\n%s", m[1], testClientID, body)
			}
			if !strings.Contains(body, "Daily quota: 1000 calls") {
				t.Errorf("overview does not name the daily quota")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the overview did not show %s's calls today within 20 s:\n%s", testClientID, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
