package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// testConfig has small limits so that the tests need no megabyte bodies.
var testConfig = Config{AllowAccessTokenParam: true, MaxBodyBytes: 128, MaxURIBytes: 128}

// requestIDPattern is Marketo's request id form: <hex>#<hex>.
var requestIDPattern = regexp.MustCompile(`^[0-9a-f]+#[0-9a-f]+$`)

// seenRequest is what the handler behind the middleware received.
type seenRequest struct {
	Method        string
	Path          string
	Query         url.Values
	Body          string
	Authorization string
	ContentType   string
}

// recordingHandler is the fake `next`: it records the request it was given and answers 200.
type recordingHandler struct {
	mu      sync.Mutex
	calls   int
	seen    seenRequest
	header  http.Header
	readErr error
}

func (h *recordingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	h.readErr = err
	h.header = r.Header.Clone()
	h.seen = seenRequest{
		Method:        r.Method,
		Path:          r.URL.Path,
		Query:         r.URL.Query(),
		Body:          string(body),
		Authorization: r.Header.Get("Authorization"),
		ContentType:   r.Header.Get("Content-Type"),
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "next")
}

// serve runs req through marketoConventions with cfg in front of a recording handler.
func serve(t *testing.T, cfg Config, req *http.Request) (*httptest.ResponseRecorder, *recordingHandler) {
	t.Helper()
	next := &recordingHandler{}
	rec := httptest.NewRecorder()
	marketoConventions(cfg, next).ServeHTTP(rec, req)
	return rec, next
}

// decodeEnvelope parses a Marketo envelope response body.
func decodeEnvelope(t *testing.T, body []byte) envelope {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("response body is not a Marketo envelope: %v\n%s", err, body)
	}
	return env
}

// envelopeWant is the user-visible part of an envelope error answer.
type envelopeWant struct {
	HTTPStatus int
	Success    bool
	Codes      []string
}

func envelopeSummary(rec *httptest.ResponseRecorder, env envelope) envelopeWant {
	got := envelopeWant{HTTPStatus: rec.Code, Success: env.Success}
	for _, e := range env.Errors {
		got.Codes = append(got.Codes, e.Code)
	}
	return got
}

func TestMarketoConventionsSetsRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		target string
		header string
	}{
		{name: "marketo path", target: "/rest/v1/salespersons.json?filterType=id&filterValues=1"},
		{name: "own API", target: "/v1/syncruns"},
		{name: "client-sent id is replaced", target: "/rest/v1/salespersons.json", header: "client-chosen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if tt.header != "" {
				req.Header.Set(requestIDHeader, tt.header)
			}
			rec, next := serve(t, testConfig, req)
			if rec.Code != http.StatusOK || next.calls != 1 {
				t.Fatalf("status %d, next called %d times; want 200 and one call", rec.Code, next.calls)
			}
			id := next.header.Get(requestIDHeader)
			if !requestIDPattern.MatchString(id) {
				t.Errorf("%s = %q, want <hex>#<hex>", requestIDHeader, id)
			}
		})
	}
}

func TestMarketoConventionsRejectsLongURI(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", testConfig.MaxURIBytes)
	tests := []struct {
		name   string
		method string
		target string
	}{
		{name: "marketo GET", method: http.MethodGet, target: "/rest/v1/leads.json?filterType=email&filterValues=" + long},
		{name: "identity", method: http.MethodGet, target: "/identity/oauth/token?client_id=" + long},
		{name: "own API", method: http.MethodGet, target: "/v1/syncruns?filter=" + long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.target, nil)
			req.Header.Set(requestIDHeader, "ignored")
			rec, next := serve(t, testConfig, req)
			env := decodeEnvelope(t, rec.Body.Bytes())
			want := envelopeWant{HTTPStatus: http.StatusRequestURITooLong, Codes: []string{"414"}}
			if diff := cmp.Diff(want, envelopeSummary(rec, env)); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s", diff)
			}
			if next.calls != 0 {
				t.Errorf("next was called %d times, want 0", next.calls)
			}
			if !requestIDPattern.MatchString(env.RequestID) {
				t.Errorf("requestId = %q, want <hex>#<hex>", env.RequestID)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json;charset=UTF-8" {
				t.Errorf("Content-Type = %q, want application/json;charset=UTF-8", ct)
			}
		})
	}
}

func TestMarketoConventionsAcceptsURIAtLimit(t *testing.T) {
	t.Parallel()
	prefix := "/rest/v1/leads.json?filterType=id&filterValues="
	target := prefix + strings.Repeat("1", testConfig.MaxURIBytes-len(prefix))
	rec, next := serve(t, testConfig, httptest.NewRequest(http.MethodGet, target, nil))
	if rec.Code != http.StatusOK || next.calls != 1 {
		t.Errorf("URI of exactly MaxURIBytes: status %d, next called %d times; want 200 and one call", rec.Code, next.calls)
	}
}

// unsizedReader hides its length so httptest.NewRequest leaves ContentLength at -1, as for
// a chunked request.
type unsizedReader struct{ io.Reader }

func TestMarketoConventionsRejectsLargeBody(t *testing.T) {
	t.Parallel()
	big := `{"input":[{"externalSalesPersonId":"` + strings.Repeat("x", int(testConfig.MaxBodyBytes)) + `"}]}`
	tests := []struct {
		name          string
		body          io.Reader
		contentLength int64 // overrides the request's Content-Length when not 0
	}{
		{name: "honest Content-Length", body: strings.NewReader(big)},
		{name: "absent Content-Length (chunked)", body: unsizedReader{strings.NewReader(big)}},
		{name: "lying Content-Length", body: strings.NewReader(big), contentLength: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/rest/v1/salespersons.json", tt.body)
			req.Header.Set("Content-Type", "application/json")
			if tt.contentLength != 0 {
				req.ContentLength = tt.contentLength
			}
			rec, next := serve(t, testConfig, req)
			env := decodeEnvelope(t, rec.Body.Bytes())
			want := envelopeWant{HTTPStatus: http.StatusRequestEntityTooLarge, Codes: []string{"413"}}
			if diff := cmp.Diff(want, envelopeSummary(rec, env)); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s", diff)
			}
			if next.calls != 0 {
				t.Errorf("next was called %d times, want 0", next.calls)
			}
		})
	}
}

func TestMarketoConventionsRejectsLargeChunkedBodyOverHTTP(t *testing.T) {
	t.Parallel()
	next := &recordingHandler{}
	srv := httptest.NewServer(marketoConventions(testConfig, next))
	t.Cleanup(srv.Close)
	body := `{"input":[{"externalSalesPersonId":"` + strings.Repeat("x", 4*int(testConfig.MaxBodyBytes)) + `"}]}`
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/rest/v1/salespersons.json", unsizedReader{strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	var env envelope
	if err := json.Unmarshal(got, &env); err != nil {
		t.Fatalf("body is not an envelope: %v\n%s", err, got)
	}
	want := envelopeWant{HTTPStatus: http.StatusRequestEntityTooLarge, Codes: []string{"413"}}
	gotSummary := envelopeWant{HTTPStatus: resp.StatusCode, Success: env.Success}
	for _, e := range env.Errors {
		gotSummary.Codes = append(gotSummary.Codes, e.Code)
	}
	if diff := cmp.Diff(want, gotSummary); diff != "" {
		t.Errorf("answer mismatch (-want +got):\n%s", diff)
	}
	next.mu.Lock()
	defer next.mu.Unlock()
	if next.calls != 0 {
		t.Errorf("next was called %d times, want 0", next.calls)
	}
}

func TestMarketoConventionsLimitsOwnAPIBody(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", int(testConfig.MaxBodyBytes)+1)
	req := httptest.NewRequest(http.MethodPost, "/v1/syncruns", unsizedReader{strings.NewReader(big)})
	req.Header.Set("Content-Type", "application/json")
	rec, next := serve(t, testConfig, req)
	if next.calls != 0 {
		t.Fatalf("next called %d times, want 0: the middleware answers an oversize body itself", next.calls)
	}
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), `"code":3`) {
		t.Errorf("oversize body to the own API = %d %s, want 413 with a google.rpc.Status body", rec.Code, rec.Body)
	}
}

func TestMarketoConventionsRewritesRequests(t *testing.T) {
	t.Parallel()
	const form = "application/x-www-form-urlencoded"
	const jsonType = "application/json"
	tests := []struct {
		name        string
		cfg         Config
		method      string
		target      string
		contentType string
		auth        string
		body        string
		want        seenRequest
	}{
		{
			name:        "POST ?_method=GET with a form body becomes GET with the form in the query",
			cfg:         testConfig,
			method:      http.MethodPost,
			target:      "/rest/v1/salespersons.json?_method=GET&fields=email",
			contentType: form,
			body:        "filterType=email&filterValues=a%40example.com,b%40example.com&_method=GET",
			want: seenRequest{
				Method: http.MethodGet,
				Path:   "/rest/v1/salespersons.json",
				Query: url.Values{
					"fields":       {"email"},
					"filterType":   {"email"},
					"filterValues": {"a@example.com,b@example.com"},
				},
			},
		},
		{
			name:        "_method=get is case-insensitive and the form content type may carry a charset",
			cfg:         testConfig,
			method:      http.MethodPost,
			target:      "/rest/v1/leads.json?_method=get",
			contentType: form + "; charset=UTF-8",
			body:        "filterType=id&filterValues=1&filterValues=2",
			want: seenRequest{
				Method: http.MethodGet,
				Path:   "/rest/v1/leads.json",
				Query:  url.Values{"filterType": {"id"}, "filterValues": {"1", "2"}},
			},
		},
		{
			name:   "stray _method on GET is removed",
			cfg:    testConfig,
			method: http.MethodGet,
			target: "/rest/v1/salespersons.json?_method=GET&filterType=id&filterValues=1",
			want: seenRequest{
				Method: http.MethodGet,
				Path:   "/rest/v1/salespersons.json",
				Query:  url.Values{"filterType": {"id"}, "filterValues": {"1"}},
			},
		},
		{
			name:   "_method other than GET on GET is removed too",
			cfg:    testConfig,
			method: http.MethodGet,
			target: "/rest/v1/salespersons.json?_method=DELETE&filterType=id",
			want: seenRequest{
				Method: http.MethodGet,
				Path:   "/rest/v1/salespersons.json",
				Query:  url.Values{"filterType": {"id"}},
			},
		},
		{
			name:        "JSON POST ?_method=GET on opportunity roles goes to the query route",
			cfg:         testConfig,
			method:      http.MethodPost,
			target:      "/rest/v1/opportunities/roles.json?_method=GET",
			contentType: jsonType,
			body:        `{"filterType":"dedupeFields","input":[]}`,
			want: seenRequest{
				Method:      http.MethodPost,
				Path:        "/rest/v1/opportunities/roles/query",
				Query:       url.Values{},
				Body:        `{"filterType":"dedupeFields","input":[]}`,
				ContentType: jsonType,
			},
		},
		{
			name:        "valid JSON POST passes with the body intact",
			cfg:         testConfig,
			method:      http.MethodPost,
			target:      "/rest/v1/salespersons.json",
			contentType: jsonType + ";charset=UTF-8",
			body:        `{"input":[{"a":"<b>"}]}`,
			want: seenRequest{
				Method:      http.MethodPost,
				Path:        "/rest/v1/salespersons.json",
				Query:       url.Values{},
				Body:        `{"input":[{"a":"<b>"}]}`,
				ContentType: jsonType + ";charset=UTF-8",
			},
		},
		{
			name:   "access_token moves to Authorization when allowed",
			cfg:    Config{AllowAccessTokenParam: true, MaxBodyBytes: 128, MaxURIBytes: 128},
			method: http.MethodGet,
			target: "/rest/v1/salespersons/describe.json?access_token=tok-1&x=y",
			want: seenRequest{
				Method:        http.MethodGet,
				Path:          "/rest/v1/salespersons/describe.json",
				Query:         url.Values{"x": {"y"}},
				Authorization: "Bearer tok-1",
			},
		},
		{
			name:   "access_token is dropped, not used, when not allowed",
			cfg:    Config{AllowAccessTokenParam: false, MaxBodyBytes: 128, MaxURIBytes: 128},
			method: http.MethodGet,
			target: "/rest/v1/salespersons/describe.json?access_token=tok-1&x=y",
			want: seenRequest{
				Method: http.MethodGet,
				Path:   "/rest/v1/salespersons/describe.json",
				Query:  url.Values{"x": {"y"}},
			},
		},
		{
			name:   "existing Authorization header is not overridden",
			cfg:    testConfig,
			method: http.MethodGet,
			target: "/rest/v1/salespersons/describe.json?access_token=from-query",
			auth:   "Bearer from-header",
			want: seenRequest{
				Method:        http.MethodGet,
				Path:          "/rest/v1/salespersons/describe.json",
				Query:         url.Values{},
				Authorization: "Bearer from-header",
			},
		},
		{
			name:   "access_token on the identity path",
			cfg:    testConfig,
			method: http.MethodGet,
			target: "/identity/oauth/token?grant_type=client_credentials&access_token=t",
			want: seenRequest{
				Method:        http.MethodGet,
				Path:          "/identity/oauth/token",
				Query:         url.Values{"grant_type": {"client_credentials"}},
				Authorization: "Bearer t",
			},
		},
		{
			name:   "get lead by id drops .json",
			cfg:    testConfig,
			method: http.MethodGet,
			target: "/rest/v1/lead/123.json?fields=email",
			want: seenRequest{
				Method: http.MethodGet,
				Path:   "/rest/v1/lead/123",
				Query:  url.Values{"fields": {"email"}},
			},
		},
		{
			name:   "non-numeric lead id is left alone",
			cfg:    testConfig,
			method: http.MethodGet,
			target: "/rest/v1/lead/abc.json",
			want: seenRequest{
				Method: http.MethodGet,
				Path:   "/rest/v1/lead/abc.json",
				Query:  url.Values{},
			},
		},
		{
			name:        "token POST with a form body moves the params to the query",
			cfg:         testConfig,
			method:      http.MethodPost,
			target:      "/identity/oauth/token",
			contentType: form,
			body:        "grant_type=client_credentials&client_id=c&client_secret=s",
			want: seenRequest{
				Method: http.MethodPost,
				Path:   "/identity/oauth/token",
				Query: url.Values{
					"grant_type":    {"client_credentials"},
					"client_id":     {"c"},
					"client_secret": {"s"},
				},
			},
		},
		{
			name:        "own API is untouched",
			cfg:         testConfig,
			method:      http.MethodPost,
			target:      "/v1/syncruns?_method=GET&access_token=tok",
			contentType: "text/plain",
			body:        "not json",
			want: seenRequest{
				Method:      http.MethodPost,
				Path:        "/v1/syncruns",
				Query:       url.Values{"_method": {"GET"}, "access_token": {"tok"}},
				Body:        "not json",
				ContentType: "text/plain",
			},
		},
		{
			name:   "own API lookalike path is untouched",
			cfg:    testConfig,
			method: http.MethodGet,
			target: "/v1/rest/v1/lead/1.json?access_token=tok",
			want: seenRequest{
				Method: http.MethodGet,
				Path:   "/v1/rest/v1/lead/1.json",
				Query:  url.Values{"access_token": {"tok"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req := httptest.NewRequest(tt.method, tt.target, body)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec, next := serve(t, tt.cfg, req)
			if rec.Code != http.StatusOK || next.calls != 1 {
				t.Fatalf("status %d, next called %d times, body %s; want 200 and one call", rec.Code, next.calls, rec.Body)
			}
			if diff := cmp.Diff(tt.want, next.seen); diff != "" {
				t.Errorf("request seen by next mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarketoConventionsAccessTokenInFormBody(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/rest/v1/salespersons.json?_method=GET", strings.NewReader("filterType=id&filterValues=1&access_token=tok-1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec, next := serve(t, testConfig, req)
	if rec.Code != http.StatusOK || next.calls != 1 {
		t.Fatalf("status %d, next called %d times; want 200 and one call", rec.Code, next.calls)
	}
	want := seenRequest{
		Method:        http.MethodGet,
		Path:          "/rest/v1/salespersons.json",
		Query:         url.Values{"filterType": {"id"}, "filterValues": {"1"}},
		Authorization: "Bearer tok-1",
	}
	if diff := cmp.Diff(want, next.seen); diff != "" {
		t.Errorf("request seen by next mismatch (-want +got):\n%s", diff)
	}
}

func TestMarketoConventionsSetsContentLengthOfRewrittenBody(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/rest/v1/salespersons.json?_method=GET", strings.NewReader("filterType=id&filterValues=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var gotLength int64 = -2
	h := marketoConventions(testConfig, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		gotLength = r.ContentLength
	}))
	h.ServeHTTP(httptest.NewRecorder(), req)
	if gotLength != 0 {
		t.Errorf("ContentLength after moving the form to the query = %d, want 0", gotLength)
	}

	jsonBody := `{"input":[]}`
	req = httptest.NewRequest(http.MethodPost, "/rest/v1/salespersons.json", unsizedReader{strings.NewReader(jsonBody)})
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if gotLength != int64(len(jsonBody)) {
		t.Errorf("ContentLength of a chunked JSON body = %d, want %d", gotLength, len(jsonBody))
	}
}

func TestMarketoConventionsRejectsBadContent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		target      string
		contentType string
		body        string
		wantCode    string
	}{
		{name: "JSON ?_method=GET outside the compound-key routes", target: "/rest/v1/salespersons.json?_method=GET", contentType: "application/json", body: `{}`, wantCode: "612"},
		{name: "text ?_method=GET on the roles route", target: "/rest/v1/opportunities/roles.json?_method=GET", contentType: "text/plain", body: `{}`, wantCode: "612"},
		{name: "text/plain POST", target: "/rest/v1/salespersons.json", contentType: "text/plain", body: `{}`, wantCode: "612"},
		{name: "POST without content type", target: "/rest/v1/salespersons.json", body: `{}`, wantCode: "612"},
		{name: "form POST without _method", target: "/rest/v1/salespersons.json", contentType: "application/x-www-form-urlencoded", body: "a=b", wantCode: "612"},
		{name: "invalid JSON", target: "/rest/v1/salespersons.json", contentType: "application/json", body: `{"input":[`, wantCode: "609"},
		{name: "invalid JSON on the roles query route", target: "/rest/v1/opportunities/roles.json?_method=GET", contentType: "application/json", body: `nope`, wantCode: "609"},
		{name: "empty JSON body", target: "/rest/v1/salespersons.json", contentType: "application/json", wantCode: "609"},
		{name: "malformed form body", target: "/rest/v1/salespersons.json?_method=GET", contentType: "application/x-www-form-urlencoded", body: "a=%zz", wantCode: "1003"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req := httptest.NewRequest(http.MethodPost, tt.target, body)
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			rec, next := serve(t, testConfig, req)
			env := decodeEnvelope(t, rec.Body.Bytes())
			want := envelopeWant{HTTPStatus: http.StatusOK, Codes: []string{tt.wantCode}}
			if diff := cmp.Diff(want, envelopeSummary(rec, env)); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s", diff)
			}
			if next.calls != 0 {
				t.Errorf("next was called %d times, want 0", next.calls)
			}
			if !requestIDPattern.MatchString(env.RequestID) {
				t.Errorf("requestId = %q, want <hex>#<hex>", env.RequestID)
			}
		})
	}
}

func TestMarketoConventionsEnvelopeShape(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodPost, "/rest/v1/salespersons.json", bytes.NewReader([]byte(`{`)))
	req.Header.Set("Content-Type", "application/json")
	rec, _ := serve(t, testConfig, req)
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	id, _ := got["requestId"].(string)
	if !requestIDPattern.MatchString(id) {
		t.Errorf("requestId = %q, want <hex>#<hex>", id)
	}
	delete(got, "requestId")
	want := map[string]any{
		"success":  false,
		"result":   []any{},
		"errors":   []any{map[string]any{"code": "609", "message": "Invalid JSON: the request body is not valid JSON"}},
		"warnings": []any{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("envelope mismatch (-want +got):\n%s", diff)
	}
}
