package limits

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/msisync/msisync/platform/marketo"
)

// meterName is the instrumentation scope of the API metrics.
const meterName = "github.com/msisync/msisync/services/orchestrator/internal/limits"

// The "result" label of msisync_api_calls_total.
const (
	resultOK                 = "ok"
	resultError              = "error"
	resultRateLimited        = "rate_limited"
	resultConcurrencyLimited = "concurrency_limited"
	resultQuotaExceeded      = "quota_exceeded"
)

// instrument creates the API-call counter and, with a daily quota, the quota gauges on mp
// (nil: the global provider). The client_id label takes only authenticated, configured
// clients.
func (l *Limiter) instrument(mp metric.MeterProvider) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(meterName)
	calls, err := m.Int64Counter("msisync_api_calls",
		metric.WithDescription("Authenticated API calls (REST and gRPC; token calls excluded), by client and result: ok, error, or refused as rate_limited (606), concurrency_limited (615) or quota_exceeded (607)."),
		metric.WithUnit("{call}"))
	if err != nil {
		calls, _ = noop.Meter{}.Int64Counter("")
	}
	l.calls = calls
	if l.cfg.DailyQuota <= 0 {
		return
	}
	used, err1 := m.Int64ObservableGauge("msisync_api_quota_used",
		metric.WithDescription("Calls each client made today against MSISYNC_DAILY_QUOTA (the day ends at midnight America/Chicago), as this replica knows it."),
		metric.WithUnit("{call}"))
	remaining, err2 := m.Int64ObservableGauge("msisync_api_quota_remaining",
		metric.WithDescription("Calls each client may still make today before it gets 607."),
		metric.WithUnit("{call}"))
	if errors.Join(err1, err2) != nil {
		return
	}
	_, _ = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		for id, n := range l.Usage() {
			attrs := metric.WithAttributes(attribute.String("client_id", id))
			o.ObserveInt64(used, n, attrs)
			o.ObserveInt64(remaining, max(0, l.cfg.DailyQuota-n), attrs)
		}
		return nil
	}, used, remaining)
}

// Usage returns the calls each client known to this replica made today (stored and not
// yet flushed).
func (l *Limiter) Usage() map[string]int64 {
	day := l.Day(l.now())
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int64, len(l.clients))
	for id, c := range l.clients {
		if day == l.day {
			out[id] = c.used
		} else {
			out[id] = 0 // a new day began and no call has rolled it over yet
		}
	}
	return out
}

// count records one call's result.
func (l *Limiter) count(ctx context.Context, clientID string, err error, refused bool) {
	result := resultOK
	switch {
	case refused:
		switch code, _ := marketo.FromError(err); code {
		case marketo.CodeRateLimitExceeded:
			result = resultRateLimited
		case marketo.CodeConcurrentAccessLimit:
			result = resultConcurrencyLimited
		default:
			result = resultQuotaExceeded
		}
	case err != nil:
		result = resultError
	}
	l.calls.Add(ctx, 1, metric.WithAttributes(attribute.String("client_id", clientID), attribute.String("result", result)))
}
