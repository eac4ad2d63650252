package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/fault"
)

// envelope is the Marketo response envelope of a failed request.
type envelope struct {
	RequestID string          `json:"requestId"`
	Success   bool            `json:"success"`
	Result    []any           `json:"result"`
	Errors    []envelopeError `json:"errors"`
	Warnings  []any           `json:"warnings"`
}

type envelopeError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeEnvelopeError answers with the Marketo envelope carrying one response-level error.
// Marketo answers API errors with HTTP 200; only 413 and 414 use the HTTP status.
func writeEnvelopeError(w http.ResponseWriter, r *http.Request, httpStatus int, code, message string) {
	accessOf(r.Context()).code = code
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(httpStatus)
	writeJSON(w, envelope{
		RequestID: requestIDOf(r),
		Success:   false,
		Result:    []any{},
		Errors:    []envelopeError{{Code: code, Message: message}},
		Warnings:  []any{},
	})
}

// writeJSON writes v as JSON without HTML escaping ('<' stays '<', as Marketo writes it).
func writeJSON(w http.ResponseWriter, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// newErrorHandler returns the handler that renders a failed call. On the Marketo REST paths
// the error becomes the envelope with its Marketo code; on the identity path it is an
// OAuth-style error with the HTTP status of grpc-gateway's table (401 for bad credentials);
// on msisync's own /v1/ API it is grpc-gateway's standard google.rpc.Status body and HTTP
// status. An internal error never shows its text: the caller gets a fixed sentence with an
// error id, and log gets the id with the text (fault.Hide; the orchestrator's gRPC server
// has usually done that already, and errors of the gateway's own connection are hidden
// here).
func newErrorHandler(log *slog.Logger) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		err = fault.Hide(ctx, log.With("request_id", r.Header.Get(requestIDHeader)), r.Method+" "+r.URL.Path, err)
		a := accessOf(ctx)
		noteClient(ctx, a)
		a.code = status.Code(err).String()
		id := fault.ID(err)
		switch {
		case strings.HasPrefix(r.URL.Path, "/rest/"):
			code, message := marketo.FromError(err)
			if id != "" {
				message = fault.Message(status.Code(err), marketo.Message(code), id)
			}
			writeEnvelopeError(w, r, http.StatusOK, code, message)
		case strings.HasPrefix(r.URL.Path, "/identity/"):
			st := status.Convert(err)
			httpStatus := runtime.HTTPStatusFromCode(st.Code())
			kind, description := "invalid_request", st.Message()
			switch {
			case httpStatus == http.StatusUnauthorized:
				kind = "unauthorized"
			case httpStatus >= 500:
				// Server-side causes (transport errors naming internal addresses, say) stay in
				// the logs; the client learns only that it may try again.
				kind, description = "server_error", "the token service is unavailable; try again later"
				if id != "" {
					description += ", and quote error id " + id + " if it persists"
				}
			}
			w.Header().Set("Content-Type", "application/json;charset=UTF-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(httpStatus)
			writeJSON(w, map[string]string{"error": kind, "error_description": description})
		default:
			// protojson refuses a message that is not valid UTF-8 (and would answer 500), so
			// mend it first.
			if st := status.Convert(err); !utf8.ValidString(st.Message()) {
				err = status.New(st.Code(), strings.ToValidUTF8(st.Message(), "\uFFFD")).Err()
			}
			runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
		}
	}
}

// routingErrorHandler answers requests no route takes: on the Marketo paths with 610
// (unknown resource) or 605 (method not supported), elsewhere as grpc-gateway does.
func routingErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	if strings.HasPrefix(r.URL.Path, "/rest/") || strings.HasPrefix(r.URL.Path, "/identity/") {
		if httpStatus == http.StatusMethodNotAllowed {
			writeEnvelopeError(w, r, http.StatusOK, marketo.CodeMethodNotSupported, "HTTP Method not supported: "+r.Method+" "+r.URL.Path)
			return
		}
		writeEnvelopeError(w, r, http.StatusOK, marketo.CodeResourceNotFound, "Requested resource not found: "+r.URL.Path)
		return
	}
	runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
}
