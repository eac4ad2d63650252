package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// upstreamStatus is a paused delivery with a backlog, as of now.
func upstreamStatus(now time.Time) *orchestratorv1.GetUpstreamStatusResponse {
	return &orchestratorv1.GetUpstreamStatusResponse{
		Mode:       "upstream",
		MarketoUrl: "https://123-ABC-456.mktorest.com",
		Objects: []*orchestratorv1.UpstreamQueue{
			{Object: "salesPerson", Delivered: 3},
			{Object: "lead", Pending: 1234, InFlight: 300, Waiting: 17, Skipped: 12, Delivered: 25000, OldestWaiting: timestamppb.New(now.Add(-12*time.Minute - 20*time.Second))},
		},
		Calls:         &orchestratorv1.UpstreamCalls{UsedToday: 45000, Allowed: 45000, Left: 0, ResetAt: timestamppb.New(time.Date(2026, 12, 8, 6, 0, 0, 0, time.UTC)), Rate: 0},
		LastError:     "Marketo answered 607 <Daily quota reached>",
		LastErrorTime: timestamppb.New(time.Date(2026, 12, 7, 15, 4, 5, 0, time.UTC)),
		PausedUntil:   timestamppb.New(time.Date(2026, 12, 8, 6, 0, 0, 0, time.UTC)),
		PausedReason:  "Marketo's daily API quota is spent (607)",
		Delivery:      &orchestratorv1.UpstreamDelivery{RecordsPerSecond: 3.5, DeliveredSinceStart: 25003},
		Msi:           &orchestratorv1.UpstreamMsi{LastPoll: timestamppb.New(now.Add(-2*time.Minute - 10*time.Second)), LastError: "Marketo did not answer in 30 s", LeadsRead: 480},
	}
}

// getPage loads a console page with the session cookie.
func getPage(t *testing.T, c *Console, ck *http.Cookie, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// postForm posts a console form with the session cookie and a CSRF token.
func postForm(t *testing.T, c *Console, ck *http.Cookie, path, csrf string) (int, string) {
	t.Helper()
	form := url.Values{"csrf": {csrf}}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// overviewCSRF signs in and returns the session cookie, the overview and its CSRF token.
func overviewCSRF(t *testing.T, c *Console) (*http.Cookie, string, string) {
	t.Helper()
	_, ck := signIn(t, c, "right-secret-0123456789")
	if ck == nil {
		t.Fatal("sign-in failed")
	}
	code, body := getPage(t, c, ck, "/console/")
	if code != http.StatusOK {
		t.Fatalf("overview: HTTP %d\n%s", code, body)
	}
	m := hiddenCSRF.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the overview:\n%s", body)
	}
	return ck, body, m[1]
}

func TestEmbeddedModeShowsNoMarketoPanel(t *testing.T) {
	c, _ := newTestConsole(t)
	_, body, _ := overviewCSRF(t, c)
	for _, s := range []string{"Marketo delivery", `id="upstream"`, "/console/upstream/"} {
		if strings.Contains(body, s) {
			t.Errorf("embedded mode's overview shows %q:\n%s", s, body)
		}
	}
}

func TestUpstreamModeShowsTheDeliveryAndThePause(t *testing.T) {
	c, f := newTestConsole(t)
	f.upstream = upstreamStatus(time.Now())
	_, body, _ := overviewCSRF(t, c)
	for _, want := range []string{
		`id="upstream"`, "Marketo delivery", "https://123-ABC-456.mktorest.com",
		// The pause banner, with its reason and until when.
		`id="upstream-paused"`, "The delivery to Marketo is paused until 2026-12-08 06:00:00 UTC.", "Marketo&#39;s daily API quota is spent (607).",
		// The last error, escaped.
		`id="upstream-error"`, "(2026-12-07 15:04:05 UTC): Marketo answered 607 &lt;Daily quota reached&gt;",
		// The outbox per object.
		"<th scope=\"row\">People</th><td>1,234</td><td>300</td><td>17</td><td>12</td><td>25,000</td>", "12 min ago",
		"<th scope=\"row\">Sales persons</th><td>0</td><td>0</td><td>0</td><td>0</td><td>3</td><td>—</td>",
		// Calls, rate, MSI poller.
		"Used: <strong>45,000</strong> of 45,000 allowed", "Left: <strong>0</strong>", "Resets at 2026-12-08 06:00:00 UTC",
		"Rate: <strong>3.5 records/s</strong>", "Delivered since start: 25,003",
		"2 min ago", "failed</span>: Marketo did not answer in 30 s", "Leads read since start: 480",
		// A writer's buttons.
		`id="upstream-resume"`, `id="upstream-retry"`, `id="upstream-backfill"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Contains(body, "<Daily quota") {
		t.Error("the last error is not escaped")
	}
	if t.Failed() {
		t.Logf("overview:\n%s", body)
	}
}

func TestARunningDeliveryShowsNoPauseBanner(t *testing.T) {
	c, f := newTestConsole(t)
	st := upstreamStatus(time.Now())
	st.PausedUntil, st.PausedReason, st.LastError, st.LastErrorTime = nil, "", "", nil
	f.upstream = st
	_, body, _ := overviewCSRF(t, c)
	if !strings.Contains(body, `<span class="ok">running</span>`) || strings.Contains(body, "upstream-paused") || strings.Contains(body, "upstream-error") {
		t.Errorf("a running delivery's panel:\n%s", body)
	}
}

func TestAReadOnlySessionCannotControlTheDelivery(t *testing.T) {
	c, f := newTestConsole(t)
	f.upstream = upstreamStatus(time.Now())
	f.readOnly = true
	ck, body, csrf := overviewCSRF(t, c)
	if !strings.Contains(body, `id="upstream-paused"`) || !strings.Contains(body, `id="upstream-readonly-note"`) {
		t.Errorf("a read-only client's overview lacks the panel or the read-only note:\n%s", body)
	}
	if strings.Contains(body, "/console/upstream/") || strings.Contains(body, "press Resume delivery") {
		t.Errorf("a read-only client's overview offers the delivery controls:\n%s", body)
	}
	for _, action := range []string{"resume", "retry", "backfill"} {
		code, page := postForm(t, c, ck, "/console/upstream/"+action, csrf)
		if code != http.StatusForbidden || !strings.Contains(page, "Your API client may not do this") || !strings.Contains(page, "603") {
			t.Errorf("read-only %s: HTTP %d:\n%s", action, code, page)
		}
		if n := f.controlCalls(action); n != 0 {
			t.Errorf("read-only %s reached the delivery %d times", action, n)
		}
	}
}

func TestAWriterSendsSkippedRecordsAgain(t *testing.T) {
	c, f := newTestConsole(t)
	f.upstream = upstreamStatus(time.Now())
	f.queued = 12
	ck, _, csrf := overviewCSRF(t, c)
	// Without the session's CSRF token nothing is sent.
	for _, token := range []string{"", "forged"} {
		if code, page := postForm(t, c, ck, "/console/upstream/retry", token); code != http.StatusForbidden || !strings.Contains(page, "CSRF") {
			t.Errorf("retry with csrf %q: HTTP %d:\n%s", token, code, page)
		}
	}
	if n := f.controlCalls("retry"); n != 0 {
		t.Fatalf("%d retries reached the API without the CSRF token", n)
	}
	code, page := postForm(t, c, ck, "/console/upstream/retry", csrf)
	if code != http.StatusOK || !strings.Contains(page, `id="notice"`) || !strings.Contains(page, "12 records queued again") {
		t.Errorf("retry: HTTP %d:\n%s", code, page)
	}
	if n := f.controlCalls("retry"); n != 1 {
		t.Errorf("RetryUpstream called %d times, want 1", n)
	}
}

func TestAWriterResumesAndBackfills(t *testing.T) {
	c, f := newTestConsole(t)
	f.upstream = upstreamStatus(time.Now())
	ck, _, csrf := overviewCSRF(t, c)
	for action, want := range map[string]string{
		"resume":   "The delivery to Marketo runs again",
		"backfill": "Reading every delivered lead&#39;s MSI fields from Marketo again",
	} {
		code, page := postForm(t, c, ck, "/console/upstream/"+action, csrf)
		if code != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("%s: HTTP %d:\n%s", action, code, page)
		}
		if n := f.controlCalls(action); n != 1 {
			t.Errorf("%s called %d times, want 1", action, n)
		}
	}
	if code, _ := postForm(t, c, ck, "/console/upstream/explode", csrf); code != http.StatusNotFound {
		t.Errorf("an unknown control: HTTP %d, want 404", code)
	}
}

func TestAControlInEmbeddedModeSaysWhy(t *testing.T) {
	c, _ := newTestConsole(t)
	ck, _, csrf := overviewCSRF(t, c)
	code, page := postForm(t, c, ck, "/console/upstream/retry", csrf)
	if code != http.StatusBadRequest || !strings.Contains(page, "Could not send the skipped records again.") || !strings.Contains(page, "MSISYNC_MARKETO_URL") {
		t.Errorf("retry in embedded mode: HTTP %d:\n%s", code, page)
	}
}

func TestAPauseWithAReasonOnly(t *testing.T) {
	if got := sentence(" paused "); got != "paused." {
		t.Errorf("sentence = %q", got)
	}
	p := newUpstreamPanel(&orchestratorv1.GetUpstreamStatusResponse{Mode: "upstream", PausedReason: "credentials refused."}, time.Now())
	if !p.Paused || p.PausedReason != "credentials refused." || p.PausedUntil != "" {
		t.Errorf("a pause with a reason only: %+v", p)
	}
	if q := newUpstreamPanel(&orchestratorv1.GetUpstreamStatusResponse{Mode: "upstream"}, time.Now()); q.Paused || q.MSI.LastPoll != "" {
		t.Errorf("an empty status: %+v", q)
	}
}
