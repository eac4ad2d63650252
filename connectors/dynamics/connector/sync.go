package connector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// batch is the most records of one type in one sync run, as the orchestrator allows.
const batch = 300

// objectTypes maps the connector's object types to the orchestrator's.
var objectTypes = map[mapping.Object]orchestratorv1.SyncObjectType{
	mapping.SalesPerson:     orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_SALES_PERSON,
	mapping.Company:         orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY,
	mapping.Lead:            orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD,
	mapping.Opportunity:     orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY,
	mapping.OpportunityRole: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_OPPORTUNITY_ROLE,
}

// SyncOnce pulls every entity set's changes since the saved delta links (everything, the
// first time), sends them to the orchestrator as sync runs in the MSI order, waits until the
// orchestrator has processed them, applies deletes, reports CRM users and findings, and only
// then saves the new delta links. A failure anywhere leaves the saved cursors where they
// were, so the next cycle repeats the work; repeated runs are deduplicated by request id
// and every write is an idempotent upsert or delete.
func (c *Connector) SyncOnce(ctx context.Context) (*SyncReport, error) {
	started := time.Now()
	rep, err := c.sync(ctx, false, nil)
	c.m.synced(ctx, rep, err)
	c.reportCycle(ctx, started, rep, err)
	return rep, err
}

// Resync is SyncOnce from scratch: it reads every entity set in full and sends every record
// again, changed or not, and still deletes what Dynamics no longer has. Use it after fixing
// data by hand (a record re-assigned from a disabled user, dead letters dropped), or to
// check that msisync holds the whole org.
func (c *Connector) Resync(ctx context.Context) (*SyncReport, error) {
	started := time.Now()
	rep, err := c.sync(ctx, true, nil)
	c.m.synced(ctx, rep, err)
	c.reportCycle(ctx, started, rep, err)
	return rep, err
}

// SyncSets is SyncOnce for the changes of some entity sets only (a webhook notified them):
// the other sets are not read, and their saved delta links stay for the next cycle. A set
// read for the first time, or read again in full (a changed mapping or fallback owner), is
// read anyway.
func (c *Connector) SyncSets(ctx context.Context, sets map[string]bool) (*SyncReport, error) {
	started := time.Now()
	rep, err := c.sync(ctx, false, sets)
	c.m.synced(ctx, rep, err)
	c.reportCycle(ctx, started, rep, err)
	return rep, err
}

// sync is one cycle; full reads and sends everything; only, when not nil, limits the delta
// reads to its entity sets (see SyncSets). Cycles run one at a time.
func (c *Connector) sync(ctx context.Context, full bool, only map[string]bool) (*SyncReport, error) {
	c.cycle.Lock()
	defer c.cycle.Unlock()
	rep := &SyncReport{Started: time.Now()}
	if err := c.Check(ctx); err != nil {
		return nil, err
	}
	c.emit(Event{Phase: PhasePull})
	roles, err := c.connectionRoles(ctx)
	if err != nil {
		return nil, err
	}
	p, err := c.newPlan(ctx, roles)
	if err != nil {
		return nil, err
	}
	p.resend = full
	if err := c.teams(ctx, p); err != nil {
		return nil, err
	}
	// The cursors the cycle starts from: where each set is read from (nowhere for a full
	// resync), and what identifies the cycle's runs (see requestID).
	var from strings.Builder
	cursors := make([]string, len(mapping.PullOrder))
	skip := make([]bool, len(mapping.PullOrder)) // not read this cycle: nothing changed
	rereadOwned, err := c.fallbackChanged(ctx, p)
	if err != nil {
		return nil, err
	}
	remapped, err := c.mappingChanged(ctx, p)
	if err != nil {
		return nil, err
	}
	for i, set := range mapping.PullOrder {
		cur, err := c.state.Cursor(ctx, deltaCursor(set))
		if err != nil {
			return nil, err
		}
		from.WriteString(set + "=" + cur + "\n")
		if !full && !(rereadOwned && needsOwner(set)) && !remapped[set] {
			cursors[i] = cur
		}
		skip[i] = only != nil && !only[set] && cursors[i] != ""
	}
	// The entity sets are read at once (the client bounds the requests in flight), so the
	// round trips to Dataverse overlap; each set is mapped and sent, in sync order, as soon as
	// it and the sets before it are read, so the orchestrator applies the parents while the
	// children are still coming.
	type read struct {
		ch  *changes
		err error
	}
	pullCtx, stopPulls := context.WithCancel(ctx)
	defer stopPulls()
	reads := make([]chan read, len(mapping.PullOrder))
	for i, set := range mapping.PullOrder {
		reads[i] = make(chan read, 1)
		if skip[i] {
			reads[i] <- read{&changes{set: set, from: cursors[i], deltaLink: cursors[i]}, nil}
			continue
		}
		go func() {
			ch, err := c.pull(pullCtx, set, cursors[i], func(n int) { c.emit(Event{Phase: PhasePull, EntitySet: set, Done: n}) })
			reads[i] <- read{ch, err}
		}()
	}
	var runs []string
	var sendTime time.Duration
	for i, set := range mapping.PullOrder {
		r := <-reads[i]
		if r.err != nil {
			return nil, r.err
		}
		ch := r.ch
		if err := c.owned(ctx, ch, p.switched); err != nil {
			return nil, err
		}
		if err := c.scopeChildren(ctx, p, ch); err != nil {
			return nil, err
		}
		if err := c.applyScope(ctx, p, ch); err != nil {
			return nil, err
		}
		if err := c.planSet(ctx, p, ch); err != nil {
			return nil, err
		}
		if fb := p.directory.fallback; set == mapping.SystemUsers && fb != "" && p.directory.Fallback() == "" {
			c.log.WarnContext(ctx, "MSISYNC_DYNAMICS_FALLBACK_OWNER names no enabled, regular Dynamics user: accounts and opportunities without an active owner are held; set it to the systemuserid of an enabled user", "user", fb)
		}
		rep.Sets = append(rep.Sets, SetReport{EntitySet: set, Rows: len(ch.rows), Deleted: len(ch.deleted), Full: ch.full, Unchanged: p.unchanged[set], OutOfScope: len(ch.out)})
		// Opportunities' customer roles wait in the plan until the connections are mapped.
		mark := time.Now()
		object := mapping.ObjectOf(set)
		if err := c.sendMerges(ctx, p, rep); err != nil {
			return nil, err
		}
		ids, err := c.submit(ctx, object, p.send[object], from.String(), rep)
		if err != nil {
			return nil, err
		}
		delete(p.send, object)
		runs = append(runs, ids...)
		sendTime += time.Since(mark)
	}
	rep.Runs = runs
	mark := time.Now()
	rep.Send, rep.Pull = sendTime, mark.Sub(rep.Started)-sendTime
	if err := c.await(ctx, runs, rep); err != nil {
		return nil, err
	}
	rep.Apply, mark = time.Since(mark), time.Now()
	if err := c.sendLateMerges(ctx, p, rep); err != nil {
		return nil, err
	}
	if err := c.applyDeletes(ctx, p, rep); err != nil {
		return nil, err
	}
	if n := rep.DeletesWaiting(); n > 0 {
		c.log.InfoContext(ctx, "deletes waiting: msisync refused them as in use; they are tried again next cycle", "count", n)
	}
	if err := c.reportCRM(ctx, p, rep); err != nil {
		return nil, err
	}
	if err := c.state.Apply(ctx, p.commit); err != nil {
		return nil, fmt.Errorf("saving the connector's cursors: %w", err)
	}
	rep.Finished = time.Now()
	rep.Finish = rep.Finished.Sub(mark)
	c.emit(Event{Phase: PhaseDone})
	return rep, nil
}

// connectionRoles reads the whole (small, organization-owned) connection role table.
func (c *Connector) connectionRoles(ctx context.Context) (map[string]mapping.ConnectionRole, error) {
	roles := map[string]mapping.ConnectionRole{}
	err := c.each(ctx, mapping.ConnectionRoles, dataverse.Query{Select: mapping.Select[mapping.ConnectionRoles]}, func(row dataverse.Row) {
		id, r := mapping.Role(row)
		roles[id] = r
	})
	if err != nil {
		return nil, fmt.Errorf("reading connection roles: %w", err)
	}
	return roles, nil
}

// submit sends one object type's records as sync runs, 300 per run, and returns the run
// ids. Each run's request id is derived from the cursors the cycle started from and the
// run's content, so a cycle repeated after a crash finds the runs it already created.
func (c *Connector) submit(ctx context.Context, object mapping.Object, recs []mapping.Record, from string, rep *SyncReport) ([]string, error) {
	var runs []string
	rep.object(object).Sent += len(recs)
	for start := 0; start < len(recs); start += batch {
		part := recs[start:min(start+batch, len(recs))]
		structs := make([]*structpb.Struct, len(part))
		for i, r := range part {
			s, err := structpb.NewStruct(r)
			if err != nil {
				return nil, fmt.Errorf("encoding a %s record: %w", object, err)
			}
			structs[i] = s
		}
		req := &orchestratorv1.CreateSyncRunRequest{RequestId: requestID(from, object, part)}
		switch object {
		case mapping.SalesPerson:
			req.SalesPersons = structs
		case mapping.Company:
			req.Companies = structs
		case mapping.Lead:
			req.Leads = structs
		case mapping.Opportunity:
			req.Opportunities = structs
		case mapping.OpportunityRole:
			req.OpportunityRoles = structs
		}
		resp, err := call(ctx, c.orch, "creating a sync run", func(ctx context.Context) (*orchestratorv1.CreateSyncRunResponse, error) {
			return c.orch.runs.CreateSyncRun(ctx, req)
		})
		if err != nil {
			return nil, err
		}
		runs = append(runs, resp.GetSyncRun().GetSyncId())
		c.emit(Event{Phase: PhaseSend, Object: object, Done: len(part)})
	}
	return runs, nil
}

// requestID is a run's idempotency key.
func requestID(from string, object mapping.Object, part []mapping.Record) string {
	sum := sha256.Sum256([]byte(from + object.String() + fingerprint(part)))
	return "dynamics-" + hex.EncodeToString(sum[:20])
}

// maxPoll caps the pause between polls of a run that shows no progress, so that waiting
// spends little of the API client's rate limit.
const maxPoll = 2 * time.Second

// await polls the runs, in order, until each has processed every record once (completed, or
// waiting with parked records), and adds their counts and reasons to the report. The pause
// between polls starts at PollInterval and doubles, up to maxPoll, while a run shows no
// progress.
func (c *Connector) await(ctx context.Context, runs []string, rep *SyncReport) error {
	for _, id := range runs {
		var last int
		pause := c.cfg.PollInterval
		for {
			resp, err := call(ctx, c.orch, "reading a sync run", func(ctx context.Context) (*orchestratorv1.GetSyncRunResponse, error) {
				return c.orch.runs.GetSyncRun(ctx, &orchestratorv1.GetSyncRunRequest{SyncId: id, PageSize: 1})
			})
			if err != nil {
				return err
			}
			run := resp.GetSyncRun()
			done := 0
			for _, n := range run.GetCounts() {
				done += int(n.GetTotal() - n.GetPending())
			}
			if done > last {
				c.emit(Event{Phase: PhaseApply, Done: done - last})
				last, pause = done, c.cfg.PollInterval
			} else {
				pause = min(2*pause, max(maxPoll, c.cfg.PollInterval))
			}
			if s := run.GetState(); s == orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED || s == orchestratorv1.SyncRunState_SYNC_RUN_STATE_WAITING {
				if err := c.tally(ctx, run, rep); err != nil {
					return err
				}
				break
			}
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}

// tally adds a processed run's counts to the report, and the reasons of its parked and
// rejected records.
func (c *Connector) tally(ctx context.Context, run *orchestratorv1.SyncRun, rep *SyncReport) error {
	needReasons := false
	for _, n := range run.GetCounts() {
		o := rep.object(objectOf(n.GetObjectType()))
		o.Applied += int(n.GetApplied())
		o.Parked += int(n.GetParked())
		o.Rejected += int(n.GetRejected())
		needReasons = needReasons || n.GetParked() > 0 || n.GetRejected() > 0
	}
	if !needReasons {
		return nil
	}
	// One read of all outcomes (a run holds at most 300 records of one type, so one page)
	// costs less of the API client's rate limit than one read per state.
	outcomes := map[orchestratorv1.SyncRecordState]string{
		orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_PARKED:   OutcomeParked,
		orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_REJECTED: OutcomeRejected,
	}
	token := ""
	for {
		resp, err := call(ctx, c.orch, "reading a sync run's outcomes", func(ctx context.Context) (*orchestratorv1.GetSyncRunResponse, error) {
			return c.orch.runs.GetSyncRun(ctx, &orchestratorv1.GetSyncRunRequest{SyncId: run.GetSyncId(), PageSize: batch, PageToken: token})
		})
		if err != nil {
			return err
		}
		for _, out := range resp.GetOutcomes() {
			if outcome, ok := outcomes[out.GetState()]; ok {
				rep.reason(objectOf(out.GetObjectType()), outcome, out.GetReasons(), out.GetKey())
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return nil
		}
	}
}

// objectOf maps the orchestrator's object type back.
func objectOf(t orchestratorv1.SyncObjectType) mapping.Object {
	for o, ot := range objectTypes {
		if ot == t {
			return o
		}
	}
	return 0
}
