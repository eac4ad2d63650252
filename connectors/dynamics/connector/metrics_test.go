package connector

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
)

func TestObjectLabelsMatchTheOrchestrators(t *testing.T) {
	t.Parallel()
	for o, want := range map[mapping.Object]string{mapping.SalesPerson: "sales_person", mapping.Company: "company", mapping.Lead: "lead",
		mapping.Opportunity: "opportunity", mapping.OpportunityRole: "opportunity_role"} {
		if got := objectLabel(o.String()); got != want {
			t.Errorf("objectLabel(%q) = %q; want %q", o.String(), got, want)
		}
	}
}

func TestMetricsCountCyclesRowsAndRecords(t *testing.T) {
	t.Parallel()
	reader := sdkmetric.NewManualReader()
	in := newInstruments(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)))
	ctx := context.Background()
	start := time.Now()
	in.synced(ctx, &SyncReport{Started: start, Finished: start.Add(2 * time.Second),
		Sets:    []SetReport{{EntitySet: "contacts", Rows: 10, Unchanged: 4, Deleted: 1}},
		Objects: []ObjectReport{{Object: mapping.Lead, Sent: 6, Applied: 5, Parked: 1}}}, nil)
	in.synced(ctx, nil, errors.New("Dataverse is down"))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	in.synced(cancelled, nil, context.Canceled) // shutdown: not a failed cycle
	in.wroteBack(ctx, &WritebackReport{Started: start, Finished: start, Written: 3, Missing: 1}, nil)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, p := range sum.DataPoints {
				got[m.Name+" "+p.Attributes.Encoded(attribute.DefaultEncoder())] = p.Value
			}
		}
	}
	for k, want := range map[string]int64{
		"msisync_dynamics_cycles cycle=sync,result=ok":                1,
		"msisync_dynamics_cycles cycle=sync,result=error":             1,
		"msisync_dynamics_cycles cycle=writeback,result=ok":           1,
		"msisync_dynamics_rows entity_set=contacts,outcome=changed":   10,
		"msisync_dynamics_rows entity_set=contacts,outcome=unchanged": 4,
		"msisync_dynamics_rows entity_set=contacts,outcome=deleted":   1,
		"msisync_dynamics_records object=lead,outcome=sent":           6,
		"msisync_dynamics_records object=lead,outcome=applied":        5,
		"msisync_dynamics_records object=lead,outcome=parked":         1,
		"msisync_dynamics_writeback_rows outcome=written":             3,
		"msisync_dynamics_writeback_rows outcome=missing":             1,
	} {
		if got[k] != want {
			t.Errorf("%s = %d; want %d", k, got[k], want)
		}
	}
	if len(got) != 11 {
		t.Errorf("%d series; want 11 (no zero series, no cancelled cycle): %v", len(got), got)
	}
}
