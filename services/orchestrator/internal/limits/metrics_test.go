package limits

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/msisync/msisync/services/orchestrator/internal/auth"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// points reads the int64 points of every metric, by name and label set.
func points(t *testing.T, r *sdkmetric.ManualReader) map[string]map[attribute.Distinct]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[attribute.Distinct]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var dps []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				dps = d.DataPoints
			case metricdata.Gauge[int64]:
				dps = d.DataPoints
			}
			out[m.Name] = map[attribute.Distinct]int64{}
			for _, p := range dps {
				out[m.Name][p.Attributes.Equivalent()] = p.Value
			}
		}
	}
	return out
}

func labels(kv ...attribute.KeyValue) attribute.Distinct {
	s := attribute.NewSet(kv...)
	return s.Equivalent()
}

func TestMetricsCountCallsByResultAndTheQuota(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	l := newLimiter(Config{Calls: 3, Window: 20 * time.Second, DailyQuota: 4}, nil, &now)
	reader := sdkmetric.NewManualReader()
	l.instrument(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	i := l.UnaryInterceptor()
	a := auth.WithPrincipal(context.Background(), auth.Principal{ClientID: "a", Role: store.RoleReadWrite})
	failing := func(context.Context, any) (any, error) { return nil, errors.New("boom") }

	_ = call(a, i, leadsMethod, ok)
	_ = call(a, i, leadsMethod, failing)
	_ = call(a, i, leadsMethod, ok)
	_ = call(a, i, leadsMethod, ok) // the 4th within the window: 606
	now = now.Add(time.Minute)
	_ = call(a, i, leadsMethod, ok) // the quota's 4th
	_ = call(a, i, leadsMethod, ok) // 607

	got := points(t, reader)
	calls := func(result string) int64 {
		return got["msisync_api_calls"][labels(attribute.String("client_id", "a"), attribute.String("result", result))]
	}
	if calls("ok") != 3 || calls("error") != 1 || calls("rate_limited") != 1 || calls("quota_exceeded") != 1 {
		t.Errorf("calls = %v; want 3 ok, 1 error, 1 rate_limited, 1 quota_exceeded", got["msisync_api_calls"])
	}
	client := labels(attribute.String("client_id", "a"))
	if used, left := got["msisync_api_quota_used"][client], got["msisync_api_quota_remaining"][client]; used != 4 || left != 0 {
		t.Errorf("quota used %d, remaining %d; want 4 and 0", used, left)
	}
	// The next quota day starts at 0 before anyone calls.
	now = now.Add(24 * time.Hour)
	got = points(t, reader)
	if used, left := got["msisync_api_quota_used"][client], got["msisync_api_quota_remaining"][client]; used != 0 || left != 4 {
		t.Errorf("next day: quota used %d, remaining %d; want 0 and 4", used, left)
	}
}
