package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/msisync/msisync/services/orchestrator/internal/auth"
)

// access is what the access log line of one request says; the handlers down the chain fill
// in what only they know (the client, the Marketo code, the records).
type access struct {
	clientID string
	code     string
	records  int
}

type accessKey struct{}

// accessOf returns the request's access record, or a throwaway one outside accessLog.
func accessOf(ctx context.Context) *access {
	if a, ok := ctx.Value(accessKey{}).(*access); ok {
		return a
	}
	return &access{}
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (read deadlines, flushing).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog writes one info line per request: method, path (never the query, which may hold
// a secret), status, Marketo or gRPC code, client id, records and duration. Probes
// (/healthz, /metrics) are logged at debug level.
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// The path as the caller sent it: the Marketo conventions rewrite r.URL on the way in
		// (/rest/v1/lead/7.json is routed as /rest/v1/lead/7).
		path := r.URL.Path
		a := &access{records: -1}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), accessKey{}, a)))
		level := slog.LevelInfo
		if path == "/healthz" || path == "/metrics" {
			level = slog.LevelDebug
		}
		if a.clientID == "" && strings.HasPrefix(path, "/identity/") {
			a.clientID = r.URL.Query().Get("client_id")
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", path),
			slog.Int("status", sw.status),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", r.Header.Get(requestIDHeader)),
		}
		if a.code != "" {
			attrs = append(attrs, slog.String("code", a.code))
		}
		if a.clientID != "" {
			attrs = append(attrs, slog.String("client_id", a.clientID))
		}
		if a.records >= 0 {
			attrs = append(attrs, slog.Int("records", a.records))
		}
		log.LogAttrs(r.Context(), level, "http request", attrs...)
	})
}

// noteResponse is a forward-response option: it notes the client the orchestrator
// authenticated and how many records the answer carries.
func noteResponse(ctx context.Context, _ http.ResponseWriter, m proto.Message) error {
	a := accessOf(ctx)
	noteClient(ctx, a)
	a.records = recordCount(m)
	return nil
}

// noteClient takes the client id from the orchestrator's response header.
func noteClient(ctx context.Context, a *access) {
	if md, ok := runtime.ServerMetadataFromContext(ctx); ok {
		if v := md.HeaderMD.Get(auth.ClientIDHeader); len(v) > 0 {
			a.clientID = v[0]
		}
	}
}

// recordCount is the length of an answer's list of records (result, results or outcomes),
// or -1 when it has none.
func recordCount(m proto.Message) int {
	fields := m.ProtoReflect().Descriptor().Fields()
	for _, name := range []protoreflect.Name{"result", "results", "outcomes"} {
		if f := fields.ByName(name); f != nil && f.IsList() {
			return m.ProtoReflect().Get(f).List().Len()
		}
	}
	return -1
}

// outgoingHeaders forwards the orchestrator's response headers as grpc-gateway does, except
// the access-log header, which is the gateway's own business.
func outgoingHeaders(key string) (string, bool) {
	if strings.EqualFold(key, auth.ClientIDHeader) {
		return "", false
	}
	return runtime.MetadataHeaderPrefix + key, true
}
