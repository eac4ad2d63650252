package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/msisync/msisync/platform/marketo"
)

const marketoContentType = "application/json;charset=UTF-8"

// errorHandler is the gateway's error handler with its log discarded.
var errorHandler = newErrorHandler(slog.New(slog.DiscardHandler))

// testMux is a mux configured with the gateway's handlers and marshaler, as New does.
func testMux() (*runtime.ServeMux, runtime.Marshaler) {
	m := &jsonMarshaler{JSONPb: &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
	}}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, m),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
	)
	return mux, m
}

// answer is what a client sees of an error response.
type answer struct {
	HTTPStatus  int
	ContentType string
	Body        map[string]any
}

// errorIDPattern finds the error ids of hidden errors, random in every answer.
var errorIDPattern = regexp.MustCompile(`(error id |"errorId":")[0-9a-f]{16}\b`)

// answerOf decodes a recorded answer, every error id replaced by "<id>".
func answerOf(t *testing.T, rec *httptest.ResponseRecorder) answer {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(errorIDPattern.ReplaceAll(rec.Body.Bytes(), []byte("${1}<id>")), &body); err != nil {
		t.Fatalf("response body is not a JSON object: %v\n%s", err, rec.Body)
	}
	return answer{HTTPStatus: rec.Code, ContentType: rec.Header().Get("Content-Type"), Body: body}
}

// marketoAnswer is the envelope a Marketo client sees for one response-level error.
func marketoAnswer(requestID, code, message string) answer {
	return answer{
		HTTPStatus:  http.StatusOK,
		ContentType: marketoContentType,
		Body: map[string]any{
			"requestId": requestID,
			"success":   false,
			"result":    []any{},
			"errors":    []any{map[string]any{"code": code, "message": message}},
			"warnings":  []any{},
		},
	}
}

func TestErrorHandlerMarketoEnvelope(t *testing.T) {
	t.Parallel()
	const id = "1f2e#19a0b1c2d3e"
	tests := []struct {
		name        string
		err         error
		wantCode    string
		wantMessage string
	}{
		{
			name:        "marketo.Error",
			err:         marketo.NewError(codes.Unauthenticated, marketo.CodeAccessTokenExpired, ""),
			wantCode:    "602",
			wantMessage: "Access token expired",
		},
		{
			name:        "marketo.Error as it arrives over gRPC",
			err:         marketo.NewError(codes.InvalidArgument, marketo.CodeCannotBeBlank, "input cannot be blank").GRPCStatus().Err(),
			wantCode:    "701",
			wantMessage: "input cannot be blank",
		},
		{
			name:        "wrapped marketo.Error",
			err:         fmt.Errorf("calling: %w", marketo.NewError(codes.NotFound, marketo.CodeSalesPersonNotFound, "")),
			wantCode:    "718",
			wantMessage: "ExternalSalesPersonID not found",
		},
		{
			name:        "Unauthenticated",
			err:         status.Error(codes.Unauthenticated, "Access token invalid"),
			wantCode:    "601",
			wantMessage: "Access token invalid",
		},
		{
			name:        "InvalidArgument",
			err:         status.Error(codes.InvalidArgument, "bad filterType"),
			wantCode:    "1003",
			wantMessage: "bad filterType",
		},
		{
			name:        "Unimplemented",
			err:         status.Error(codes.Unimplemented, "method GetLeads not implemented"),
			wantCode:    "610",
			wantMessage: "method GetLeads not implemented",
		},
		{
			name:        "Internal hides its message",
			err:         status.Error(codes.Internal, "secret internal detail"),
			wantCode:    "611",
			wantMessage: "System error: something went wrong on our side; quote error id <id> when reporting it",
		},
		{
			name:        "plain error hides its message",
			err:         errors.New("secret internal detail"),
			wantCode:    "611",
			wantMessage: "System error: something went wrong on our side; quote error id <id> when reporting it",
		},
		{
			name:        "Unavailable hides its message",
			err:         status.Error(codes.Unavailable, "dial tcp 10.0.0.7:9090: secret internal detail"),
			wantCode:    "608",
			wantMessage: "API Temporarily Unavailable: a service behind the API did not answer; try again later, and quote error id <id> if it persists",
		},
		{
			name:        "'<' and '&' are not HTML-escaped",
			err:         status.Error(codes.InvalidArgument, "value <script>&</script> is invalid"),
			wantCode:    "1003",
			wantMessage: "value <script>&</script> is invalid",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux, m := testMux()
			req := httptest.NewRequest(http.MethodGet, "/rest/v1/salespersons.json", nil)
			req.Header.Set(requestIDHeader, id)
			rec := httptest.NewRecorder()
			errorHandler(context.Background(), mux, m, rec, req, tt.err)
			if diff := cmp.Diff(marketoAnswer(id, tt.wantCode, tt.wantMessage), answerOf(t, rec)); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(rec.Body.String(), "secret internal detail") {
				t.Errorf("body leaks the internal cause: %s", rec.Body)
			}
			if strings.Contains(rec.Body.String(), `\u003c`) || strings.Contains(rec.Body.String(), `\u0026`) {
				t.Errorf("body HTML-escapes the message: %s", rec.Body)
			}
		})
	}
}

func TestErrorHandlerGeneratesRequestIDWhenAbsent(t *testing.T) {
	t.Parallel()
	mux, m := testMux()
	req := httptest.NewRequest(http.MethodGet, "/rest/v1/salespersons.json", nil)
	rec := httptest.NewRecorder()
	errorHandler(context.Background(), mux, m, rec, req, status.Error(codes.InvalidArgument, "x"))
	env := decodeEnvelope(t, rec.Body.Bytes())
	if !requestIDPattern.MatchString(env.RequestID) {
		t.Errorf("requestId = %q, want <hex>#<hex>", env.RequestID)
	}
}

func TestErrorHandlerIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want answer
	}{
		{
			name: "bad credentials",
			err:  status.Error(codes.Unauthenticated, "Bad client credentials"),
			want: answer{
				HTTPStatus:  http.StatusUnauthorized,
				ContentType: marketoContentType,
				Body:        map[string]any{"error": "unauthorized", "error_description": "Bad client credentials"},
			},
		},
		{
			name: "bad credentials as a marketo.Error",
			err:  marketo.NewError(codes.Unauthenticated, marketo.CodeAccessTokenInvalid, "Bad client credentials").GRPCStatus().Err(),
			want: answer{
				HTTPStatus:  http.StatusUnauthorized,
				ContentType: marketoContentType,
				Body:        map[string]any{"error": "unauthorized", "error_description": "Bad client credentials"},
			},
		},
		{
			name: "missing grant type",
			err:  status.Error(codes.InvalidArgument, "grant_type must be client_credentials"),
			want: answer{
				HTTPStatus:  http.StatusBadRequest,
				ContentType: marketoContentType,
				Body:        map[string]any{"error": "invalid_request", "error_description": "grant_type must be client_credentials"},
			},
		},
		{
			name: "'<' is not HTML-escaped",
			err:  status.Error(codes.InvalidArgument, "client_id <empty>"),
			want: answer{
				HTTPStatus:  http.StatusBadRequest,
				ContentType: marketoContentType,
				Body:        map[string]any{"error": "invalid_request", "error_description": "client_id <empty>"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux, m := testMux()
			req := httptest.NewRequest(http.MethodPost, "/identity/oauth/token", nil)
			rec := httptest.NewRecorder()
			errorHandler(context.Background(), mux, m, rec, req, tt.err)
			if diff := cmp.Diff(tt.want, answerOf(t, rec)); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s", diff)
			}
			if got := rec.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if strings.Contains(rec.Body.String(), `\u003c`) {
				t.Errorf("body HTML-escapes '<': %s", rec.Body)
			}
		})
	}
}

func TestErrorHandlerIdentityInternal(t *testing.T) {
	t.Parallel()
	mux, m := testMux()
	req := httptest.NewRequest(http.MethodPost, "/identity/oauth/token", nil)
	rec := httptest.NewRecorder()
	errorHandler(context.Background(), mux, m, rec, req, status.Error(codes.Internal, "secret internal detail"))
	got := answerOf(t, rec)
	if got.HTTPStatus != http.StatusInternalServerError || got.Body["error"] != "server_error" {
		t.Errorf("answer = %d %v, want 500 server_error", got.HTTPStatus, got.Body)
	}
	if strings.Contains(rec.Body.String(), "secret internal detail") {
		t.Errorf("body leaks the internal cause: %s", rec.Body)
	}
}

func TestErrorHandlerOwnAPIUsesGatewayDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want answer
	}{
		{
			name: "NotFound",
			err:  status.Error(codes.NotFound, "sync run <42> not found"),
			want: answer{
				HTTPStatus:  http.StatusNotFound,
				ContentType: marketoContentType,
				Body:        map[string]any{"code": float64(codes.NotFound), "message": "sync run <42> not found", "details": []any{}},
			},
		},
		{
			name: "marketo.Error keeps its gRPC code on the own API",
			err:  marketo.NewError(codes.InvalidArgument, marketo.CodeInvalidData, "bad").GRPCStatus().Err(),
			want: answer{
				HTTPStatus:  http.StatusBadRequest,
				ContentType: marketoContentType,
				Body: map[string]any{"code": float64(codes.InvalidArgument), "message": "bad", "details": []any{map[string]any{
					"@type":    "type.googleapis.com/google.rpc.ErrorInfo",
					"reason":   "MARKETO_1003",
					"domain":   marketo.ErrorDomain,
					"metadata": map[string]any{"marketoCode": "1003"},
				}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux, m := testMux()
			req := httptest.NewRequest(http.MethodGet, "/v1/syncs/42", nil)
			rec := httptest.NewRecorder()
			errorHandler(context.Background(), mux, m, rec, req, tt.err)
			if diff := cmp.Diff(tt.want, answerOf(t, rec)); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRoutingErrorHandler(t *testing.T) {
	t.Parallel()
	const id = "abc#19a0b1c2d3e"
	tests := []struct {
		name       string
		method     string
		path       string
		httpStatus int
		want       answer
	}{
		{
			name:       "unknown Marketo resource",
			method:     http.MethodGet,
			path:       "/rest/v1/nothing.json",
			httpStatus: http.StatusNotFound,
			want:       marketoAnswer(id, "610", "Requested resource not found: /rest/v1/nothing.json"),
		},
		{
			name:       "wrong method on a Marketo resource",
			method:     http.MethodDelete,
			path:       "/rest/v1/salespersons.json",
			httpStatus: http.StatusMethodNotAllowed,
			want:       marketoAnswer(id, "605", "HTTP Method not supported: DELETE /rest/v1/salespersons.json"),
		},
		{
			name:       "unknown identity resource",
			method:     http.MethodGet,
			path:       "/identity/oauth/other",
			httpStatus: http.StatusNotFound,
			want:       marketoAnswer(id, "610", "Requested resource not found: /identity/oauth/other"),
		},
		{
			name:       "'<' in the path is not HTML-escaped",
			method:     http.MethodGet,
			path:       "/rest/v1/<x>.json",
			httpStatus: http.StatusNotFound,
			want:       marketoAnswer(id, "610", "Requested resource not found: /rest/v1/<x>.json"),
		},
		{
			name:       "own API not found",
			method:     http.MethodGet,
			path:       "/v1/nothing",
			httpStatus: http.StatusNotFound,
			want: answer{
				HTTPStatus:  http.StatusNotFound,
				ContentType: marketoContentType,
				Body:        map[string]any{"code": float64(codes.NotFound), "message": "Not Found", "details": []any{}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mux, m := testMux()
			req := httptest.NewRequest(tt.method, "/", nil)
			req.URL.Path = tt.path
			req.Header.Set(requestIDHeader, id)
			rec := httptest.NewRecorder()
			routingErrorHandler(context.Background(), mux, m, rec, req, tt.httpStatus)
			if diff := cmp.Diff(tt.want, answerOf(t, rec)); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(rec.Body.String(), `\u003c`) {
				t.Errorf("body HTML-escapes '<': %s", rec.Body)
			}
		})
	}
}

func TestRoutingErrorHandlerOwnAPIMatchesGatewayDefault(t *testing.T) {
	t.Parallel()
	for _, httpStatus := range []int{http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusBadRequest, http.StatusTeapot} {
		t.Run(http.StatusText(httpStatus), func(t *testing.T) {
			t.Parallel()
			mux, m := testMux()
			req := httptest.NewRequest(http.MethodPatch, "/v1/syncs", nil)
			got := httptest.NewRecorder()
			routingErrorHandler(context.Background(), mux, m, got, req, httpStatus)
			want := httptest.NewRecorder()
			runtime.DefaultRoutingErrorHandler(context.Background(), mux, m, want, req, httpStatus)
			if diff := cmp.Diff(answerOf(t, want), answerOf(t, got)); diff != "" {
				t.Errorf("answer mismatch with grpc-gateway's default (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNewAnswersMarketoErrorsEndToEnd runs requests through the whole gateway handler over
// a client connection whose dialer always fails, so no orchestrator is needed.
func TestNewAnswersMarketoErrorsEndToEnd(t *testing.T) {
	t.Parallel()
	conn, err := grpc.NewClient("passthrough:///orchestrator",
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) {
			return nil, errors.New("dial 10.0.0.7:9090: secret internal detail")
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	h, err := New(context.Background(), DefaultConfig, conn, ok, ok)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		method   string
		target   string
		wantCode string
	}{
		{name: "unknown resource", method: http.MethodGet, target: "/rest/v1/nothing.json", wantCode: "610"},
		{name: "unsupported method", method: http.MethodPut, target: "/rest/v1/salespersons.json", wantCode: "605"},
		{name: "orchestrator unreachable", method: http.MethodGet, target: "/rest/v1/salespersons/describe.json", wantCode: "608"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.target, nil))
			env := decodeEnvelope(t, rec.Body.Bytes())
			want := envelopeWant{HTTPStatus: http.StatusOK, Codes: []string{tt.wantCode}}
			if diff := cmp.Diff(want, envelopeSummary(rec, env)); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s\nbody: %s", diff, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "secret internal detail") {
				t.Errorf("body leaks the transport error: %s", rec.Body)
			}
			if !requestIDPattern.MatchString(env.RequestID) {
				t.Errorf("requestId = %q, want <hex>#<hex>", env.RequestID)
			}
		})
	}
}
