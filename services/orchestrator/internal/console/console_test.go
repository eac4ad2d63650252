package console

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// fakeAPI stands in for the orchestrator's gRPC API.
type fakeAPI struct {
	orchestratorv1.UnimplementedAuthServiceServer
	orchestratorv1.UnimplementedSyncRunServiceServer
	orchestratorv1.UnimplementedUpstreamServiceServer
	listErr  error        // what ListSyncRuns answers
	retries  atomic.Int32 // RetryPendingRecords calls with ids (not the sign-in probe)
	marker   atomic.Value // the last console marker seen
	readOnly bool         // the client may not write: every writing call answers 603

	upstream *orchestratorv1.GetUpstreamStatusResponse // nil: embedded mode
	queued   int64                                     // what RetryUpstream answers
	controls sync.Map                                  // UpstreamService control name -> *atomic.Int32 calls that succeeded
}

// errReadOnly is the orchestrator's answer to a read-only client's writing call.
var errReadOnly = status.Error(codes.PermissionDenied, "Access denied (603): API client 'c1' is read-only, and this call writes")

// errEmbedded is the orchestrator's answer to a delivery control in embedded mode.
var errEmbedded = status.Error(codes.FailedPrecondition, "msisync runs in embedded mode (it is the Marketo): set MSISYNC_MARKETO_URL to deliver to your Marketo instance")

func (f *fakeAPI) IssueToken(_ context.Context, req *orchestratorv1.IssueTokenRequest) (*orchestratorv1.IssueTokenResponse, error) {
	if req.GetClientSecret() != "right-secret-0123456789" {
		return nil, status.Error(codes.Unauthenticated, "Bad client credentials")
	}
	return &orchestratorv1.IssueTokenResponse{AccessToken: "tok-1", ExpiresIn: 3600}, nil
}

func (f *fakeAPI) ListSyncRuns(ctx context.Context, _ *orchestratorv1.ListSyncRunsRequest) (*orchestratorv1.ListSyncRunsResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.marker.Store(strings.Join(md.Get(MarkerHeader), ","))
	if f.listErr != nil {
		return nil, f.listErr
	}
	return &orchestratorv1.ListSyncRunsResponse{}, nil
}

func (f *fakeAPI) RetryPendingRecords(_ context.Context, req *orchestratorv1.RetryPendingRecordsRequest) (*orchestratorv1.RetryPendingRecordsResponse, error) {
	if f.readOnly {
		return nil, errReadOnly
	}
	if len(req.GetPendingIds()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "pending_ids holds 0 ids")
	}
	f.retries.Add(1)
	return &orchestratorv1.RetryPendingRecordsResponse{}, nil
}

func (f *fakeAPI) GetUpstreamStatus(context.Context, *orchestratorv1.GetUpstreamStatusRequest) (*orchestratorv1.GetUpstreamStatusResponse, error) {
	if f.upstream == nil {
		return &orchestratorv1.GetUpstreamStatusResponse{Mode: "embedded"}, nil
	}
	return f.upstream, nil
}

// control answers a delivery control as the orchestrator does, and counts the ones that
// succeed.
func (f *fakeAPI) control(name string) error {
	if f.readOnly {
		return errReadOnly
	}
	if f.upstream == nil {
		return errEmbedded
	}
	n, _ := f.controls.LoadOrStore(name, new(atomic.Int32))
	n.(*atomic.Int32).Add(1)
	return nil
}

// controlCalls is how many times the control name succeeded.
func (f *fakeAPI) controlCalls(name string) int32 {
	n, ok := f.controls.Load(name)
	if !ok {
		return 0
	}
	return n.(*atomic.Int32).Load()
}

func (f *fakeAPI) ResumeUpstream(context.Context, *orchestratorv1.ResumeUpstreamRequest) (*orchestratorv1.ResumeUpstreamResponse, error) {
	if err := f.control("resume"); err != nil {
		return nil, err
	}
	return &orchestratorv1.ResumeUpstreamResponse{}, nil
}

func (f *fakeAPI) RetryUpstream(context.Context, *orchestratorv1.RetryUpstreamRequest) (*orchestratorv1.RetryUpstreamResponse, error) {
	if err := f.control("retry"); err != nil {
		return nil, err
	}
	return &orchestratorv1.RetryUpstreamResponse{Queued: f.queued}, nil
}

func (f *fakeAPI) BackfillUpstream(context.Context, *orchestratorv1.BackfillUpstreamRequest) (*orchestratorv1.BackfillUpstreamResponse, error) {
	if err := f.control("backfill"); err != nil {
		return nil, err
	}
	return &orchestratorv1.BackfillUpstreamResponse{}, nil
}

// newTestConsole serves a console over a fake API.
func newTestConsole(t *testing.T) (*Console, *fakeAPI) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAPI{}
	srv := grpc.NewServer()
	orchestratorv1.RegisterAuthServiceServer(srv, f)
	orchestratorv1.RegisterSyncRunServiceServer(srv, f)
	orchestratorv1.RegisterUpstreamServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); srv.Stop() })
	return New(Config{Conn: conn, Key: "the-key"}), f
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the form and returns the session cookie and the page's CSRF token.
func signIn(t *testing.T, c *Console, secret string) (*httptest.ResponseRecorder, *http.Cookie) {
	t.Helper()
	get := httptest.NewRecorder()
	c.ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/console/login", nil))
	m := hiddenCSRF.FindStringSubmatch(get.Body.String())
	if m == nil {
		t.Fatalf("no login CSRF token in the sign-in page:\n%s", get.Body)
	}
	form := url.Values{"client_id": {"c1"}, "client_secret": {secret}, "csrf": {m[1]}}
	req := httptest.NewRequest(http.MethodPost, "/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range get.Result().Cookies() {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			return rec, ck
		}
	}
	return rec, nil
}

func TestSignInSetsAStrictHttpOnlyCookie(t *testing.T) {
	c, _ := newTestConsole(t)
	rec, ck := signIn(t, c, "right-secret-0123456789")
	if rec.Code != http.StatusSeeOther || ck == nil {
		t.Fatalf("sign-in = %d, cookie %v:\n%s", rec.Code, ck, rec.Body)
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/console/" || ck.Secure {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/console/, not Secure over plain HTTP", ck)
	}
	if strings.Contains(ck.Value, "tok-1") {
		t.Error("the session cookie holds the access token")
	}
	// Over TLS the cookie is Secure.
	req := httptest.NewRequest(http.MethodGet, "/console/login", nil)
	req.TLS = &tls.ConnectionState{}
	tlsRec := httptest.NewRecorder()
	c.ServeHTTP(tlsRec, req)
	for _, ck := range tlsRec.Result().Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s set over TLS is not Secure", ck.Name)
		}
	}
}

func TestWrongSecretIsRefusedInWords(t *testing.T) {
	c, _ := newTestConsole(t)
	rec, ck := signIn(t, c, "wrong-secret-0123456789")
	if ck != nil || rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "do not match an API client") {
		t.Errorf("wrong secret: HTTP %d, cookie %v:\n%s", rec.Code, ck, rec.Body)
	}
}

func TestSignInWithoutTheLoginTokenIsRefused(t *testing.T) {
	c, _ := newTestConsole(t)
	form := url.Values{"client_id": {"c1"}, "client_secret": {"right-secret-0123456789"}}
	req := httptest.NewRequest(http.MethodPost, "/console/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Header().Get("Set-Cookie"), sessionCookie+"=") {
		t.Errorf("sign-in without the form's token: HTTP %d, cookies %v", rec.Code, rec.Result().Cookies())
	}
}

func TestPostWithoutTheSessionCSRFTokenChangesNothing(t *testing.T) {
	c, f := newTestConsole(t)
	_, ck := signIn(t, c, "right-secret-0123456789")
	for _, token := range []string{"", "forged"} {
		form := url.Values{"id": {"7"}, "csrf": {token}}
		req := httptest.NewRequest(http.MethodPost, "/console/pending/retry", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(ck)
		rec := httptest.NewRecorder()
		c.ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "CSRF") {
			t.Errorf("retry with csrf %q: HTTP %d:\n%s", token, rec.Code, rec.Body)
		}
	}
	if n := f.retries.Load(); n != 0 {
		t.Errorf("%d retries reached the API without the CSRF token", n)
	}
}

func TestAPIErrorsAreShownInWordsWithoutInternals(t *testing.T) {
	for name, tc := range map[string]struct {
		err      error
		code     int
		want     string
		mustNot  []string
		loggable bool
	}{
		"orchestrator error": {err: status.Error(codes.Internal, "Internal error (error id 4f2a): the orchestrator logged it"), code: 500, want: "error id 4f2a"},
		"read-only":          {err: status.Error(codes.PermissionDenied, "Access denied: API client 'r' is read-only, and this call writes"), code: 403, want: "read-only"},
		"unreachable":        {err: status.Error(codes.Unavailable, "connection refused 10.0.0.7:9090"), code: 503, want: "did not answer in time", mustNot: []string{"10.0.0.7"}},
		"not a status":       {err: errors.New("panic: runtime error at main.go:12\ngoroutine 1"), code: 500, want: "failed to answer", mustNot: []string{"goroutine", "main.go"}},
	} {
		t.Run(name, func(t *testing.T) {
			c, f := newTestConsole(t)
			f.listErr = tc.err
			_, ck := signIn(t, c, "right-secret-0123456789")
			req := httptest.NewRequest(http.MethodGet, "/console/runs", nil)
			req.AddCookie(ck)
			rec := httptest.NewRecorder()
			c.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Body)
			if rec.Code != tc.code || !strings.Contains(string(body), "Could not list the sync runs.") || !strings.Contains(string(body), tc.want) {
				t.Errorf("HTTP %d, want %d with %q:\n%s", rec.Code, tc.code, tc.want, body)
			}
			for _, s := range append(tc.mustNot, "rpc error:") {
				if strings.Contains(string(body), s) {
					t.Errorf("the page shows %q:\n%s", s, body)
				}
			}
		})
	}
}

func TestConsoleCallsCarryTheKeyAndTheToken(t *testing.T) {
	c, f := newTestConsole(t)
	_, ck := signIn(t, c, "right-secret-0123456789")
	req := httptest.NewRequest(http.MethodGet, "/console/runs", nil)
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("runs page: HTTP %d\n%s", rec.Code, rec.Body)
	}
	if got := f.marker.Load(); got != "the-key" {
		t.Errorf("console call carried marker %q, want the process key", got)
	}
}

func TestOnlyTheProcessKeySkipsTheLimits(t *testing.T) {
	var limited int
	limits := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		limited++
		return h(ctx, req)
	}
	wrapped := Unlimited("k-123", limits)
	handler := func(context.Context, any) (any, error) { return nil, nil }
	for _, tc := range []struct {
		md          metadata.MD
		wantLimited bool
	}{
		{nil, true},
		{metadata.Pairs(MarkerHeader, "1"), true},
		{metadata.Pairs(MarkerHeader, "k-12"), true},
		{metadata.Pairs(MarkerHeader, "k-123"), false},
	} {
		limited = 0
		ctx := metadata.NewIncomingContext(context.Background(), tc.md)
		_, _ = wrapped(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/x/Y"}, handler)
		if (limited == 1) != tc.wantLimited {
			t.Errorf("metadata %v: limited %d times, want limited=%v", tc.md, limited, tc.wantLimited)
		}
	}
	if Marked(metadata.NewIncomingContext(context.Background(), metadata.Pairs(MarkerHeader, "")), "") {
		t.Error("an empty key marks calls")
	}
}

func TestSafeNextStaysInTheConsole(t *testing.T) {
	for in, want := range map[string]string{
		"/console/runs?state=failed": "/console/runs?state=failed",
		"https://evil.example/":      "/console/",
		"//evil.example/console/":    "/console/",
		"/console/login":             "/console/",
		"/rest/v1/leads.json":        "/console/",
		"/console/\\evil":            "/console/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEveryPageTemplateParses(t *testing.T) {
	pages := parsePages()
	for _, p := range []string{"login", "error", "overview", "runs", "run", "pending", "confirm", "result", "inspect", "record", "msi", "bestbets", "findings", "upstream"} {
		if pages[p] == nil {
			t.Errorf("no template for page %s", p)
		}
	}
}

func TestAnEndedSessionSendsTheSelfRefreshToTheSignInPage(t *testing.T) {
	c, _ := newTestConsole(t)
	req := httptest.NewRequest(http.MethodGet, "/console/", nil)
	req.Header.Set("HX-Request", "true")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "ended"})
	rec := httptest.NewRecorder()
	c.ServeHTTP(rec, req)
	if got := rec.Header().Get("HX-Redirect"); !strings.HasPrefix(got, "/console/login") || rec.Body.Len() != 0 {
		t.Errorf("htmx refresh without a session: HX-Redirect %q, body %q", got, rec.Body)
	}
}

func TestScoreChartEscapesAndDrawsEveryPoint(t *testing.T) {
	if scoreChart(nil) != "" {
		t.Error("a chart with no points")
	}
	svg := string(scoreChart([]scorePoint{{Value: 10, Change: 10, When: "<b>then</b>"}, {Value: 25, Change: 15, When: "now"}, {Value: 5, Change: -20, When: "later"}}))
	if strings.Count(svg, "<circle") != 3 || !strings.Contains(svg, "<polyline") || strings.Contains(svg, "<b>") || !strings.Contains(svg, "&lt;b&gt;") {
		t.Errorf("chart = %s", svg)
	}
	if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, "from 10 to 5") {
		t.Errorf("chart has no accessible description: %s", svg)
	}
}
