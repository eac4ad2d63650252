package syncrun

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// collect reads every metric of the reader, by name.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// value is the int64 sum or gauge point of the named metric with exactly the labels kv,
// or -1 when there is none.
func value(data map[string]metricdata.Aggregation, name string, kv ...attribute.KeyValue) int64 {
	want := attribute.NewSet(kv...)
	var points []metricdata.DataPoint[int64]
	switch d := data[name].(type) {
	case metricdata.Sum[int64]:
		points = d.DataPoints
	case metricdata.Gauge[int64]:
		points = d.DataPoints
	}
	for _, p := range points {
		if p.Attributes.Equals(&want) {
			return p.Value
		}
	}
	return -1
}

func TestMetricsCountOutcomesDurationsAndBacklog(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	e := newEnv(t)
	e.eng = New(e.st, e.fake, Options{ParkTTL: parkTTL, Now: e.clock.Now, Metrics: mp})
	e.srv = NewServer(e.st, e.eng, []byte("0123456789abcdef0123456789abcdef"))

	e.create(`{"salesPersons":[{"externalSalesPersonId":"sp-1"}],
		"companies":[{"externalCompanyId":"c-1","externalSalesPersonId":"sp-1"}],
		"leads":[{"externalPersonId":"l-1","externalCompanyId":"c-1"},{"externalPersonId":"l-2","externalCompanyId":"ghost"}],
		"opportunityRoles":[{"externalOpportunityId":"o-1","role":"Buyer"}]}`)
	before := collect(t, reader)
	if n := value(before, "msisync_sync_records_pending"); n != 5 {
		t.Errorf("pending before the run = %d; want 5", n)
	}
	if n := value(before, "msisync_sync_runs", attribute.String("state", "queued")); n != 1 {
		t.Errorf("queued runs = %d; want 1", n)
	}
	e.drain()

	got := collect(t, reader)
	records := func(object, outcome string) int64 {
		return value(got, "msisync_sync_records", attribute.String("object", object), attribute.String("outcome", outcome))
	}
	for _, c := range []struct {
		object, outcome string
		want            int64
	}{
		{"sales_person", "applied", 1}, {"company", "applied", 1}, {"lead", "applied", 1}, {"lead", "parked", 1}, {"opportunity_role", "rejected", 1}, {"lead", "rejected", -1},
	} {
		if n := records(c.object, c.outcome); n != c.want {
			t.Errorf("records{%s,%s} = %d; want %d", c.object, c.outcome, n, c.want)
		}
	}
	if n := value(got, "msisync_sync_records_pending"); n != 0 {
		t.Errorf("pending after the run = %d; want 0", n)
	}
	if n := value(got, "msisync_sync_records_parked", attribute.String("object", "lead")); n != 1 {
		t.Errorf("parked leads = %d; want 1", n)
	}
	if n := value(got, "msisync_sync_runs", attribute.String("state", "waiting")); n != 1 {
		t.Errorf("waiting runs = %d; want 1", n)
	}
	h, _ := got["msisync_sync_run_duration"].(metricdata.Histogram[float64])
	if len(h.DataPoints) != 1 || h.DataPoints[0].Count != 1 {
		t.Errorf("run durations = %+v; want one, for the waiting run", h.DataPoints)
	} else if st, _ := h.DataPoints[0].Attributes.Value("state"); st.AsString() != "waiting" {
		t.Errorf("run duration state = %v; want waiting", st)
	}

	// The parked lead expires to the dead-letter list.
	e.clock.Advance(parkTTL + 1)
	if err := e.eng.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	got = collect(t, reader)
	if n := value(got, "msisync_sync_records_expired"); n != 1 {
		t.Errorf("expired = %d; want 1", n)
	}
	if p, d := value(got, "msisync_sync_records_parked", attribute.String("object", "lead")), value(got, "msisync_sync_records_dead_lettered", attribute.String("object", "lead")); p != 0 || d != 1 {
		t.Errorf("leads parked %d, dead-lettered %d; want 0 and 1", p, d)
	}
}
