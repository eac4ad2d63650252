package syncrun

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// meterName is the instrumentation scope of the sync-run metrics.
const meterName = "github.com/msisync/msisync/services/orchestrator/internal/syncrun"

// objectLabel is each object type's value of the "object" label.
var objectLabel = map[store.ObjectType]string{
	store.SalesPerson:     "sales_person",
	store.Company:         "company",
	store.Lead:            "lead",
	store.Opportunity:     "opportunity",
	store.OpportunityRole: "opportunity_role",
}

// outcomeLabel is the "outcome" label of each state a processed record ends in.
var outcomeLabel = map[store.RecordState]string{
	store.RecordApplied:      "applied",
	store.RecordParked:       "parked",
	store.RecordRejected:     "rejected",
	store.RecordDeadLettered: "dead_lettered",
}

// runDurationBuckets bound the run-duration histogram, in seconds: from a small run on
// an idle suite to a bulk load.
var runDurationBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// Backlogger is a store that counts the unfinished work cheaply (sqlstore); with one, the
// engine reports the backlog gauges.
type Backlogger interface {
	// Backlog counts the unfinished runs and the pending, parked and dead-lettered records.
	Backlog(ctx context.Context) (store.Backlog, error)
}

// instruments are the engine's metrics.
type instruments struct {
	records  metric.Int64Counter
	expired  metric.Int64Counter
	duration metric.Float64Histogram
}

// newInstruments creates the engine's instruments on mp (nil: the global provider), and the
// backlog gauges when st can count its backlog. Instruments that cannot be created are
// no-ops.
func newInstruments(mp metric.MeterProvider, st store.SyncRunStore) instruments {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	in, err := instrumentsOn(mp.Meter(meterName))
	if err != nil {
		in, _ = instrumentsOn(noop.Meter{})
	}
	if b, ok := st.(Backlogger); ok {
		registerBacklog(mp.Meter(meterName), b)
	}
	return in
}

// instrumentsOn creates the engine's counters and histogram on m.
func instrumentsOn(m metric.Meter) (instruments, error) {
	var in instruments
	var err1, err2, err3 error
	in.records, err1 = m.Int64Counter("msisync_sync_records",
		metric.WithDescription("Sync-run records processed, by object type and outcome (applied, parked, rejected, dead_lettered); a record counts each time it is processed."),
		metric.WithUnit("{record}"))
	in.expired, err2 = m.Int64Counter("msisync_sync_records_expired",
		metric.WithDescription("Parked records that stayed parked past MSISYNC_PARK_TTL and moved to the dead-letter list."),
		metric.WithUnit("{record}"))
	in.duration, err3 = m.Float64Histogram("msisync_sync_run_duration",
		metric.WithDescription("Time from a sync run's creation to the end of the worker pass that left it with no pending record, by the state it ended in (completed, or waiting on parked records)."),
		metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(runDurationBuckets...))
	return in, errors.Join(err1, err2, err3)
}

// registerBacklog adds the gauges read from the store's backlog, one query per scrape.
func registerBacklog(m metric.Meter, b Backlogger) {
	runs, err1 := m.Int64ObservableGauge("msisync_sync_runs",
		metric.WithDescription("Sync runs not completed, by state (queued, running, waiting, failed), across every replica."),
		metric.WithUnit("{run}"))
	pending, err2 := m.Int64ObservableGauge("msisync_sync_records_pending",
		metric.WithDescription("Sync-run records waiting to be processed (the queue depth), across every replica."),
		metric.WithUnit("{record}"))
	parked, err3 := m.Int64ObservableGauge("msisync_sync_records_parked",
		metric.WithDescription("Sync-run records parked for a missing parent, by object type."),
		metric.WithUnit("{record}"))
	dead, err4 := m.Int64ObservableGauge("msisync_sync_records_dead_lettered",
		metric.WithDescription("Sync-run records on the dead-letter list, by object type."),
		metric.WithUnit("{record}"))
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return
	}
	_, _ = m.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		bl, err := b.Backlog(ctx)
		if err != nil {
			return err
		}
		for _, st := range []store.RunState{store.RunQueued, store.RunRunning, store.RunWaiting, store.RunFailed} {
			o.ObserveInt64(runs, bl.Runs[st], metric.WithAttributes(attribute.String("state", string(st))))
		}
		o.ObserveInt64(pending, bl.Pending)
		for _, t := range store.ObjectTypes {
			attrs := metric.WithAttributes(attribute.String("object", objectLabel[t]))
			o.ObserveInt64(parked, bl.Parked[t], attrs)
			o.ObserveInt64(dead, bl.DeadLettered[t], attrs)
		}
		return nil
	}, runs, pending, parked, dead)
}

// processed counts the outcomes of a batch of one object type that the store took.
func (in instruments) processed(ctx context.Context, t store.ObjectType, updates []store.RecordUpdate) {
	n := map[string]int64{}
	for _, u := range updates {
		if o, ok := outcomeLabel[u.To]; ok {
			n[o]++
		}
	}
	for o, c := range n {
		in.records.Add(ctx, c, metric.WithAttributes(attribute.String("object", objectLabel[t]), attribute.String("outcome", o)))
	}
}

// passEnded records a run's duration when a pass left it completed or waiting.
func (in instruments) passEnded(ctx context.Context, run store.SyncRun, state store.RunState, now time.Time) {
	if (state != store.RunCompleted && state != store.RunWaiting) || run.CreatedAt.IsZero() {
		return
	}
	in.duration.Record(ctx, now.Sub(run.CreatedAt).Seconds(), metric.WithAttributes(attribute.String("state", string(state))))
}
