package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/marketo"
)

// requestIDHeader carries the Marketo request id from the gateway to the orchestrator.
const requestIDHeader = "X-Request-Id"

// bodyTimeoutMessage tells a client whose body was too slow what happened.
const bodyTimeoutMessage = "the request body did not arrive within the server's read timeout (MSISYNC_HTTP_READ_TIMEOUT); send it again over a faster link or in smaller batches"

// jsonQueryRoutes maps the Marketo paths whose POST …?_method=GET takes a JSON body (a
// compound-key lookup) to the route of the query RPC.
var jsonQueryRoutes = map[string]string{
	"/rest/v1/opportunities/roles.json": "/rest/v1/opportunities/roles/query",
}

// leadByIDPath is Marketo's get-lead-by-id path; the route is bound without ".json".
var leadByIDPath = regexp.MustCompile(`^/rest/v1/lead/([0-9]+)\.json$`)

// marketoConventions applies the Marketo REST conventions before routing: a request id,
// the URI and body limits (414, 413), POST …?_method=GET, the access_token parameter when
// allowed, and the content checks (612 wrong content type, 609 invalid JSON).
func marketoConventions(cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set(requestIDHeader, marketo.NewRequestID(time.Now()))
		if len(r.RequestURI) > cfg.MaxURIBytes {
			refuseBody(w, r, true, func() {
				writeEnvelopeError(w, r, http.StatusRequestURITooLong, "414", "Request-URI Too Long: the limit is 8 KB; send POST with ?_method=GET and the parameters in a form body")
			})
			return
		}
		marketoPath := strings.HasPrefix(r.URL.Path, "/rest/") || strings.HasPrefix(r.URL.Path, "/identity/")
		body, err := readBody(w, r, cfg.MaxBodyBytes)
		switch {
		case err != nil && !marketoPath:
			// msisync's own API answers in grpc-gateway's error shape, with the HTTP status.
			answer := func(httpStatus, code int, message string) func() {
				return func() {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(httpStatus)
					writeJSON(w, map[string]any{"code": code, "message": message, "details": []any{}})
				}
			}
			bodyFailed(w, r, err, cfg.MaxBodyBytes,
				answer(http.StatusRequestEntityTooLarge, 3, "the request body is larger than 1 MB; send at most 300 records per call"),
				answer(http.StatusRequestTimeout, 4, bodyTimeoutMessage),
				answer(http.StatusBadRequest, 3, "the request body could not be read"))
			return
		case err != nil:
			bodyFailed(w, r, err, cfg.MaxBodyBytes,
				func() {
					writeEnvelopeError(w, r, http.StatusRequestEntityTooLarge, "413", "Request Entity Too Large: the limit is 1 MB per call")
				},
				func() {
					writeEnvelopeError(w, r, http.StatusRequestTimeout, marketo.CodeRequestTimeOut, "Request time-out: "+bodyTimeoutMessage)
				},
				func() {
					writeEnvelopeError(w, r, http.StatusBadRequest, marketo.CodeInvalidJSON, "the request body could not be read")
				})
			return
		case !marketoPath:
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			next.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		override := strings.EqualFold(q.Get("_method"), "GET")
		q.Del("_method")
		if m := leadByIDPath.FindStringSubmatch(r.URL.Path); m != nil {
			r.URL.Path = "/rest/v1/lead/" + m[1]
			r.URL.RawPath = ""
		}
		mediaType := ""
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mediaType, _, _ = mime.ParseMediaType(ct)
		}
		isForm := mediaType == "application/x-www-form-urlencoded"
		isJSON := mediaType == "application/json"

		switch {
		case r.Method == http.MethodPost && override && isForm, r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/identity/") && isForm:
			// The form body holds the query parameters (long queries, and token clients
			// that post their credentials).
			form, err := url.ParseQuery(string(body))
			if err != nil {
				writeEnvelopeError(w, r, http.StatusOK, marketo.CodeInvalidData, "the form body is not valid application/x-www-form-urlencoded")
				return
			}
			for k, vs := range form {
				if k == "_method" {
					continue
				}
				for _, v := range vs {
					q.Add(k, v)
				}
			}
			if override {
				r.Method = http.MethodGet
			}
			body = nil
			r.Header.Del("Content-Type")
		case r.Method == http.MethodPost && override:
			route, ok := jsonQueryRoutes[r.URL.Path]
			if !ok || !isJSON {
				writeEnvelopeError(w, r, http.StatusOK, marketo.CodeInvalidContentType, "Invalid Content Type: POST with ?_method=GET takes an application/x-www-form-urlencoded body here")
				return
			}
			r.URL.Path = route
			r.URL.RawPath = ""
		}
		// After the form body joined the query, so a token sent there counts too. The
		// parameter never reaches the handlers, even empty.
		if q.Has("access_token") {
			if tok := q.Get("access_token"); tok != "" && cfg.AllowAccessTokenParam && r.Header.Get("Authorization") == "" {
				r.Header.Set("Authorization", "Bearer "+tok)
			}
			q.Del("access_token")
		}
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/rest/") {
			if !isJSON {
				writeEnvelopeError(w, r, http.StatusOK, marketo.CodeInvalidContentType, "Invalid Content Type: send Content-Type: application/json")
				return
			}
			if !json.Valid(body) {
				writeEnvelopeError(w, r, http.StatusOK, marketo.CodeInvalidJSON, "Invalid JSON: the request body is not valid JSON")
				return
			}
		}
		r.URL.RawQuery = q.Encode()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// readBody reads the whole body, failing with *http.MaxBytesError past limit.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
}

// requestIDOf returns the request id the gateway assigned.
func requestIDOf(r *http.Request) string {
	if id := r.Header.Get(requestIDHeader); id != "" {
		return id
	}
	return marketo.NewRequestID(time.Now())
}
