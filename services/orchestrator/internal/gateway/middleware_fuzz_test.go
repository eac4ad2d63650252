package gateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/platform/marketo"
)

// fuzzPrefixes are the path prefixes the fuzzed path is put under.
var fuzzPrefixes = []string{"/rest/", "/rest/v1/", "/identity/", "/v1/"}

// fuzzRoutes are real gateway route patterns, bound to a fake backend that answers 200,
// so that the mux's routing (404 → 610, 405 → 605, bad escapes) is exercised for real.
var fuzzRoutes = []struct{ method, pattern string }{
	{http.MethodGet, "/rest/v1/leads.json"},
	{http.MethodPost, "/rest/v1/leads.json"},
	{http.MethodGet, "/rest/v1/lead/{id}"},
	{http.MethodGet, "/rest/v1/companies.json"},
	{http.MethodPost, "/rest/v1/opportunities/roles/query"},
	{http.MethodGet, "/rest/v1/opportunities/roles.json"},
	{http.MethodPost, "/identity/oauth/token"},
	{http.MethodGet, "/identity/oauth/token"},
	{http.MethodGet, "/v1/syncs"},
	{http.MethodPost, "/v1/syncs"},
}

// fuzzNext is the handler behind the middleware: it records what it was given, then hands
// the request to a mux configured as New configures it.
type fuzzNext struct {
	called  bool
	routed  bool
	method  string
	path    string
	query   url.Values
	body    []byte
	readErr error
	auth    string
	mux     *runtime.ServeMux
}

func (n *fuzzNext) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.called = true
	n.body, n.readErr = io.ReadAll(r.Body)
	n.method, n.path, n.query = r.Method, r.URL.Path, r.URL.Query()
	n.auth = r.Header.Get("Authorization")
	r.Body = io.NopCloser(bytes.NewReader(n.body))
	n.mux.ServeHTTP(w, r)
}

func newFuzzNext(t *testing.T) *fuzzNext {
	mux, _ := testMux()
	n := &fuzzNext{mux: mux}
	for _, rt := range fuzzRoutes {
		err := mux.HandlePath(rt.method, rt.pattern, func(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
			n.routed = true
			w.Header().Set("Content-Type", marketoContentType)
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"success":true}`)
		})
		if err != nil {
			t.Fatalf("HandlePath(%s %s): %v", rt.method, rt.pattern, err)
		}
	}
	return n
}

// rawRequest writes an HTTP/1.1 request as a client would send it.
func rawRequest(method, target, contentType, auth string, body []byte, chunked bool) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: gateway.test\r\n", method, target)
	if contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	}
	if auth != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", auth)
	}
	if chunked {
		b.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		for rest := body; len(rest) > 0; {
			n := min(len(rest), 50)
			fmt.Fprintf(&b, "%x\r\n%s\r\n", n, rest[:n])
			rest = rest[n:]
		}
		b.WriteString("0\r\n\r\n")
		return b.Bytes()
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(body))
	b.Write(body)
	return b.Bytes()
}

// FuzzMarketoConventions sends arbitrary requests (method, path under /rest/, /identity/
// or /v1/, query, content type, body, chunked or not) through marketoConventions in front
// of a mux configured as New configures it. The answer is never a 5xx; an answer the
// gateway makes itself on a Marketo path is the Marketo envelope with a string code; a
// body over the limit gets 413; the handler behind the middleware sees exactly the body
// the client sent, or the form-derived query. errorHandler is then run on the rewritten
// request with a fuzzed gRPC error.
func FuzzMarketoConventions(f *testing.F) {
	const form = "application/x-www-form-urlencoded"
	const js = "application/json"
	type seed struct {
		method      string
		prefix      uint8
		path, query string
		contentType string
		body        string
		flags       uint8
	}
	for _, s := range []seed{
		{"GET", 1, "leads.json", "filterType=email&filterValues=a@b.co,c@d.io&fields=email", "", "", 0},
		{"POST", 1, "leads.json", "_method=GET", form, "filterType=email&filterValues=a%40b.co&access_token=tok&_method=GET", 2},
		{"POST", 1, "leads.json", "_method=get", form + "; charset=UTF-8", "filterType=id&filterValues=1;2", 0},
		{"POST", 1, "leads.json", "", js, `{"input":[{"email":"a@b.co"}]}`, 1},
		{"POST", 1, "leads.json", "", js, `{"input":[`, 0},
		{"POST", 1, "leads.json", "", "text/plain", `{}`, 0},
		{"POST", 1, "leads.json", "", js + "; charset", `{}`, 0},
		{"POST", 1, "opportunities/roles.json", "_method=GET", js, `{"input":[{"externalOpportunityId":"o","leadId":1,"role":"r"}]}`, 0},
		{"POST", 1, "companies.json", "_method=GET", js, `{}`, 0},
		{"GET", 1, "lead/123.json", "fields=email&access_token=abc", "", "", 2 | 8},
		{"GET", 1, "lead/%31%32.json", "", "", "", 0},
		{"DELETE", 1, "leads.json", "", "", "", 0},
		{"PUT", 1, "nothing.json", "a=%zz&b=1", "", "", 4},
		{"POST", 2, "oauth/token", "", form, "grant_type=client_credentials&client_id=x&client_secret=y", 0},
		{"POST", 2, "oauth/token", "", form, "%gh&&", 1},
		{"GET", 2, "oauth/token", "grant_type=client_credentials&client_id=x&client_secret=y", "", "", 0},
		{"POST", 3, "syncs", "", js, `{"records":[]}`, 0},
		{"POST", 3, "syncs", "", js, strings.Repeat("x", 200), 1},
		{"POST", 1, "leads.json", "", js, `"` + strings.Repeat("x", 200) + `"`, 0},
		{"POST", 1, "leads.json", "", js, `"` + strings.Repeat("x", 200) + `"`, 1},
		{"GET", 1, "leads.json", "filterValues=" + strings.Repeat("v,", 80), "", "", 0},
		{"OPTIONS", 0, "v1/leads.json", "", "", "", 0},
		{"GET", 0, "%2e%2e/%2e%2e/v1/syncs", "", "", "", 0},
		{"POST", 1, "leads.json", "", "application/json; x=\"", "{}", 0},
		{"POST", 1, "leads.json", "_method=GET", form, "", 16},
	} {
		f.Add(s.method, s.prefix, s.path, s.query, s.contentType, []byte(s.body), s.flags)
	}
	f.Fuzz(func(t *testing.T, method string, prefix uint8, path, rawQuery, contentType string, body []byte, flags uint8) {
		chunked := flags&1 != 0
		cfg := testConfig
		cfg.AllowAccessTokenParam = flags&2 != 0
		target := fuzzPrefixes[int(prefix)%len(fuzzPrefixes)] + path
		if rawQuery != "" || flags&4 != 0 {
			target += "?" + rawQuery
		}
		auth := ""
		if flags&8 != 0 {
			auth = "Bearer header-token"
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(rawRequest(method, target, contentType, auth, body, chunked))))
		if err != nil {
			return // the server answers 400 before any handler runs
		}
		if !strings.HasPrefix(req.URL.Path, "/") {
			return // absolute-form and authority-form targets are not routed
		}
		// The body as the server parsed it (a content type with a line break in it, say,
		// ends the headers early and leaves no body).
		if req.Body != http.NoBody {
			sent, err := io.ReadAll(req.Body)
			if err != nil {
				return
			}
			req.Body = io.NopCloser(bytes.NewReader(sent))
			body = sent
		} else {
			body = nil
		}
		// What the client sent, before the middleware rewrites the request.
		sentPath, sentMethod := req.URL.Path, req.Method
		sentQuery := req.URL.Query()
		sentAuth := req.Header.Get("Authorization")
		sentCT := req.Header.Get("Content-Type")
		marketoPath := strings.HasPrefix(sentPath, "/rest/") || strings.HasPrefix(sentPath, "/identity/")
		uriTooLong := len(req.RequestURI) > cfg.MaxURIBytes

		next := newFuzzNext(t)
		rec := httptest.NewRecorder()
		marketoConventions(cfg, next).ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("%s %q answered %d: %s", sentMethod, target, rec.Code, rec.Body)
		}
		if uriTooLong {
			if next.called || rec.Code != http.StatusRequestURITooLong {
				t.Fatalf("%d-byte URI: answered %d (next called %v), want 414", len(req.RequestURI), rec.Code, next.called)
			}
			checkEnvelope(t, rec, "414")
			return
		}
		if rec.Code == http.StatusRequestURITooLong {
			t.Fatalf("%d-byte URI answered 414; the limit is %d", len(req.RequestURI), cfg.MaxURIBytes)
		}
		tooLarge := int64(len(body)) > cfg.MaxBodyBytes
		if tooLarge {
			switch {
			case marketoPath:
				if next.called || rec.Code != http.StatusRequestEntityTooLarge {
					t.Fatalf("%d-byte body to %q: answered %d (next called %v), want 413", len(body), sentPath, rec.Code, next.called)
				}
				checkEnvelope(t, rec, "413")
			case next.called:
				// The own API may pass the body on behind a limit …
				var mbe *http.MaxBytesError
				if !errors.As(next.readErr, &mbe) {
					t.Fatalf("%d-byte body to %q read without a MaxBytesError: %v", len(body), sentPath, next.readErr)
				}
			default:
				// … or answer 413 itself.
				if rec.Code != http.StatusRequestEntityTooLarge {
					t.Fatalf("%d-byte body to %q answered %d, want 413", len(body), sentPath, rec.Code)
				}
				checkJSONObject(t, rec)
			}
			return
		}
		if rec.Code == http.StatusRequestEntityTooLarge {
			t.Fatalf("%d-byte body answered 413; the limit is %d", len(body), cfg.MaxBodyBytes)
		}
		if !next.called {
			if !marketoPath {
				t.Fatalf("the middleware answered %d on %q itself: %s", rec.Code, sentPath, rec.Body)
			}
			if rec.Code != http.StatusOK {
				t.Fatalf("the middleware answered %d, want 200 with an envelope: %s", rec.Code, rec.Body)
			}
			checkEnvelope(t, rec, "")
			return
		}

		// The handler behind the middleware ran: check what it saw.
		if !marketoPath {
			if next.readErr != nil || !bytes.Equal(next.body, body) {
				t.Fatalf("body to %q: next read %q (%v), client sent %q", sentPath, next.body, next.readErr, body)
			}
			if next.method != sentMethod || next.path != sentPath || next.auth != sentAuth {
				t.Fatalf("own API request rewritten: %s %s %q, sent %s %s %q", next.method, next.path, next.auth, sentMethod, sentPath, sentAuth)
			}
		} else {
			if next.readErr != nil {
				t.Fatalf("next could not read the body: %v", next.readErr)
			}
			mediaType := ""
			if sentCT != "" {
				mediaType, _, _ = mime.ParseMediaType(sentCT)
			}
			override := strings.EqualFold(sentQuery.Get("_method"), "GET")
			formDerived := sentMethod == http.MethodPost && mediaType == "application/x-www-form-urlencoded" &&
				(override || strings.HasPrefix(sentPath, "/identity/"))
			want := url.Values{}
			for k, vs := range sentQuery {
				if k != "_method" {
					want[k] = append([]string(nil), vs...)
				}
			}
			if formDerived {
				if len(next.body) != 0 {
					t.Fatalf("form body %q was passed on as %q; want it moved into the query", body, next.body)
				}
				fv, err := url.ParseQuery(string(body))
				if err != nil {
					t.Fatalf("unparsable form body %q reached next", body)
				}
				for k, vs := range fv {
					if k != "_method" {
						want[k] = append(want[k], vs...)
					}
				}
			} else if !bytes.Equal(next.body, body) {
				t.Fatalf("body to %q: next read %q, client sent %q", sentPath, next.body, body)
			}
			wantAuth := sentAuth
			if tok := want.Get("access_token"); tok != "" && cfg.AllowAccessTokenParam && sentAuth == "" {
				wantAuth = "Bearer " + tok
			}
			want.Del("access_token")
			if next.auth != wantAuth {
				t.Fatalf("Authorization = %q, want %q", next.auth, wantAuth)
			}
			if !sameValues(next.query, want) {
				t.Fatalf("query seen by next = %v, want %v (sent %q, body %q)", next.query, want, req.URL.RawQuery, body)
			}
			if !next.routed {
				// The mux refused the request: the answer is the gateway's own.
				if rec.Code != http.StatusOK {
					t.Fatalf("unrouted %s %q answered %d, want 200 with an envelope: %s", next.method, next.path, rec.Code, rec.Body)
				}
				checkEnvelope(t, rec, "")
			}
		}
		if !next.routed && !marketoPath {
			checkJSONObject(t, rec)
		}

		// errorHandler on the rewritten request, with an error built from the input.
		code := codes.Code(flags>>4) + codes.Code(prefix%2)*codes.Code(16)
		checkErrorHandler(t, req, code, rawQuery, string(body))
	})
}

// serverErrorDescription is the only description the token endpoint gives a 5xx: a fixed
// sentence, with the error id to quote when the cause was hidden from the caller.
var serverErrorDescription = regexp.MustCompile(`^the token service is unavailable; try again later(, and quote error id [0-9a-f]+ if it persists)?$`)

// checkEnvelope fails unless rec holds the Marketo envelope of one response-level error
// with a string code (wantCode when given).
func checkEnvelope(t *testing.T, rec *httptest.ResponseRecorder, wantCode string) {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != marketoContentType {
		t.Fatalf("Content-Type = %q, want %q; body %s", ct, marketoContentType, rec.Body)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", rec.Code, err, rec.Body)
	}
	var shape struct {
		RequestID string `json:"requestId"`
		Success   *bool  `json:"success"`
		Result    []any  `json:"result"`
		Errors    []struct {
			Code    *string `json:"code"`
			Message *string `json:"message"`
		} `json:"errors"`
		Warnings []any `json:"warnings"`
	}
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&shape); err != nil {
		t.Fatalf("answer is not the Marketo envelope: %v\n%s", err, rec.Body)
	}
	if len(env) != 5 || shape.Success == nil || *shape.Success || shape.Result == nil || len(shape.Result) != 0 ||
		shape.Warnings == nil || len(shape.Warnings) != 0 || len(shape.Errors) != 1 ||
		shape.Errors[0].Code == nil || shape.Errors[0].Message == nil || !requestIDPattern.MatchString(shape.RequestID) {
		t.Fatalf("answer is not the Marketo envelope of one error: %s", rec.Body)
	}
	c := *shape.Errors[0].Code
	if _, err := strconv.Atoi(c); err != nil {
		t.Fatalf("error code %q is not a Marketo code: %s", c, rec.Body)
	}
	if wantCode != "" && c != wantCode {
		t.Fatalf("error code %q, want %q: %s", c, wantCode, rec.Body)
	}
}

// checkJSONObject fails unless rec's body is a JSON object.
func checkJSONObject(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer %d is no JSON object: %v\n%s", rec.Code, err, rec.Body)
	}
}

// checkErrorHandler renders a gRPC error with code and message, and a Marketo error with a
// fuzzed code, for r and checks the answer's shape for the path.
func checkErrorHandler(t *testing.T, r *http.Request, code codes.Code, message, marketoCode string) {
	t.Helper()
	mux, m := testMux()
	for _, err := range []error{status.Error(code, message), marketo.NewError(code, marketoCode, message)} {
		rec := httptest.NewRecorder()
		errorHandler(context.Background(), mux, m, rec, r, err)
		var body map[string]any
		if jerr := json.Unmarshal(rec.Body.Bytes(), &body); jerr != nil {
			t.Fatalf("errorHandler(%v) on %q: body is no JSON object: %v\n%s", err, r.URL.Path, jerr, rec.Body)
		}
		wantStatus := runtime.HTTPStatusFromCode(status.Code(err))
		switch {
		case strings.HasPrefix(r.URL.Path, "/rest/"):
			if rec.Code != http.StatusOK {
				t.Fatalf("errorHandler(%v) on %q answered %d, want 200", err, r.URL.Path, rec.Code)
			}
			errs, _ := body["errors"].([]any)
			if len(errs) != 1 {
				t.Fatalf("errorHandler(%v): no envelope: %s", err, rec.Body)
			}
			if _, ok := errs[0].(map[string]any)["code"].(string); !ok {
				t.Fatalf("errorHandler(%v): code is not a string: %s", err, rec.Body)
			}
		case strings.HasPrefix(r.URL.Path, "/identity/"):
			kind, ok1 := body["error"].(string)
			desc, ok2 := body["error_description"].(string)
			if !ok1 || !ok2 || len(body) != 2 || rec.Code != wantStatus {
				t.Fatalf("errorHandler(%v) on %q answered %d %s, want %d with an OAuth error", err, r.URL.Path, rec.Code, rec.Body, wantStatus)
			}
			// A hidden internal error may add the id to quote (fault.Hide); nothing else.
			if rec.Code >= 500 && (kind != "server_error" || !serverErrorDescription.MatchString(desc)) {
				t.Fatalf("errorHandler(%v) on %q exposes a server-side cause: %s", err, r.URL.Path, rec.Body)
			}
		default:
			if rec.Code != wantStatus {
				t.Fatalf("errorHandler(%v) on %q answered %d, want %d", err, r.URL.Path, rec.Code, wantStatus)
			}
		}
	}
}

// sameValues compares query values, treating absent and empty alike.
func sameValues(a, b url.Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, va := range a {
		vb, ok := b[k]
		if !ok || len(va) != len(vb) {
			return false
		}
		for i := range va {
			if va[i] != vb[i] {
				return false
			}
		}
	}
	return true
}
