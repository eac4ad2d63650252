package syncrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// BatchSize is how many records of one type the engine sends per write (Marketo's limit).
const BatchSize = 300

// Options tunes an Engine. Zero values take the defaults.
type Options struct {
	// ParkTTL is how long a record stays parked before it expires to the dead-letter list
	// (default 24h).
	ParkTTL time.Duration
	// Lease is how long a worker holds a run between renewals (default 1m); a run whose
	// worker died is resumed by another once the lease ends.
	Lease time.Duration
	// Poll is how often an idle worker looks for runs it was not woken for: runs of other
	// replicas whose lease ended, failed runs due for a retry (default 2s).
	Poll time.Duration
	// RetryDelay is how long a run that failed on an internal error waits before a worker
	// resumes it (default 30s).
	RetryDelay time.Duration
	// Sweep is how often parked records are expired and checked for parents that arrived
	// by other routes (default 1m).
	Sweep time.Duration
	// DeadLetterRetry is when dead letters are retried automatically, checked at each
	// sweep (default: never; see autoretry.go).
	DeadLetterRetry store.RetrySchedule
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives the worker's messages (default: discarded).
	Log *slog.Logger
	// Metrics receives the sync metrics (see metrics.go; default: the global provider).
	Metrics metric.MeterProvider
}

func (o Options) withDefaults() Options {
	if o.ParkTTL <= 0 {
		o.ParkTTL = 24 * time.Hour
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = 30 * time.Second
	}
	if o.Sweep <= 0 {
		o.Sweep = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Engine applies sync runs. One worker (Run) per process; any number of processes may
// share a store.
type Engine struct {
	st   store.SyncRunStore
	be   Backend
	opts Options
	wake chan struct{}
	m    instruments

	sweepMu    sync.Mutex
	sweepAfter store.Parent // where the next sweep continues through the parked parents
	deadAfter  store.Parent // where it continues through the parents of dead letters
}

// New returns an Engine over the store and the backend.
func New(st store.SyncRunStore, be Backend, opts Options) *Engine {
	return &Engine{st: st, be: be, opts: opts.withDefaults(), wake: make(chan struct{}, 1), m: newInstruments(opts.Metrics, st)}
}

// Wake tells the worker that a run may be waiting.
func (e *Engine) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run is the worker: it sweeps once, then applies every claimable run — the unfinished
// runs of a killed process included — and waits for more until ctx ends. It returns nil
// when ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	e.sweepLogged(ctx)
	poll := time.NewTicker(e.opts.Poll)
	defer poll.Stop()
	sweep := time.NewTicker(e.opts.Sweep)
	defer sweep.Stop()
	for {
		for ctx.Err() == nil && e.processNext(ctx) {
		}
		select {
		case <-ctx.Done():
			return nil
		case <-e.wake:
		case <-poll.C:
		case <-sweep.C:
			e.sweepLogged(ctx)
		}
	}
}

// processNext claims one run and applies it. It reports whether a run was claimed.
func (e *Engine) processNext(ctx context.Context) bool {
	now := e.opts.Now()
	run, err := e.st.ClaimSyncRun(ctx, now, now.Add(e.opts.Lease))
	if errors.Is(err, store.ErrNotFound) {
		return false
	}
	if err != nil {
		if ctx.Err() == nil {
			e.opts.Log.WarnContext(ctx, "claiming a sync run", "error", err)
		}
		return false
	}
	log := e.opts.Log.With("sync_id", run.ID)
	err = e.processRun(ctx, run)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		// Shutting down: end the lease now so that the next worker resumes at once.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := e.st.RenewLease(sctx, run.ID, e.opts.Now().Add(-time.Microsecond)); err != nil && !errors.Is(err, store.ErrNotFound) {
			log.WarnContext(sctx, "ending the lease of an interrupted sync run", "error", err)
		}
	case errors.Is(err, errLeaseLost):
		log.WarnContext(ctx, "another worker took over the sync run")
	default:
		log.WarnContext(ctx, "sync run failed; it will be resumed", "error", err, "retry_in", e.opts.RetryDelay)
		if err := e.st.FailSyncRun(ctx, run.ID, e.opts.Now().Add(e.opts.RetryDelay)); err != nil {
			log.WarnContext(ctx, "marking the sync run failed", "error", err)
			return false
		}
	}
	return true
}

// errLeaseLost means the run is no longer held by this worker.
var errLeaseLost = errors.New("sync run lease lost")

// processRun applies a claimed run's pending records type by type, in dependency order,
// a batch at a time, then settles its state.
func (e *Engine) processRun(ctx context.Context, run store.SyncRun) error {
	for _, t := range store.ObjectTypes {
		for {
			recs, err := e.st.PendingRecords(ctx, run.ID, t, BatchSize)
			if err != nil {
				return err
			}
			if len(recs) == 0 {
				break
			}
			if err := e.st.RenewLease(ctx, run.ID, e.opts.Now().Add(e.opts.Lease)); errors.Is(err, store.ErrNotFound) {
				return errLeaseLost
			} else if err != nil {
				return err
			}
			changed, err := e.processBatch(ctx, t, recs, run.RejectMissingParents)
			if err != nil {
				return err
			}
			if changed == 0 || len(recs) < BatchSize {
				break
			}
		}
	}
	now := e.opts.Now()
	state, err := e.st.FinishSyncRun(ctx, run.ID, now)
	if err != nil {
		return err
	}
	e.m.passEnded(ctx, run, state, now)
	e.opts.Log.DebugContext(ctx, "sync run pass finished", "sync_id", run.ID, "state", state)
	return nil
}

// result is what processing one record produced.
type result struct {
	refused *commonv1.Reason // decoding failed
	failed  *commonv1.Reason // the backend refused the record (a data error): dead-lettered
	out     apply.Outcome
	byID    bool           // a role that names its lead by leadId (a missing lead is a leadId)
	applied []store.Parent // the keys the record makes available as a parent, once applied
}

// processBatch decodes and applies records of one type (each in the state it was read
// in), stores every outcome in one transaction and releases the records waiting for the
// ones applied. It returns how many records changed state.
func (e *Engine) processBatch(ctx context.Context, t store.ObjectType, recs []store.SyncRecord, rejectMissing bool) (int, error) {
	structs := make([]*structpb.Struct, len(recs))
	for i, r := range recs {
		s := &structpb.Struct{}
		if err := protojson.Unmarshal(r.Record, s); err != nil {
			return 0, fmt.Errorf("sync record %d holds an unreadable record: %w", r.ID, err)
		}
		structs[i] = s
	}
	results, err := e.applyTyped(ctx, t, structs)
	if err != nil {
		return 0, err
	}
	now := e.opts.Now()
	updates := make([]store.RecordUpdate, len(recs))
	var released []store.Parent
	for i, r := range recs {
		u := store.RecordUpdate{ID: r.ID, From: r.State}
		res := results[i]
		switch {
		case res.refused != nil:
			u.To, u.Reasons = store.RecordRejected, []store.Reason{reasonOf(res.refused)}
		case res.failed != nil:
			u.To, u.Reasons = store.RecordDeadLettered, []store.Reason{reasonOf(res.failed)}
			u.ParkTime, u.ExpireTime = now, now
		case res.out.Missing != nil && rejectMissing:
			u.To, u.Reasons = store.RecordRejected, []store.Reason{reasonOf(res.out.Missing.Reason)}
		case res.out.Missing != nil:
			m := res.out.Missing
			u.To, u.Reasons = store.RecordParked, []store.Reason{reasonOf(m.Reason)}
			u.Missing, u.MissingDisplay = missingParent(m, res.byID), m.Key
			u.ParkTime, u.ExpireTime = now, now.Add(e.opts.ParkTTL)
		case res.out.Result == nil:
			u.To, u.Reasons = store.RecordRejected, []store.Reason{{Code: marketo.CodeObjectNotFound, Message: "the owning service returned no result for the record"}}
		case res.out.Result.GetStatus() == commonv1.RecordStatus_RECORD_STATUS_CREATED || res.out.Result.GetStatus() == commonv1.RecordStatus_RECORD_STATUS_UPDATED:
			rr := res.out.Result
			u.To, u.Status, u.RecID, u.GUID = store.RecordApplied, statusName(rr.GetStatus()), rr.GetId(), rr.GetGuid()
			applied := res.applied
			if t == store.Lead && rr.GetId() != 0 {
				applied = append(applied, store.Parent{Kind: kindLeadID, Key: strconv.Itoa(int(rr.GetId()))})
			}
			released = append(released, applied...)
		default:
			u.To = store.RecordRejected
			for _, why := range res.out.Result.GetReasons() {
				u.Reasons = append(u.Reasons, reasonOf(why))
			}
		}
		updates[i] = u
	}
	changed, err := e.st.UpdateRecords(ctx, updates, now)
	if err != nil {
		return 0, err
	}
	e.m.processed(ctx, t, updates)
	if err := e.release(ctx, released); err != nil {
		return changed, err
	}
	return changed, nil
}

// missingParent is the store's name of a missing parent.
func missingParent(m *links.Missing, byID bool) store.Parent {
	kind := string(m.Kind)
	key := extid.Key(m.Key)
	if m.Kind == links.Lead && byID {
		kind, key = kindLeadID, m.Key
	}
	return store.Parent{Kind: kind, Key: key}
}

// parent is the store's name of an applied record as a parent, or nothing without a key.
func parent(kind, externalID string) []store.Parent {
	if k := extid.Key(externalID); k != "" {
		return []store.Parent{{Kind: kind, Key: k}}
	}
	return nil
}

// decodeAll decodes each record into a new input message; refusals go into results.
func decodeAll[T proto.Message](obj *objects.Object, structs []*structpb.Struct, results []result, newInput func() T) ([]T, []int) {
	var ins []T
	var pos []int
	for i, s := range structs {
		in := newInput()
		if why := obj.Decode(s, in); why != nil {
			results[i].refused = why
			continue
		}
		ins = append(ins, in)
		pos = append(pos, i)
	}
	return ins, pos
}

// applyTyped decodes records of one type and writes them through the backend with the
// sync-run defaults (createOrUpdate, dedupe fields; leads by externalPersonId).
func (e *Engine) applyTyped(ctx context.Context, t store.ObjectType, structs []*structpb.Struct) ([]result, error) {
	results := make([]result, len(structs))
	var outs []attempt
	var pos []int
	var err error
	switch t {
	case store.SalesPerson:
		var ins []*identityv1.SalesPersonInput
		ins, pos = decodeAll(objects.SalesPerson, structs, results, func() *identityv1.SalesPersonInput { return &identityv1.SalesPersonInput{} })
		if len(ins) > 0 {
			outs, err = isolate(ctx, ins, func(part []*identityv1.SalesPersonInput) ([]apply.Outcome, error) {
				return e.be.SyncSalesPersons(ctx, &identityv1.SyncSalesPersonsRequest{Input: part})
			})
		}
		for k, in := range ins {
			results[pos[k]].applied = parent(kindSalesPerson, in.GetExternalSalesPersonId())
		}
	case store.Company:
		var ins []*accountv1.CompanyInput
		ins, pos = decodeAll(objects.Company, structs, results, func() *accountv1.CompanyInput { return &accountv1.CompanyInput{} })
		if len(ins) > 0 {
			outs, err = isolate(ctx, ins, func(part []*accountv1.CompanyInput) ([]apply.Outcome, error) {
				return e.be.SyncCompanies(ctx, commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED, commonv1.DedupeBy_DEDUPE_BY_UNSPECIFIED, part)
			})
		}
		for k, in := range ins {
			results[pos[k]].applied = parent(kindCompany, in.GetExternalCompanyId())
		}
	case store.Lead:
		var ins []*personv1.LeadInput
		ins, pos = decodeAll(objects.Lead, structs, results, func() *personv1.LeadInput { return &personv1.LeadInput{} })
		if len(ins) > 0 {
			outs, err = isolate(ctx, ins, func(part []*personv1.LeadInput) ([]apply.Outcome, error) {
				return e.be.SyncLeads(ctx, &personv1.SyncLeadsRequest{LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID, Input: part})
			})
		}
		for k, in := range ins {
			results[pos[k]].applied = parent(kindLead, in.GetExternalPersonId())
		}
	case store.Opportunity:
		var ins []*opportunityv1.OpportunityInput
		ins, pos = decodeAll(objects.Opportunity, structs, results, func() *opportunityv1.OpportunityInput { return &opportunityv1.OpportunityInput{} })
		if len(ins) > 0 {
			outs, err = isolate(ctx, ins, func(part []*opportunityv1.OpportunityInput) ([]apply.Outcome, error) {
				return e.be.SyncOpportunities(ctx, commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED, commonv1.DedupeBy_DEDUPE_BY_UNSPECIFIED, part)
			})
		}
		for k, in := range ins {
			results[pos[k]].applied = parent(kindOpportunity, in.GetExternalOpportunityId())
		}
	case store.OpportunityRole:
		var ins []apply.RoleInput
		for i, s := range structs {
			in, why := decodeRole(s)
			if why != nil {
				results[i].refused = why
				continue
			}
			results[i].byID = in.LeadId != nil
			ins = append(ins, in)
			pos = append(pos, i)
		}
		if len(ins) > 0 {
			outs, err = isolate(ctx, ins, func(part []apply.RoleInput) ([]apply.Outcome, error) {
				return e.be.SyncOpportunityRoles(ctx, commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED, commonv1.DedupeBy_DEDUPE_BY_UNSPECIFIED, part)
			})
		}
	default:
		return nil, fmt.Errorf("unknown object type %d", t)
	}
	if err != nil {
		return nil, err
	}
	if len(outs) != len(pos) {
		return nil, fmt.Errorf("applying %d records returned %d outcomes", len(pos), len(outs))
	}
	for k, o := range outs {
		results[pos[k]].out, results[pos[k]].failed = o.out, o.failed
	}
	return results, nil
}

// decodeRole decodes an opportunity role; externalPersonId may stand in for leadId.
func decodeRole(s *structpb.Struct) (apply.RoleInput, *commonv1.Reason) {
	fields := make(map[string]*structpb.Value, len(s.GetFields()))
	for k, v := range s.GetFields() {
		fields[k] = v
	}
	in := apply.RoleInput{OpportunityRoleInput: &opportunityv1.OpportunityRoleInput{}}
	if v, ok := fields["externalPersonId"]; ok {
		delete(fields, "externalPersonId")
		switch k := v.GetKind().(type) {
		case *structpb.Value_StringValue:
			in.ExternalPersonID = k.StringValue
		case *structpb.Value_NumberValue:
			in.ExternalPersonID = strconv.FormatFloat(k.NumberValue, 'f', -1, 64)
		case *structpb.Value_NullValue:
		default:
			return apply.RoleInput{}, records.Reason(marketo.CodeInvalidValue, "Invalid value for 'externalPersonId'. Required of type 'string'")
		}
	}
	if why := objects.OpportunityRole.Decode(&structpb.Struct{Fields: fields}, in.OpportunityRoleInput); why != nil {
		return apply.RoleInput{}, why
	}
	if in.LeadId == nil && in.ExternalPersonID == "" {
		return apply.RoleInput{}, records.Reason(marketo.CodeMissingValue, "Missing value for the required parameter 'leadId': give leadId or externalPersonId")
	}
	return in, nil
}

// Retry processes the parked or dead-lettered records among ids now, type by type in
// dependency order (records released on the way, by parents retried with them, are
// processed too), and returns the records as they stand afterwards together with the ids
// that named no parked or dead-lettered record.
func (e *Engine) Retry(ctx context.Context, ids []int64) (map[int64]store.SyncRecord, map[int64]bool, error) {
	before, err := e.st.GetSyncRecords(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	notFound := map[int64]bool{}
	for _, id := range ids {
		notFound[id] = true
	}
	byType := map[store.ObjectType][]int64{}
	for _, r := range before {
		if r.State == store.RecordParked || r.State == store.RecordDeadLettered {
			delete(notFound, r.ID)
			byType[r.ObjectType] = append(byType[r.ObjectType], r.ID)
		}
	}
	for _, t := range store.ObjectTypes {
		if len(byType[t]) == 0 {
			continue
		}
		// Read again: a parent retried just before may have released some of them.
		current, err := e.st.GetSyncRecords(ctx, byType[t])
		if err != nil {
			return nil, nil, err
		}
		var todo []store.SyncRecord
		for _, r := range current {
			switch r.State {
			case store.RecordParked, store.RecordDeadLettered, store.RecordPending:
				todo = append(todo, r)
			}
		}
		if len(todo) == 0 {
			continue
		}
		if _, err := e.processBatch(ctx, t, todo, false); err != nil {
			return nil, nil, err
		}
	}
	e.Wake()
	after, err := e.st.GetSyncRecords(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[int64]store.SyncRecord, len(after))
	for _, r := range after {
		out[r.ID] = r
	}
	return out, notFound, nil
}

// Drop drops the parked or dead-lettered records among ids and returns the ids dropped.
func (e *Engine) Drop(ctx context.Context, ids []int64) (map[int64]bool, error) {
	dropped, err := e.st.DropRecords(ctx, ids, e.opts.Now())
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(dropped))
	for _, id := range dropped {
		out[id] = true
	}
	return out, nil
}
