package logging

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/msisync/msisync/platform/config"
)

func TestTraceIDsOnEveryLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := New(&buf, config.Log{Level: slog.LevelInfo, Format: "json"}).With("service", "identity")
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	log.InfoContext(ctx, "synced")
	log.DebugContext(ctx, "hidden")
	out := buf.String()
	for _, want := range []string{`"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"`, `"span_id":"00f067aa0ba902b7"`, `"service":"identity"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log line %s lacks %s", out, want)
		}
	}
	if strings.Contains(out, "hidden") {
		t.Errorf("debug line written at info level: %s", out)
	}
}
