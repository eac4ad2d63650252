package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// syncRunTests are the sync-run parts of the suite.
var syncRunTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"SyncRunsAreCreatedOnceByRequestID", testCreateRun},
	{"SyncRunsAreClaimedOnceAndReclaimedAfterTheLease", testClaim},
	{"SyncRecordOutcomesSettleRuns", testOutcomes},
	{"ParkedRecordsAreReleasedByParent", testRelease},
	{"ParkedRecordsExpireAndDrop", testExpireDrop},
	{"SyncRecordsArePaged", testPaging},
}

func newRun(id, requestID string, at time.Time) store.SyncRun {
	return store.SyncRun{ID: id, RequestID: requestID, State: store.RunQueued, CreatedAt: at}
}

func rec(t store.ObjectType, idx int, key string) store.SyncRecord {
	return store.SyncRecord{ObjectType: t, Index: idx, Key: key, Record: []byte(fmt.Sprintf(`{"k":%q}`, key))}
}

func mustCreate(t *testing.T, s store.Store, run store.SyncRun, recs ...store.SyncRecord) {
	t.Helper()
	if _, created, err := s.CreateSyncRun(context.Background(), run, recs); err != nil || !created {
		t.Fatalf("CreateSyncRun(%s) = created %v, %v", run.ID, created, err)
	}
}

func mustClaim(t *testing.T, s store.Store, now time.Time) store.SyncRun {
	t.Helper()
	run, err := s.ClaimSyncRun(context.Background(), now, now.Add(time.Minute))
	if err != nil {
		t.Fatalf("ClaimSyncRun: %v", err)
	}
	return run
}

func pending(t *testing.T, s store.Store, runID string, ot store.ObjectType) []store.SyncRecord {
	t.Helper()
	recs, err := s.PendingRecords(context.Background(), runID, ot, 300)
	if err != nil {
		t.Fatalf("PendingRecords: %v", err)
	}
	return recs
}

func runState(t *testing.T, s store.Store, id string) store.RunState {
	t.Helper()
	run, err := s.GetSyncRun(context.Background(), id)
	if err != nil {
		t.Fatalf("GetSyncRun(%s): %v", id, err)
	}
	return run.State
}

func park(r store.SyncRecord, kind, key string, at time.Time) store.RecordUpdate {
	return store.RecordUpdate{ID: r.ID, From: r.State, To: store.RecordParked, Outcome: store.Outcome{
		Reasons: []store.Reason{{Code: "1013", Message: "Object not found: " + key}},
		Missing: store.Parent{Kind: kind, Key: key}, MissingDisplay: key,
		ParkTime: at, ExpireTime: at.Add(time.Hour),
	}}
}

func applied(r store.SyncRecord, id int32) store.RecordUpdate {
	return store.RecordUpdate{ID: r.ID, From: r.State, To: store.RecordApplied, Outcome: store.Outcome{Status: "created", RecID: id}}
}

func update(t *testing.T, s store.Store, now time.Time, us ...store.RecordUpdate) int {
	t.Helper()
	n, err := s.UpdateRecords(context.Background(), us, now)
	if err != nil {
		t.Fatalf("UpdateRecords: %v", err)
	}
	return n
}

func testCreateRun(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetSyncRun(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetSyncRun(unknown) = %v, want ErrNotFound", err)
	}
	mustCreate(t, s, newRun("r1", "req-1", t0), rec(store.OpportunityRole, 0, "o|1|x"), rec(store.SalesPerson, 0, "sp-1"), rec(store.SalesPerson, 1, "sp-2"))
	again, created, err := s.CreateSyncRun(ctx, newRun("r2", "req-1", t0.Add(time.Second)), []store.SyncRecord{rec(store.Company, 0, "c")})
	if err != nil || created || again.ID != "r1" {
		t.Fatalf("CreateSyncRun with a used request id = %+v created %v, %v; want run r1", again, created, err)
	}
	if _, err := s.GetSyncRun(ctx, "r2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the duplicate run was stored: %v", err)
	}
	// Runs without a request id never collide.
	mustCreate(t, s, newRun("r3", "", t0), rec(store.Company, 0, "c"))
	mustCreate(t, s, newRun("r4", "", t0), rec(store.Company, 0, "c"))

	got, err := s.GetSyncRun(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(newRun("r1", "req-1", t0), got); diff != "" {
		t.Errorf("stored run (-want +got):\n%s", diff)
	}
	counts, err := s.CountRecords(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Counts{
		{ObjectType: store.SalesPerson, ByState: map[store.RecordState]int{store.RecordPending: 2}},
		{ObjectType: store.OpportunityRole, ByState: map[store.RecordState]int{store.RecordPending: 1}},
	}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	sp := pending(t, s, "r1", store.SalesPerson)
	if len(sp) != 2 || sp[0].Key != "sp-1" || sp[1].Index != 1 || string(sp[0].Record) != `{"k":"sp-1"}` || !sp[0].UpdateTime.Equal(t0) {
		t.Errorf("pending sales persons = %+v", sp)
	}

	// Concurrent creates with one request id store one run.
	var wg sync.WaitGroup
	ids := make([]string, 6)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, _, err := s.CreateSyncRun(ctx, newRun(fmt.Sprintf("c%d", i), "req-c", t0), []store.SyncRecord{rec(store.Lead, 0, "l")})
			if err != nil {
				t.Errorf("concurrent CreateSyncRun: %v", err)
			}
			ids[i] = run.ID
		}()
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("concurrent creates with one request id made different runs: %v", ids)
		}
	}
}

func testClaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.ClaimSyncRun(ctx, t0, t0.Add(time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ClaimSyncRun on empty store = %v, want ErrNotFound", err)
	}
	mustCreate(t, s, newRun("old", "", t0), rec(store.SalesPerson, 0, "a"))
	mustCreate(t, s, newRun("new", "", t0.Add(time.Second)), rec(store.SalesPerson, 0, "b"))

	// Concurrent claimers share out the two runs: each claimed once.
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := s.ClaimSyncRun(ctx, t0.Add(2*time.Second), t0.Add(time.Minute))
			if errors.Is(err, store.ErrNotFound) {
				return
			}
			if err != nil {
				t.Errorf("ClaimSyncRun: %v", err)
				return
			}
			mu.Lock()
			claimed[run.ID]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if diff := cmp.Diff(map[string]int{"old": 1, "new": 1}, claimed); diff != "" {
		t.Fatalf("claims (-want +got):\n%s", diff)
	}
	run, err := s.GetSyncRun(ctx, "old")
	if err != nil || run.State != store.RunRunning || !run.StartedAt.Equal(t0.Add(2*time.Second)) || !run.LeaseUntil.Equal(t0.Add(time.Minute)) {
		t.Fatalf("claimed run = %+v, %v", run, err)
	}
	if _, err := s.ClaimSyncRun(ctx, t0.Add(30*time.Second), t0.Add(2*time.Minute)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ClaimSyncRun during leases = %v, want ErrNotFound", err)
	}
	if err := s.RenewLease(ctx, "old", t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// After "new"'s lease ends (its worker died), it is claimed again; "old" was renewed.
	got := mustClaim(t, s, t0.Add(2*time.Minute))
	if got.ID != "new" || !got.StartedAt.Equal(t0.Add(2*time.Second)) {
		t.Errorf("reclaimed %+v, want run new with its first start time", got)
	}
	// A failed run is retried after its retry time.
	if err := s.FailSyncRun(ctx, "old", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if st := runState(t, s, "old"); st != store.RunFailed {
		t.Errorf("failed run state = %s", st)
	}
	// "new"'s lease ended at 3m: at 9m it is the only claimable run.
	if got := mustClaim(t, s, t0.Add(9*time.Minute)); got.ID != "new" {
		t.Errorf("claimed %s before old's retry time, want new", got.ID)
	}
	if got := mustClaim(t, s, t0.Add(11*time.Minute)); got.ID != "old" {
		t.Errorf("claimed %s after the retry time, want old", got.ID)
	}
	if err := s.RenewLease(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RenewLease(unknown) = %v, want ErrNotFound", err)
	}
}

func testOutcomes(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, newRun("r1", "", t0), rec(store.Company, 0, "c-1"), rec(store.Company, 1, "c-2"), rec(store.Lead, 0, "l-1"))
	mustClaim(t, s, t0)
	cs := pending(t, s, "r1", store.Company)
	at := t0.Add(time.Second)
	rejected := store.RecordUpdate{ID: cs[1].ID, From: store.RecordPending, To: store.RecordRejected, Outcome: store.Outcome{Reasons: []store.Reason{{Code: "1006", Message: "Field 'x' not found"}}}}
	if n := update(t, s, at, applied(cs[0], 7), rejected); n != 2 {
		t.Fatalf("UpdateRecords changed %d, want 2", n)
	}
	// A stale update (the record left its From state) changes nothing.
	if n := update(t, s, at, applied(cs[0], 8)); n != 0 {
		t.Errorf("stale UpdateRecords changed %d, want 0", n)
	}
	if st := runState(t, s, "r1"); st != store.RunRunning {
		t.Errorf("state while its worker holds it = %s, want running", st)
	}
	if st, err := s.FinishSyncRun(ctx, "r1", at); err != nil || st != store.RunQueued {
		t.Fatalf("FinishSyncRun with a pending lead = %s, %v; want queued", st, err)
	}
	mustClaim(t, s, at)
	ls := pending(t, s, "r1", store.Lead)
	update(t, s, at, park(ls[0], "company", "c-9", at))
	if st, err := s.FinishSyncRun(ctx, "r1", at); err != nil || st != store.RunWaiting {
		t.Fatalf("FinishSyncRun with a parked lead = %s, %v; want waiting", st, err)
	}
	recs, err := s.GetSyncRecords(ctx, []int64{ls[0].ID, cs[1].ID, cs[0].ID, 999999})
	if err != nil || len(recs) != 3 {
		t.Fatalf("GetSyncRecords = %d records, %v", len(recs), err)
	}
	c0, c1, l0 := recs[0], recs[1], recs[2]
	if c0.State != store.RecordApplied || c0.Status != "created" || c0.RecID != 7 || c0.Attempts != 1 || !c0.AttemptTime.Equal(at) {
		t.Errorf("applied record = %+v", c0)
	}
	if c1.State != store.RecordRejected || len(c1.Reasons) != 1 || c1.Reasons[0].Code != "1006" {
		t.Errorf("rejected record = %+v", c1)
	}
	want := store.Outcome{Reasons: []store.Reason{{Code: "1013", Message: "Object not found: c-9"}}, Missing: store.Parent{Kind: "company", Key: "c-9"}, MissingDisplay: "c-9", ParkTime: at, ExpireTime: at.Add(time.Hour)}
	if diff := cmp.Diff(want, l0.Outcome); diff != "" || l0.State != store.RecordParked {
		t.Errorf("parked record %s (-want +got):\n%s", l0.State, diff)
	}
	// Applying the parked record (a retry) settles the waiting run to completed.
	update(t, s, at.Add(time.Second), applied(l0, 3))
	run, err := s.GetSyncRun(ctx, "r1")
	if err != nil || run.State != store.RunCompleted || !run.CompletedAt.Equal(at.Add(time.Second)) {
		t.Errorf("run after its last parked record applied = %+v, %v", run, err)
	}
}

func testRelease(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, newRun("r1", "", t0), rec(store.Lead, 0, "l-1"), rec(store.Lead, 1, "l-2"), rec(store.Opportunity, 0, "o-1"))
	mustClaim(t, s, t0)
	ls := pending(t, s, "r1", store.Lead)
	os := pending(t, s, "r1", store.Opportunity)
	update(t, s, t0, park(ls[0], "company", "acme", t0), park(ls[1], "salesPerson", "acme", t0), park(os[0], "company", "acme", t0))
	if st, _ := s.FinishSyncRun(ctx, "r1", t0); st != store.RunWaiting {
		t.Fatalf("state = %s, want waiting", st)
	}
	parents, err := s.ParkedParents(ctx, store.Parent{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.ParkedParent{{Parent: store.Parent{Kind: "company", Key: "acme"}, Display: "acme"}, {Parent: store.Parent{Kind: "salesPerson", Key: "acme"}, Display: "acme"}}
	if diff := cmp.Diff(want, parents); diff != "" {
		t.Errorf("ParkedParents (-want +got):\n%s", diff)
	}
	if rest, err := s.ParkedParents(ctx, want[0].Parent, 10); err != nil || len(rest) != 1 || rest[0].Kind != "salesPerson" {
		t.Errorf("ParkedParents after the first = %+v, %v", rest, err)
	}
	n, err := s.ReleaseParked(ctx, []store.Parent{{Kind: "company", Key: "acme"}, {Kind: "company", Key: "other"}}, t0.Add(time.Minute))
	if err != nil || n != 2 {
		t.Fatalf("ReleaseParked = %d, %v; want 2", n, err)
	}
	if st := runState(t, s, "r1"); st != store.RunQueued {
		t.Errorf("run with released records = %s, want queued", st)
	}
	if got := pending(t, s, "r1", store.Lead); len(got) != 1 || got[0].ID != ls[0].ID {
		t.Errorf("pending leads after release = %+v", got)
	}
	if got := pending(t, s, "r1", store.Opportunity); len(got) != 1 {
		t.Errorf("pending opportunities after release = %+v", got)
	}
	if n, _ := s.ReleaseParked(ctx, []store.Parent{{Kind: "company", Key: "acme"}}, t0); n != 0 {
		t.Errorf("second release = %d, want 0", n)
	}
}

func testExpireDrop(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, newRun("r1", "", t0), rec(store.Lead, 0, "l-1"), rec(store.Lead, 1, "l-2"), rec(store.Lead, 2, "l-3"))
	mustClaim(t, s, t0)
	ls := pending(t, s, "r1", store.Lead)
	late := park(ls[2], "company", "c", t0.Add(time.Hour))
	update(t, s, t0, park(ls[0], "company", "c", t0), park(ls[1], "company", "c", t0), late)
	s.FinishSyncRun(ctx, "r1", t0)
	n, err := s.ExpireParked(ctx, t0.Add(time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("ExpireParked = %d, %v; want 2", n, err)
	}
	if st := runState(t, s, "r1"); st != store.RunWaiting {
		t.Errorf("run with one parked record left = %s, want waiting", st)
	}
	dropped, err := s.DropRecords(ctx, []int64{ls[2].ID, ls[0].ID, 424242}, t0.Add(2*time.Hour))
	if err != nil || !cmp.Equal(dropped, []int64{ls[0].ID, ls[2].ID}) {
		t.Fatalf("DropRecords = %v, %v; want %v", dropped, err, []int64{ls[0].ID, ls[2].ID})
	}
	run, err := s.GetSyncRun(ctx, "r1")
	if err != nil || run.State != store.RunCompleted || !run.CompletedAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("run after drop = %+v, %v; want completed", run, err)
	}
	counts, _ := s.CountRecords(ctx, "r1")
	if want := map[store.RecordState]int{store.RecordDropped: 2, store.RecordDeadLettered: 1}; len(counts) != 1 || !cmp.Equal(counts[0].ByState, want) {
		t.Errorf("counts = %+v, want %v", counts, want)
	}
	if again, _ := s.DropRecords(ctx, []int64{ls[0].ID}, t0); len(again) != 0 {
		t.Errorf("dropping a dropped record = %v, want none", again)
	}
}

func testPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	var recs []store.SyncRecord
	for i := range 5 {
		recs = append(recs, rec(store.Lead, i, fmt.Sprintf("l-%d", i)), rec(store.Company, i, fmt.Sprintf("c-%d", i)))
	}
	mustCreate(t, s, newRun("r1", "", t0), recs...)
	mustCreate(t, s, newRun("r2", "", t0), rec(store.Lead, 0, "x"))
	// Run order: companies then leads, by index, a page at a time.
	var keys []string
	q := store.RecordQuery{RunID: "r1", Limit: 3}
	for {
		page, err := s.ListRecords(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			keys = append(keys, r.Key)
		}
		if len(page) < q.Limit {
			break
		}
		q.AfterType, q.AfterIndex = page[len(page)-1].ObjectType, page[len(page)-1].Index
	}
	want := []string{"c-0", "c-1", "c-2", "c-3", "c-4", "l-0", "l-1", "l-2", "l-3", "l-4"}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("paged records (-want +got):\n%s", diff)
	}
	if got, _ := s.ListRecords(ctx, store.RecordQuery{RunID: "r1", ObjectType: store.Lead, State: store.RecordPending, Limit: 100}); len(got) != 5 {
		t.Errorf("filtered records = %d, want 5", len(got))
	}

	// The pending list: oldest park time first, across runs, with filters.
	mustClaim(t, s, t0)
	mustClaim(t, s, t0)
	ls := pending(t, s, "r1", store.Lead)
	x := pending(t, s, "r2", store.Lead)
	var us []store.RecordUpdate
	for i, r := range ls {
		us = append(us, park(r, "company", "c", t0.Add(time.Duration(5-i)*time.Minute)))
	}
	us = append(us, park(x[0], "company", "c", t0.Add(3*time.Minute)))
	update(t, s, t0, us...)
	var order []string
	pq := store.ParkedQuery{State: store.RecordParked, Limit: 2}
	for {
		page, err := s.ListParked(ctx, pq)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			order = append(order, r.Key)
		}
		if len(page) < pq.Limit {
			break
		}
		pq.AfterTime, pq.AfterID = page[len(page)-1].ParkTime, page[len(page)-1].ID
	}
	if diff := cmp.Diff([]string{"l-4", "l-3", "l-2", "x", "l-1", "l-0"}, order); diff != "" {
		t.Errorf("pending list order (-want +got):\n%s", diff)
	}
	if got, _ := s.ListParked(ctx, store.ParkedQuery{State: store.RecordParked, RunID: "r2", Limit: 10}); len(got) != 1 || got[0].Key != "x" {
		t.Errorf("pending list of r2 = %+v", got)
	}
	if got, _ := s.ListParked(ctx, store.ParkedQuery{State: store.RecordParked, ObjectType: store.Company, Limit: 10}); len(got) != 0 {
		t.Errorf("parked companies = %+v, want none", got)
	}
	if got, _ := s.ListParked(ctx, store.ParkedQuery{State: store.RecordParked, ObjectType: store.Lead, Key: "L-3", Limit: 10}); len(got) != 1 || got[0].Key != "l-3" {
		t.Errorf("parked leads with the key L-3 (any case) = %+v, want l-3", got)
	}
	if n, err := s.ExpireParked(ctx, t0.Add(time.Hour+3*time.Minute)); err != nil || n != 4 {
		t.Fatalf("ExpireParked = %d, %v; want 4", n, err)
	}
	dead, err := s.ListParked(ctx, store.ParkedQuery{State: store.RecordDeadLettered, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var deadKeys []string
	for _, r := range dead {
		deadKeys = append(deadKeys, r.Key)
	}
	if diff := cmp.Diff([]string{"l-4", "l-3", "l-2", "x"}, deadKeys); diff != "" {
		t.Errorf("dead-letter list order (-want +got):\n%s", diff)
	}
}
