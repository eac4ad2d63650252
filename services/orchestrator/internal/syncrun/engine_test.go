package syncrun

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
	"github.com/msisync/msisync/services/orchestrator/internal/store/sqlstore"
)

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is an engine and server over a fresh SQLite store and a fake suite.
type env struct {
	t     *testing.T
	st    *sqlstore.Store
	fake  *fakeBackend
	clock *clock
	eng   *Engine
	srv   *Server
}

const parkTTL = time.Hour

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, fake: newFake(), clock: &clock{t: t0}}
	e.eng = e.engine()
	e.srv = NewServer(st, e.eng, []byte("0123456789abcdef0123456789abcdef"))
	return e
}

// engine returns another engine over the same store, backend and clock (another process).
func (e *env) engine() *Engine {
	return New(e.st, e.fake, Options{ParkTTL: parkTTL, Lease: time.Minute, RetryDelay: 30 * time.Second, Poll: 10 * time.Millisecond, Now: e.clock.Now})
}

// create sends a change set given as JSON (the REST body of POST /v1/syncs).
func (e *env) create(body string) *orchestratorv1.SyncRun {
	e.t.Helper()
	req := &orchestratorv1.CreateSyncRunRequest{}
	if err := protojson.Unmarshal([]byte(body), req); err != nil {
		e.t.Fatalf("request %s: %v", body, err)
	}
	resp, err := e.srv.CreateSyncRun(context.Background(), req)
	if err != nil {
		e.t.Fatalf("CreateSyncRun: %v", err)
	}
	return resp.GetSyncRun()
}

// drain lets the engine apply every claimable run.
func (e *env) drain() {
	for e.eng.processNext(context.Background()) {
	}
}

func (e *env) get(id string) *orchestratorv1.GetSyncRunResponse {
	e.t.Helper()
	resp, err := e.srv.GetSyncRun(context.Background(), &orchestratorv1.GetSyncRunRequest{SyncId: id, PageSize: 300})
	if err != nil {
		e.t.Fatalf("GetSyncRun: %v", err)
	}
	return resp
}

func (e *env) pending() []*orchestratorv1.ParkedRecord {
	e.t.Helper()
	resp, err := e.srv.ListPendingRecords(context.Background(), &orchestratorv1.ListPendingRecordsRequest{})
	if err != nil {
		e.t.Fatalf("ListPendingRecords: %v", err)
	}
	return resp.GetPendingRecords()
}

// states summarises outcomes as "type/index:state".
func states(outs []*orchestratorv1.SyncRecordOutcome) string {
	var parts []string
	for _, o := range outs {
		parts = append(parts, fmt.Sprintf("%d/%d:%s", o.GetObjectType(), o.GetIndex(), strings.TrimPrefix(o.GetState().String(), "SYNC_RECORD_STATE_")))
	}
	return strings.Join(parts, " ")
}

func wantState(t *testing.T, run *orchestratorv1.SyncRun, want orchestratorv1.SyncRunState) {
	t.Helper()
	if run.GetState() != want {
		t.Fatalf("run state = %s, want %s", run.GetState(), want)
	}
}

// reverseOrder is a complete change set, children first.
const reverseOrder = `{
  "opportunityRoles": [
    {"externalOpportunityId": "OPP-1", "externalPersonId": "{C0FFEE00-0000-0000-0000-000000000001}", "role": "Decision Maker", "isPrimary": true},
    {"externalOpportunityId": "opp-1", "externalPersonId": "person-2", "role": "Influencer"}
  ],
  "opportunities": [{"externalOpportunityId": "opp-1", "name": "Big deal", "externalCompanyId": "acme", "externalSalesPersonId": "sp-1"}],
  "leads": [
    {"externalPersonId": "c0ffee00-0000-0000-0000-000000000001", "email": "ann@acme.example", "externalCompanyId": "ACME", "externalSalesPersonId": "sp-1"},
    {"externalPersonId": "person-2", "email": "bob@acme.example", "externalCompanyId": "acme", "externalSalesPersonId": "SP-1"}
  ],
  "companies": [{"externalCompanyId": "acme", "company": "Acme", "externalSalesPersonId": "sp-1"}],
  "salesPersons": [{"externalSalesPersonId": "sp-1", "email": "sam@example.com", "firstName": "Sam"}]
}`

func TestReverseOrderRunEndsFullyApplied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := e.create(reverseOrder)
	wantState(t, run, orchestratorv1.SyncRunState_SYNC_RUN_STATE_QUEUED)
	if run.GetSyncId() == "" || len(run.GetCounts()) != 5 || run.GetCounts()[0].GetPending() != 1 {
		t.Fatalf("created run = %v", run)
	}
	e.drain()
	got := e.get(run.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
	if want := "1/0:APPLIED 2/0:APPLIED 3/0:APPLIED 3/1:APPLIED 4/0:APPLIED 5/0:APPLIED 5/1:APPLIED"; states(got.GetOutcomes()) != want {
		t.Errorf("outcomes = %s\nwant %s", states(got.GetOutcomes()), want)
	}
	for _, c := range got.GetSyncRun().GetCounts() {
		if c.GetApplied() != c.GetTotal() || c.GetTotal() == 0 {
			t.Errorf("counts %v: not all applied", c)
		}
	}
	if got.GetSyncRun().GetStartTime() == nil || got.GetSyncRun().GetCompleteTime() == nil {
		t.Errorf("run times = %v", got.GetSyncRun())
	}
	o := got.GetOutcomes()
	if o[0].GetStatus() != commonv1.RecordStatus_RECORD_STATUS_CREATED || o[0].GetId() == 0 || o[0].GetKey() != "sp-1" {
		t.Errorf("sales person outcome = %v", o[0])
	}
	if o[5].GetMarketoGuid() == "" || o[5].GetKey() != "OPP-1/{C0FFEE00-0000-0000-0000-000000000001}/Decision Maker" {
		t.Errorf("role outcome = %v", o[5])
	}
	// Every type went in one batch, once: no record was parked on the way.
	for ot, n := range e.fake.calls {
		if n != 1 {
			t.Errorf("object type %d written in %d calls, want 1", ot, n)
		}
	}
	if len(e.pending()) != 0 {
		t.Errorf("pending list not empty")
	}

	// The same change set again (a retried sync) leaves the same state: all updated.
	before := e.fake.sizes()
	again := e.create(reverseOrder)
	e.drain()
	got = e.get(again.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
	for _, o := range got.GetOutcomes() {
		if o.GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_APPLIED || o.GetStatus() != commonv1.RecordStatus_RECORD_STATUS_UPDATED {
			t.Errorf("second run outcome = %v, want applied/updated", o)
		}
	}
	if after := e.fake.sizes(); after != before {
		t.Errorf("records after the second run %v, before %v", after, before)
	}
}

func TestParkedLeadIsReleasedByALaterRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.create(`{"salesPersons":[{"externalSalesPersonId":"sp-1"}],
		"leads":[{"externalPersonId":"p-1","externalCompanyId":"Globex","externalSalesPersonId":"sp-1"}],
		"opportunityRoles":[{"externalOpportunityId":"o-1","externalPersonId":"p-1","role":"Buyer"}]}`)
	e.drain()
	got := e.get(first.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_WAITING)
	if want := "1/0:APPLIED 3/0:PARKED 5/0:PARKED"; states(got.GetOutcomes()) != want {
		t.Fatalf("outcomes = %s, want %s", states(got.GetOutcomes()), want)
	}
	lead := got.GetOutcomes()[1]
	if lead.GetPendingId() == "" || lead.GetMissingParent().GetObjectType() != orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_COMPANY ||
		lead.GetMissingParent().GetKey() != "Globex" || lead.GetReasons()[0].GetCode() != "1013" {
		t.Errorf("parked lead outcome = %v", lead)
	}
	pend := e.pending()
	if len(pend) != 2 {
		t.Fatalf("pending list = %v", pend)
	}
	p := pend[0]
	if p.GetPendingId() != lead.GetPendingId() || p.GetSyncId() != first.GetSyncId() || p.GetReason().GetCode() != "1013" ||
		!strings.Contains(p.GetReason().GetMessage(), "Globex") || p.GetRecord().GetFields()["externalPersonId"].GetStringValue() != "p-1" ||
		!p.GetExpireTime().AsTime().Equal(t0.Add(parkTTL)) || p.GetAttemptCount() != 1 {
		t.Errorf("pending record = %v", p)
	}
	if role := pend[1]; role.GetMissingParent().GetObjectType() != orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD || role.GetMissingParent().GetKey() != "p-1" {
		t.Errorf("pending role = %v", role)
	}

	// A later run brings the company (in another case) and the opportunity: the lead, then
	// the role, are applied in order.
	e.clock.Advance(time.Minute)
	second := e.create(`{"companies":[{"externalCompanyId":"GLOBEX","externalSalesPersonId":"sp-1"}],
		"opportunities":[{"externalOpportunityId":"o-1","externalCompanyId":"globex"}]}`)
	e.drain()
	wantState(t, e.get(second.GetSyncId()).GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
	got = e.get(first.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
	if want := "1/0:APPLIED 3/0:APPLIED 5/0:APPLIED"; states(got.GetOutcomes()) != want {
		t.Errorf("outcomes after release = %s, want %s", states(got.GetOutcomes()), want)
	}
	if len(e.pending()) != 0 {
		t.Errorf("pending list after release = %v", e.pending())
	}
	if s := e.fake.sizes(); s[2] != 1 || s[4] != 1 {
		t.Errorf("suite holds %v", s)
	}
}

func TestRejectMissingParentsAndInvalidRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	run := e.create(`{"rejectMissingParents":true,
		"companies":[{"externalCompanyId":"c-1","externalSalesPersonId":"ghost"},{"externalCompanyId":"c-2","shoeSize":44}],
		"opportunityRoles":[{"externalOpportunityId":"o-1","role":"Buyer"}]}`)
	e.drain()
	got := e.get(run.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
	codes := []string{}
	for _, o := range got.GetOutcomes() {
		if o.GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_REJECTED || o.GetPendingId() != "" {
			t.Errorf("outcome = %v, want rejected", o)
		}
		codes = append(codes, o.GetReasons()[0].GetCode())
	}
	if want := []string{marketo.CodeSalesPersonNotFound, marketo.CodeFieldNotFound, marketo.CodeMissingValue}; strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Errorf("reason codes = %v, want %v", codes, want)
	}
	if len(e.pending()) != 0 {
		t.Errorf("rejected records were parked")
	}
}

func TestExpiryRetryAndDrop(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	run := e.create(`{"companies":[{"externalCompanyId":"c-1","externalSalesPersonId":"sp-9"}],
		"leads":[{"externalPersonId":"p-1","externalCompanyId":"c-9"},{"externalPersonId":"p-2","externalCompanyId":"c-9"}]}`)
	e.drain()
	wantState(t, e.get(run.GetSyncId()).GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_WAITING)
	pend := e.pending()
	if len(pend) != 3 || pend[0].GetReason().GetCode() != "718" {
		t.Fatalf("pending = %v", pend)
	}
	company, lead1, lead2 := pend[0].GetPendingId(), pend[1].GetPendingId(), pend[2].GetPendingId()

	// Retrying while the parent is still missing parks the record again, with a new expiry.
	e.clock.Advance(10 * time.Minute)
	resp, err := e.srv.RetryPendingRecords(ctx, &orchestratorv1.RetryPendingRecordsRequest{PendingIds: []string{lead1}})
	if err != nil {
		t.Fatal(err)
	}
	if o := resp.GetOutcomes()[0]; o.GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_PARKED || o.GetPendingId() != lead1 {
		t.Errorf("retry with the parent missing = %v", o)
	}
	if p := e.pending(); len(p) != 3 || p[2].GetAttemptCount() != 2 || !p[2].GetExpireTime().AsTime().Equal(t0.Add(10*time.Minute+parkTTL)) {
		t.Errorf("pending after retry = %v", p)
	}

	// Past the expiry, the sweep moves the other two to the dead-letter list.
	e.clock.Advance(parkTTL - 5*time.Minute)
	if err := e.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	dead, err := e.srv.ListDeadLetters(ctx, &orchestratorv1.ListDeadLettersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(dead.GetDeadLetters()) != 2 || dead.GetDeadLetters()[0].GetPendingId() != company || dead.GetDeadLetters()[1].GetPendingId() != lead2 {
		t.Fatalf("dead letters = %v", dead.GetDeadLetters())
	}
	if p := e.pending(); len(p) != 1 || p[0].GetPendingId() != lead1 {
		t.Fatalf("pending after expiry = %v", p)
	}

	// The company arrives by another route; retrying the dead letter applies it.
	e.fake.addCompany("c-9")
	resp, err = e.srv.RetryPendingRecords(ctx, &orchestratorv1.RetryPendingRecordsRequest{PendingIds: []string{lead2, "999999", "nonsense", company}})
	if err != nil {
		t.Fatal(err)
	}
	o := resp.GetOutcomes()
	if len(o) != 4 || o[0].GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_APPLIED ||
		o[1].GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_NOT_FOUND || o[1].GetPendingId() != "999999" ||
		o[2].GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_NOT_FOUND ||
		o[3].GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_PARKED {
		t.Fatalf("retry outcomes = %v", o)
	}
	// The sweep finds the company for the lead still parked.
	if err := e.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if want := "2/0:PARKED 3/0:APPLIED 3/1:APPLIED"; states(e.get(run.GetSyncId()).GetOutcomes()) != want {
		t.Errorf("outcomes = %s, want %s", states(e.get(run.GetSyncId()).GetOutcomes()), want)
	}

	// Dropping the last parked record completes the run; dropping it again is not found.
	dr, err := e.srv.DropPendingRecords(ctx, &orchestratorv1.DropPendingRecordsRequest{PendingIds: []string{company}})
	if err != nil || dr.GetOutcomes()[0].GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_DROPPED {
		t.Fatalf("drop = %v, %v", dr, err)
	}
	got := e.get(run.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
	if c := got.GetSyncRun().GetCounts()[0]; c.GetDropped() != 1 || c.GetTotal() != 1 {
		t.Errorf("company counts = %v", c)
	}
	dr, err = e.srv.DropPendingRecords(ctx, &orchestratorv1.DropPendingRecordsRequest{PendingIds: []string{company, lead1}})
	if err != nil || dr.GetOutcomes()[0].GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_NOT_FOUND ||
		dr.GetOutcomes()[1].GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_NOT_FOUND || dr.GetOutcomes()[1].GetSyncId() != run.GetSyncId() {
		t.Errorf("second drop = %v, %v", dr, err)
	}
	if _, err := e.srv.DropPendingRecords(ctx, &orchestratorv1.DropPendingRecordsRequest{}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("drop of nothing = %v, want INVALID_ARGUMENT", err)
	}
}

func TestRequestIDIsIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := `{"requestId":"crm-batch-42","salesPersons":[{"externalSalesPersonId":"sp-1"}]}`
	first := e.create(body)
	second := e.create(body)
	if first.GetSyncId() != second.GetSyncId() || second.GetRequestId() != "crm-batch-42" {
		t.Fatalf("runs %s and %s for one request id", first.GetSyncId(), second.GetSyncId())
	}
	e.drain()
	if third := e.create(body); third.GetSyncId() != first.GetSyncId() || third.GetState() != orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED {
		t.Errorf("request id reused after completion = %v", third)
	}
	if n := e.fake.calls[store.SalesPerson]; n != 1 {
		t.Errorf("sales persons written %d times, want 1", n)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	big := &orchestratorv1.CreateSyncRunRequest{}
	for range 301 {
		big.Leads = append(big.Leads, nil)
	}
	for name, req := range map[string]*orchestratorv1.CreateSyncRunRequest{
		"empty":      {},
		"too many":   big,
		"request id": {RequestId: strings.Repeat("x", 101), Leads: big.Leads[:1]},
	} {
		if _, err := e.srv.CreateSyncRun(ctx, req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: CreateSyncRun = %v, want INVALID_ARGUMENT", name, err)
		}
	}
	if _, err := e.srv.GetSyncRun(ctx, &orchestratorv1.GetSyncRunRequest{SyncId: "nope"}); status.Code(err) != codes.NotFound {
		t.Errorf("GetSyncRun(unknown) = %v, want NOT_FOUND", err)
	}
	if _, err := e.srv.GetSyncRun(ctx, &orchestratorv1.GetSyncRunRequest{SyncId: "x", PageSize: 301}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("GetSyncRun(page_size 301) = %v, want INVALID_ARGUMENT", err)
	}
	if _, err := e.srv.RetryPendingRecords(ctx, &orchestratorv1.RetryPendingRecordsRequest{PendingIds: make([]string, 301)}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("retry of 301 ids = %v, want INVALID_ARGUMENT", err)
	}

	// Outcomes are paged in sync order, with tokens bound to their query.
	run := e.create(reverseOrder)
	var got []*orchestratorv1.SyncRecordOutcome
	req := &orchestratorv1.GetSyncRunRequest{SyncId: run.GetSyncId(), PageSize: 3}
	for {
		resp, err := e.srv.GetSyncRun(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, resp.GetOutcomes()...)
		if resp.GetNextPageToken() == "" {
			break
		}
		req.PageToken = resp.GetNextPageToken()
	}
	if want := "1/0:PENDING 2/0:PENDING 3/0:PENDING 3/1:PENDING 4/0:PENDING 5/0:PENDING 5/1:PENDING"; states(got) != want {
		t.Errorf("paged outcomes = %s, want %s", states(got), want)
	}
	req.State = orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_APPLIED
	if _, err := e.srv.GetSyncRun(ctx, req); status.Code(err) != codes.InvalidArgument {
		t.Errorf("page token reused for another query = %v, want INVALID_ARGUMENT", err)
	}
	leads, err := e.srv.GetSyncRun(ctx, &orchestratorv1.GetSyncRunRequest{SyncId: run.GetSyncId(), ObjectType: orchestratorv1.SyncObjectType_SYNC_OBJECT_TYPE_LEAD})
	if err != nil || states(leads.GetOutcomes()) != "3/0:PENDING 3/1:PENDING" {
		t.Errorf("lead outcomes = %v, %v", leads.GetOutcomes(), err)
	}
}

func TestRestartResumesUnfinishedRuns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	run := e.create(reverseOrder)

	// A worker claimed the run and was killed: nobody else takes it during its lease.
	if _, err := e.st.ClaimSyncRun(ctx, e.clock.Now(), e.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	restarted := e.engine()
	if restarted.processNext(ctx) {
		t.Fatal("a run was claimed during another worker's lease")
	}
	wantState(t, e.get(run.GetSyncId()).GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_RUNNING)
	e.clock.Advance(2 * time.Minute)
	for restarted.processNext(ctx) {
	}
	wantState(t, e.get(run.GetSyncId()).GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)

	// A run that fails on an internal error is failed, keeps its records pending, and is
	// resumed after the retry delay.
	other := e.create(`{"salesPersons":[{"externalSalesPersonId":"sp-2"}],"leads":[{"externalPersonId":"p-9"}]}`)
	e.fake.mu.Lock()
	e.fake.fail = status.Error(codes.Unavailable, "person service is down")
	e.fake.mu.Unlock()
	e.drain()
	got := e.get(other.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_FAILED)
	if states(got.GetOutcomes()) != "1/0:PENDING 3/0:PENDING" {
		t.Errorf("outcomes of the failed run = %s", states(got.GetOutcomes()))
	}
	e.fake.mu.Lock()
	e.fake.fail = nil
	e.fake.mu.Unlock()
	e.drain()
	wantState(t, e.get(other.GetSyncId()).GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_FAILED)
	e.clock.Advance(31 * time.Second)
	e.drain()
	wantState(t, e.get(other.GetSyncId()).GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
}

func TestCountsMoveWhileRunningAndShutdownHandsOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.leadGate, e.fake.leadSeen = make(chan struct{}), make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.eng.Run(ctx) }()

	run := e.create(reverseOrder)
	select {
	case <-e.fake.leadSeen:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker never reached the leads")
	}
	got := e.get(run.GetSyncId()).GetSyncRun()
	wantState(t, got, orchestratorv1.SyncRunState_SYNC_RUN_STATE_RUNNING)
	c := got.GetCounts()
	if c[0].GetApplied() != 1 || c[1].GetApplied() != 1 || c[2].GetPending() != 2 || c[4].GetPending() != 2 {
		t.Errorf("counts while running = %v", c)
	}

	// Shutting down mid-run hands the run over at once: a new worker resumes it.
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	e.fake.leadGate = nil
	restarted := e.engine()
	for restarted.processNext(context.Background()) {
	}
	wantState(t, e.get(run.GetSyncId()).GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
}

func TestLargeRunIsBatched(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var b strings.Builder
	b.WriteString(`{"salesPersons":[{"externalSalesPersonId":"sp"}],"leads":[`)
	for i := range 300 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"externalPersonId":"p-%d","externalSalesPersonId":"sp"}`, i)
	}
	b.WriteString(`]}`)
	run := e.create(b.String())
	e.drain()
	got := e.get(run.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
	if c := got.GetSyncRun().GetCounts()[1]; c.GetApplied() != 300 || len(got.GetOutcomes()) != 300 {
		t.Errorf("lead counts = %v, %d outcomes on the page", c, len(got.GetOutcomes()))
	}
	if e.fake.calls[store.Lead] != 1 {
		t.Errorf("300 leads written in %d calls, want 1", e.fake.calls[store.Lead])
	}
}

// Compile-time check that the test fake satisfies the engine's dependency.
var _ Backend = (*fakeBackend)(nil)

func TestDataErrorDeadLettersOnlyTheBadRecordAndTheRunCompletes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.refuseLead = "p-3"
	run := e.create(`{"leads":[{"externalPersonId":"p-1"},{"externalPersonId":"p-2"},{"externalPersonId":"p-3"},{"externalPersonId":"p-4"},{"externalPersonId":"p-5"}]}`)
	e.drain()
	got := e.get(run.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
	if s := states(got.GetOutcomes()); s != "3/0:APPLIED 3/1:APPLIED 3/2:DEAD_LETTERED 3/3:APPLIED 3/4:APPLIED" {
		t.Errorf("outcomes = %s", s)
	}
	bad := got.GetOutcomes()[2]
	if len(bad.GetReasons()) != 1 || bad.GetReasons()[0].GetCode() != "1003" || !strings.Contains(bad.GetReasons()[0].GetMessage(), "p-3") {
		t.Errorf("the dead-lettered record's reasons = %v", bad.GetReasons())
	}
	dead, err := e.srv.ListDeadLetters(context.Background(), &orchestratorv1.ListDeadLettersRequest{})
	if err != nil || len(dead.GetDeadLetters()) != 1 {
		t.Fatalf("dead letters = %v, %v", dead.GetDeadLetters(), err)
	}
	// Fixed at the source, the record is retried from the dead-letter list.
	e.fake.mu.Lock()
	e.fake.refuseLead = ""
	e.fake.mu.Unlock()
	out, err := e.srv.RetryPendingRecords(context.Background(), &orchestratorv1.RetryPendingRecordsRequest{PendingIds: []string{dead.GetDeadLetters()[0].GetPendingId()}})
	if err != nil || len(out.GetOutcomes()) != 1 || out.GetOutcomes()[0].GetState() != orchestratorv1.SyncRecordState_SYNC_RECORD_STATE_APPLIED {
		t.Errorf("retrying the dead letter = %v, %v", out.GetOutcomes(), err)
	}
}

func TestAnInternalFailureOfEveryRecordIsAnOutageNotADataError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.fake.fail = status.Error(codes.Internal, "person database: connection refused")
	run := e.create(`{"leads":[{"externalPersonId":"p-1"},{"externalPersonId":"p-2"},{"externalPersonId":"p-3"}]}`)
	e.drain()
	got := e.get(run.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_FAILED)
	if s := states(got.GetOutcomes()); s != "3/0:PENDING 3/1:PENDING 3/2:PENDING" {
		t.Errorf("outcomes while the database is down = %s, want every record still pending", s)
	}
	e.fake.mu.Lock()
	e.fake.fail = nil
	e.fake.mu.Unlock()
	e.clock.Advance(31 * time.Second)
	e.drain()
	got = e.get(run.GetSyncId())
	wantState(t, got.GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
	if s := states(got.GetOutcomes()); s != "3/0:APPLIED 3/1:APPLIED 3/2:APPLIED" {
		t.Errorf("outcomes after the database is back = %s", s)
	}
}
