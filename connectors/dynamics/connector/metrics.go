package connector

import (
	"context"
	"errors"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// meterName is the instrumentation scope of the connector's metrics.
const meterName = "github.com/msisync/msisync/connectors/dynamics/connector"

// cycleBuckets bound the cycle-duration histogram, in seconds: from an idle delta cycle
// to a first load of a large org.
var cycleBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200}

// instruments are the connector's metrics (see the README, Metrics). Their labels are
// bounded: cycle kinds, entity sets, object types and fixed outcomes.
type instruments struct {
	cycles   metric.Int64Counter
	duration metric.Float64Histogram
	rows     metric.Int64Counter
	records  metric.Int64Counter
	written  metric.Int64Counter
}

// newInstruments creates the instruments on mp (nil: the global provider, a no-op unless
// the process set one up); instruments that cannot be created are no-ops.
func newInstruments(mp metric.MeterProvider) instruments {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	in, err := instrumentsOn(mp.Meter(meterName))
	if err != nil {
		in, _ = instrumentsOn(noop.Meter{})
	}
	return in
}

func instrumentsOn(m metric.Meter) (instruments, error) {
	var in instruments
	var errs [5]error
	in.cycles, errs[0] = m.Int64Counter("msisync_dynamics_cycles",
		metric.WithDescription("Connector cycles, by kind (sync, writeback) and result (ok, error); a failed cycle is repeated at the next interval."),
		metric.WithUnit("{cycle}"))
	in.duration, errs[1] = m.Float64Histogram("msisync_dynamics_cycle_duration",
		metric.WithDescription("Duration of the connector's successful cycles, by kind (sync, writeback)."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(cycleBuckets...))
	in.rows, errs[2] = m.Int64Counter("msisync_dynamics_rows",
		metric.WithDescription("Dataverse rows read by successful sync cycles, by entity set and outcome: changed (new or changed rows read), unchanged (of those, mapped as sent before and not sent again), deleted."),
		metric.WithUnit("{row}"))
	in.records, errs[3] = m.Int64Counter("msisync_dynamics_records",
		metric.WithDescription("Records of successful sync cycles, by object type and outcome: sent (in sync runs), applied, parked, rejected (as the orchestrator processed them), deleted."),
		metric.WithUnit("{record}"))
	in.written, errs[4] = m.Int64Counter("msisync_dynamics_writeback_rows",
		metric.WithDescription("Dynamics rows the writeback cycles touched, by outcome: written, missing (404), failed (refused)."),
		metric.WithUnit("{row}"))
	return in, errors.Join(errs[:]...)
}

// cycle counts one cycle of kind ("sync" or "writeback"); one interrupted by shutdown is
// not counted.
func (in instruments) cycle(ctx context.Context, kind string, err error, seconds float64) {
	if err != nil && ctx.Err() != nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	ctx = context.WithoutCancel(ctx)
	in.cycles.Add(ctx, 1, metric.WithAttributes(attribute.String("cycle", kind), attribute.String("result", result)))
	if err == nil {
		in.duration.Record(ctx, seconds, metric.WithAttributes(attribute.String("cycle", kind)))
	}
}

// synced counts a sync cycle and, when it succeeded, its rows and records.
func (in instruments) synced(ctx context.Context, rep *SyncReport, err error) {
	if err != nil || rep == nil {
		in.cycle(ctx, "sync", err, 0)
		return
	}
	in.cycle(ctx, "sync", nil, rep.Finished.Sub(rep.Started).Seconds())
	ctx = context.WithoutCancel(ctx)
	add := func(c metric.Int64Counter, n int, kv ...attribute.KeyValue) {
		if n > 0 {
			c.Add(ctx, int64(n), metric.WithAttributes(kv...))
		}
	}
	for _, s := range rep.Sets {
		set := attribute.String("entity_set", s.EntitySet)
		add(in.rows, s.Rows, set, attribute.String("outcome", "changed"))
		add(in.rows, s.Unchanged, set, attribute.String("outcome", "unchanged"))
		add(in.rows, s.Deleted, set, attribute.String("outcome", "deleted"))
	}
	for _, o := range rep.Objects {
		obj := attribute.String("object", objectLabel(o.Object.String()))
		add(in.records, o.Sent, obj, attribute.String("outcome", "sent"))
		add(in.records, o.Applied, obj, attribute.String("outcome", "applied"))
		add(in.records, o.Parked, obj, attribute.String("outcome", "parked"))
		add(in.records, o.Rejected, obj, attribute.String("outcome", "rejected"))
		add(in.records, o.Deleted, obj, attribute.String("outcome", "deleted"))
	}
}

// wroteBack counts a writeback cycle and, when it succeeded, the rows it touched.
func (in instruments) wroteBack(ctx context.Context, rep *WritebackReport, err error) {
	if err != nil || rep == nil {
		in.cycle(ctx, "writeback", err, 0)
		return
	}
	in.cycle(ctx, "writeback", nil, rep.Finished.Sub(rep.Started).Seconds())
	ctx = context.WithoutCancel(ctx)
	for outcome, n := range map[string]int{"written": rep.Written, "missing": rep.Missing, "failed": rep.Failed} {
		if n > 0 {
			in.written.Add(ctx, int64(n), metric.WithAttributes(attribute.String("outcome", outcome)))
		}
	}
}

// objectLabel turns an object name ("salesPerson", "opportunity role") into the label
// value the orchestrator's metrics use ("sales_person", "opportunity_role").
func objectLabel(name string) string {
	var b strings.Builder
	for i, r := range name {
		switch {
		case r == ' ' || r == '-':
			b.WriteByte('_')
		case r >= 'A' && r <= 'Z':
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r + ('a' - 'A'))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
