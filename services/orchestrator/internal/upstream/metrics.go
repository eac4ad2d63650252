package upstream

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// meterName is the instrumentation scope of the delivery metrics.
const meterName = "github.com/msisync/msisync/services/orchestrator/internal/upstream"

// instruments are the forwarder's metrics.
type instruments struct {
	records metric.Int64Counter
}

// instrument creates the forwarder's metrics on mp (nil: the global provider): a counter of
// the records whose delivery ended, by object and outcome, and gauges of the outbox and of
// the calls left today. Instruments that cannot be created are no-ops.
func (f *Forwarder) instrument(mp metric.MeterProvider) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(meterName)
	records, err := m.Int64Counter("msisync_upstream_records",
		metric.WithDescription("Records whose delivery to the customer's Marketo ended, by object and outcome (created, updated, skipped, unsent, deleted, unchanged, gone), and records that will be tried again (retry)."),
		metric.WithUnit("{record}"))
	if err != nil {
		records, _ = noop.Meter{}.Int64Counter("msisync_upstream_records")
	}
	f.m = instruments{records: records}
	backlog, err1 := m.Int64ObservableGauge("msisync_upstream_backlog",
		metric.WithDescription("Records waiting for delivery to the customer's Marketo, by object."), metric.WithUnit("{record}"))
	left, err2 := m.Int64ObservableGauge("msisync_upstream_calls_left",
		metric.WithDescription("Marketo API calls msisync may still make today (its share of the daily quota)."), metric.WithUnit("{call}"))
	if err1 != nil || err2 != nil {
		return
	}
	_, _ = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		o.ObserveInt64(left, f.mk.Limits().Status().Left)
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		queues, err := f.store.CountUpstream(ctx, f.opt.Now())
		if err != nil {
			return err
		}
		for _, q := range queues {
			o.ObserveInt64(backlog, q.Backlog(), metric.WithAttributes(attribute.String("object", string(q.Object))))
		}
		return nil
	}, backlog, left)
}

// count counts the acks of one batch by outcome.
func (f *Forwarder) count(ctx context.Context, obj store.UpstreamObject, acks []store.OutboxAck) {
	by := map[string]int64{}
	for _, a := range acks {
		by[outcome(a)]++
	}
	for o, n := range by {
		f.m.records.Add(ctx, n, metric.WithAttributes(attribute.String("object", string(obj)), attribute.String("outcome", o)))
	}
}

// outcome names how an ack ended a record's delivery.
func outcome(a store.OutboxAck) string {
	switch {
	case !a.Done:
		return "retry"
	case a.Deliver != nil && a.Deliver.Status != "":
		return a.Deliver.Status
	case a.Forget && a.Deliver == nil:
		return "deleted"
	}
	return "unchanged"
}
