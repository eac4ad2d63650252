// Package gateway is the orchestrator's public HTTP surface: grpc-gateway v2 over a real
// gRPC client connection to the orchestrator (so authentication, logging and tracing apply
// as for any gRPC caller), serving the Marketo REST API under /identity/ and /rest/ and
// msisync's own API under /v1/, plus /healthz, /metrics and, when configured, the
// operations console under /console/ (package console).
//
// Marketo's conventions are applied here and nowhere else: the response envelope with
// error codes as strings and HTTP 200 for API errors, 413/414 for oversize requests,
// POST …?_method=GET, and /rest/v1/lead/{id}.json.
package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// Config tunes the gateway.
type Config struct {
	// AllowAccessTokenParam accepts the deprecated access_token query parameter as well as
	// the Authorization header.
	AllowAccessTokenParam bool
	// MaxBodyBytes is the largest request body accepted (Marketo: 1 MB); larger gets 413.
	MaxBodyBytes int64
	// MaxURIBytes is the longest request URI accepted (Marketo: 8 KB); longer gets 414.
	MaxURIBytes int
	// Log receives the internal errors hidden from callers, with their error ids; nil
	// discards them.
	Log *slog.Logger
	// Console serves the operations console under /console/; nil serves none.
	Console http.Handler
}

// DefaultConfig has Marketo's limits.
var DefaultConfig = Config{MaxBodyBytes: 1 << 20, MaxURIBytes: 8 << 10}

// registrations attach every orchestrator service to the mux; services whose behaviour has
// not landed answer UNIMPLEMENTED from the orchestrator itself.
var registrations = []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
	orchestratorv1.RegisterAuthServiceHandler,
	orchestratorv1.RegisterMarketoSalesPersonServiceHandler,
	orchestratorv1.RegisterMarketoCompanyServiceHandler,
	orchestratorv1.RegisterMarketoLeadServiceHandler,
	orchestratorv1.RegisterMarketoOpportunityServiceHandler,
	orchestratorv1.RegisterMarketoOpportunityRoleServiceHandler,
	orchestratorv1.RegisterMarketoActivityServiceHandler,
	orchestratorv1.RegisterMarketoUsageServiceHandler,
	orchestratorv1.RegisterSyncRunServiceHandler,
	orchestratorv1.RegisterInsightServiceHandler,
	orchestratorv1.RegisterUpstreamServiceHandler,
}

// New returns the gateway's handler. conn is a client connection to the orchestrator's own
// gRPC server; health reports the suite's health for /healthz; metrics serves /metrics.
func New(ctx context.Context, cfg Config, conn *grpc.ClientConn, health http.Handler, metrics http.Handler) (http.Handler, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &jsonMarshaler{JSONPb: &runtime.JSONPb{
			// Every field is written, so that Marketo's required envelope fields (errors,
			// warnings, result) are always there; optional proto fields stay out when unset.
			MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
		}}),
		runtime.WithErrorHandler(newErrorHandler(log)),
		runtime.WithRoutingErrorHandler(routingErrorHandler),
		runtime.WithIncomingHeaderMatcher(incomingHeaders),
		runtime.WithForwardResponseOption(noStoreForTokens),
		runtime.WithForwardResponseOption(noteResponse),
		runtime.WithOutgoingHeaderMatcher(outgoingHeaders),
	)
	for _, register := range registrations {
		if err := register(ctx, mux, conn); err != nil {
			return nil, fmt.Errorf("registering gateway routes: %w", err)
		}
	}
	root := http.NewServeMux()
	root.Handle("GET /healthz", health)
	root.Handle("GET /metrics", metrics)
	if cfg.Console != nil {
		root.Handle("/console/", cfg.Console)
	}
	root.Handle("/", marketoConventions(cfg, mux))
	// otelhttp is outermost so the span covers everything; probes stay out of traces, and so
	// do requests that carry a secret in their URL (client credentials, access_token), which
	// a span would otherwise record.
	return otelhttp.NewHandler(accessLog(log, root), "gateway",
		otelhttp.WithFilter(traced),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }),
	), nil
}

// jsonMarshaler is protojson with Marketo's content type.
type jsonMarshaler struct{ *runtime.JSONPb }

// ContentType implements runtime.Marshaler.
func (*jsonMarshaler) ContentType(any) string { return "application/json;charset=UTF-8" }

// incomingHeaders forwards the request id to gRPC metadata besides grpc-gateway's defaults
// (which include Authorization).
func incomingHeaders(key string) (string, bool) {
	if strings.EqualFold(key, requestIDHeader) {
		return strings.ToLower(requestIDHeader), true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// noStoreForTokens keeps caches away from access tokens, as Marketo's identity service does.
func noStoreForTokens(_ context.Context, w http.ResponseWriter, m proto.Message) error {
	if _, ok := m.(*orchestratorv1.IssueTokenResponse); ok {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
	}
	return nil
}

// traced reports whether a request may be traced: not the probes, and not a request whose
// URL holds a secret.
func traced(r *http.Request) bool {
	switch {
	case r.URL.Path == "/healthz", r.URL.Path == "/metrics", strings.HasPrefix(r.URL.Path, "/identity/"):
		return false
	}
	q := r.URL.Query()
	return !q.Has("access_token") && !q.Has("client_secret")
}
