package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// runMarketoCheck runs `msisync marketo check` with the given settings and returns its exit
// code, standard output and standard error.
func runMarketoCheck(t *testing.T, env ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, "marketo", "check")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// TestMarketoCheckAgainstAnEmbeddedSuite uses a second msisync suite (embedded mode, with
// Marketo's daily quota on) as the customer's Marketo: the preflight passes with the right
// credentials and prints the quota use, names the credentials with a wrong secret, names the
// variable when a setting is missing, and says to ask Marketo support when the instance's
// sales persons API is missing (MSI non-native off: a proxy answers 610 for it). The check
// writes nothing: the upstream suite has no lead afterwards.
func TestMarketoCheckAgainstAnEmbeddedSuite(t *testing.T) {
	t.Parallel()
	upstream := startSuite(t, "", "MSISYNC_DAILY_QUOTA=50000")
	settings := func(base, secret string) []string {
		return []string{
			"MSISYNC_MARKETO_URL=" + base,
			"MSISYNC_MARKETO_CLIENT_ID=" + testClientID,
			"MSISYNC_MARKETO_CLIENT_SECRET=" + secret,
		}
	}

	code, out, errOut := runMarketoCheck(t, settings(upstream.base, testClientSecret)...)
	if code != 0 {
		t.Fatalf("check with the right credentials: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("msisync marketo check:\n%s", out)
	for _, want := range []string{
		"ok  credentials", "externalSalesPersonId", "externalCompanyId", "externalPersonId",
		"lead database: readable", "lead database: writable", "Marketo is ready for msisync.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	// The upstream suite counted the check's calls against its daily quota
	// (GET /rest/v1/stats/usage.json): the three describes, the query, the sync and the
	// usage call itself.
	if m := regexp.MustCompile(`quota: (\d+) of 50000 API calls used today`).FindStringSubmatch(out); m == nil || m[1] != "6" {
		t.Errorf("check output does not report the 6 calls it made today of 50000:\n%s", out)
	}
	tok := upstream.token()
	if r := upstream.call(http.MethodGet, "/rest/v1/leads.json?filterType=email&filterValues=x%40y.z", tok, "", nil); r.errorCode() != "" {
		t.Errorf("query upstream: %s", r.raw)
	}
	for _, obj := range []string{"salespersons", "companies"} {
		if r := upstream.call(http.MethodGet, "/rest/v1/"+obj+".json?filterType=id&filterValues=1,2,3", tok, "", nil); len(r.results()) != 0 {
			t.Errorf("the check wrote %s: %s", obj, r.raw)
		}
	}

	// A custom field msisync declares but the instance lacks: every lead would be skipped.
	code, out, errOut = runMarketoCheck(t, append(settings(upstream.base, testClientSecret), "MSISYNC_CUSTOM_FIELDS="+testCustomFields+",leads:notInMarketo:string")...)
	if code != 1 || !strings.Contains(errOut, "no field notInMarketo, which MSISYNC_CUSTOM_FIELDS declares") || !strings.Contains(out, "ok  credentials") {
		t.Errorf("check with an undeclared custom field: exit %d, stderr %q\n%s", code, errOut, out)
	}
	code, out, _ = runMarketoCheck(t, append(settings(upstream.base, testClientSecret), "MSISYNC_CUSTOM_FIELDS="+testCustomFields)...)
	if code != 0 || !strings.Contains(out, "declared custom fields shoeSize, bvCustom, seats") {
		t.Errorf("check with the declared custom fields: exit %d\n%s", code, out)
	}

	code, out, errOut = runMarketoCheck(t, settings(upstream.base, "not-the-secret")...)
	if code != 1 || !strings.Contains(errOut, "Marketo refused msisync's credentials") || !strings.Contains(errOut, "MSISYNC_MARKETO_CLIENT_SECRET") {
		t.Errorf("check with a wrong secret: exit %d, stderr %q; want 1 and a sentence naming the credentials\n%s", code, errOut, out)
	}

	code, _, errOut = runMarketoCheck(t, "MSISYNC_MARKETO_URL="+upstream.base, "MSISYNC_MARKETO_CLIENT_ID="+testClientID)
	if code != 1 || !strings.Contains(errOut, "MSISYNC_MARKETO_CLIENT_SECRET is empty") {
		t.Errorf("check without a secret: exit %d, stderr %q", code, errOut)
	}

	// An instance without MSI non-native: its sales persons API does not exist.
	target, _ := url.Parse(upstream.base)
	proxy := httputil.NewSingleHostReverseProxy(target)
	noMSI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/rest/v1/salespersons") {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"requestId":"e2e#1","success":false,"errors":[{"code":"610","message":"Requested resource not found"}]}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(noMSI.Close)
	code, out, errOut = runMarketoCheck(t, settings(noMSI.URL, testClientSecret)...)
	if code != 1 || !strings.Contains(errOut, "MSI non-native is not enabled on this instance: ask Marketo support") {
		t.Errorf("check without MSI non-native: exit %d, stderr %q\n%s", code, errOut, out)
	}
}

// TestMarketoHelp: `msisync marketo --help` explains the check without reaching anything, and
// an unknown command is refused with exit code 2.
func TestMarketoHelp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"marketo", "--help"}, 0, "usage: msisync marketo check"},
		{[]string{"marketo", "sync"}, 2, `unknown command`},
		{[]string{"--help"}, 0, "msisync marketo --help"},
	} {
		cmd := exec.Command(binary, c.args...)
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(string(out), c.want) {
			t.Errorf("msisync %s: exit %d, output %q; want exit %d and %q", strings.Join(c.args, " "), code, out, c.code, c.want)
		}
	}
}
