package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// retentionTests check the pruning of completed sync runs.
var retentionTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"CompletedRunsArePrunedKeepingDeadLetters", testPruneRuns},
}

// prunePass prunes every run that completed before cutoff, two runs per step, and returns
// the runs and records deleted.
func prunePass(t *testing.T, s store.Store, cutoff time.Time) (runs, records int) {
	t.Helper()
	step := store.PruneStep{Cutoff: cutoff, Limit: 2}
	for {
		got, err := s.PruneSyncRuns(context.Background(), step)
		if err != nil {
			t.Errorf("PruneSyncRuns: %v", err)
			return runs, records
		}
		runs, records = runs+got.Runs, records+got.Records
		if got.Visited < step.Limit {
			return runs, records
		}
		step.AfterTime, step.AfterID = got.LastTime, got.LastID
	}
}

// settleRun claims the oldest claimable run, stores the outcomes made from its pending
// records of type ot, and finishes it at now.
func settleRun(t *testing.T, s store.Store, ot store.ObjectType, now time.Time, outcomes func(recs []store.SyncRecord) []store.RecordUpdate) string {
	t.Helper()
	run := mustClaim(t, s, now)
	update(t, s, now, outcomes(pending(t, s, run.ID, ot))...)
	if _, err := s.FinishSyncRun(context.Background(), run.ID, now); err != nil {
		t.Fatal(err)
	}
	return run.ID
}

func rejected(r store.SyncRecord) store.RecordUpdate {
	return store.RecordUpdate{ID: r.ID, From: r.State, To: store.RecordRejected, Outcome: store.Outcome{Reasons: []store.Reason{{Code: "1003", Message: "bad"}}}}
}

func testPruneRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	cutoff := t0.Add(time.Hour)
	// done: completed before the cutoff with only final records.
	mustCreate(t, s, newRun("done", "req-done", t0), rec(store.Company, 0, "c-0"), rec(store.Company, 1, "c-1"))
	settleRun(t, s, store.Company, t0, func(rs []store.SyncRecord) []store.RecordUpdate {
		return []store.RecordUpdate{applied(rs[0], 1), rejected(rs[1])}
	})
	// dead: completed before the cutoff, one record dead-lettered.
	mustCreate(t, s, newRun("dead", "", t0.Add(time.Second)), rec(store.Lead, 0, "l-0"), rec(store.Lead, 1, "l-1"), rec(store.Lead, 2, "l-2"))
	settleRun(t, s, store.Lead, t0, func(rs []store.SyncRecord) []store.RecordUpdate {
		return []store.RecordUpdate{applied(rs[0], 2), rejected(rs[1]), park(rs[2], "company", "gone", t0.Add(-time.Hour))}
	})
	if n, err := s.ExpireParked(ctx, t0); err != nil || n != 1 {
		t.Fatalf("ExpireParked = %d, %v; want 1", n, err)
	}
	if st := runState(t, s, "dead"); st != store.RunCompleted {
		t.Fatalf("run with a dead letter = %s, want completed", st)
	}
	// waiting: still holds a parked record; late: completed after the cutoff; queued: not
	// run yet.
	mustCreate(t, s, newRun("waiting", "", t0.Add(2*time.Second)), rec(store.Lead, 0, "w-0"), rec(store.Lead, 1, "w-1"))
	settleRun(t, s, store.Lead, t0, func(rs []store.SyncRecord) []store.RecordUpdate {
		return []store.RecordUpdate{applied(rs[0], 3), park(rs[1], "company", "later", t0)}
	})
	mustCreate(t, s, newRun("late", "", t0.Add(3*time.Second)), rec(store.Company, 0, "late-0"))
	settleRun(t, s, store.Company, cutoff.Add(time.Minute), func(rs []store.SyncRecord) []store.RecordUpdate {
		return []store.RecordUpdate{applied(rs[0], 4)}
	})
	mustCreate(t, s, newRun("queued", "", t0.Add(4*time.Second)), rec(store.Company, 0, "q-0"))

	countsOf := func(id string) []store.Counts {
		t.Helper()
		c, err := s.CountRecords(ctx, id)
		if err != nil {
			t.Fatalf("CountRecords(%s): %v", id, err)
		}
		return c
	}
	total := func(id string) int {
		n := 0
		for _, c := range countsOf(id) {
			for _, v := range c.ByState {
				n += v
			}
		}
		return n
	}
	listed := func(id string) []string {
		t.Helper()
		recs, err := s.ListRecords(ctx, store.RecordQuery{RunID: id, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range recs {
			keys = append(keys, r.Key)
		}
		return keys
	}
	deadCounts := countsOf("dead")

	// Two replicas prune at once: each record is deleted once, and counted once.
	var wg sync.WaitGroup
	var mu sync.Mutex
	runs, records := 0, 0
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, n := prunePass(t, s, cutoff)
			mu.Lock()
			runs, records = runs+r, records+n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if runs != 1 || records != 4 {
		t.Errorf("pruning deleted %d runs and %d records, want 1 run (done) and 4 records (2 of done, 2 of dead)", runs, records)
	}
	if _, err := s.GetSyncRun(ctx, "done"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSyncRun(done) after pruning = %v, want ErrNotFound", err)
	}
	if c := countsOf("done"); len(c) != 0 {
		t.Errorf("counts of the pruned run = %+v, want none", c)
	}
	// The run keeps its dead letter, with the record as sent, and its counts.
	if diff := cmp.Diff(deadCounts, countsOf("dead")); diff != "" {
		t.Errorf("counts of the run that keeps a dead letter (-before +after):\n%s", diff)
	}
	if keys := listed("dead"); !cmp.Equal(keys, []string{"l-2"}) {
		t.Errorf("records left of the run with a dead letter = %v, want [l-2]", keys)
	}
	dl, err := s.ListParked(ctx, store.ParkedQuery{State: store.RecordDeadLettered, Limit: 10})
	if err != nil || len(dl) != 1 || dl[0].Key != "l-2" || string(dl[0].Record) != `{"k":"l-2"}` {
		t.Errorf("dead letters after pruning = %+v, %v; want l-2 with its record", dl, err)
	}
	// Runs not completed, or completed after the cutoff, are untouched.
	for id, want := range map[string]int{"waiting": 2, "late": 1, "queued": 1} {
		if n := total(id); n != want || len(listed(id)) != want {
			t.Errorf("run %s has %d records counted and %v listed after pruning, want %d", id, n, listed(id), want)
		}
	}
	if p, err := s.ListParked(ctx, store.ParkedQuery{State: store.RecordParked, Limit: 10}); err != nil || len(p) != 1 || p[0].Key != "w-1" {
		t.Errorf("parked records after pruning = %+v, %v; want w-1", p, err)
	}
	// Its request id is free again.
	if _, created, err := s.CreateSyncRun(ctx, newRun("done-2", "req-done", cutoff), []store.SyncRecord{rec(store.Company, 0, "c-0")}); err != nil || !created {
		t.Errorf("request id of a pruned run: created %v, %v; want a new run", created, err)
	}

	// A second pass deletes nothing and counts nothing twice.
	if r, n := prunePass(t, s, cutoff); r != 0 || n != 0 {
		t.Errorf("second pass deleted %d runs and %d records, want none", r, n)
	}
	if diff := cmp.Diff(deadCounts, countsOf("dead")); diff != "" {
		t.Errorf("counts after a second pass (-before +after):\n%s", diff)
	}
	// Once its dead letter is dropped, the run goes with the next pass.
	if _, err := s.DropRecords(ctx, []int64{dl[0].ID}, cutoff.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r, n := prunePass(t, s, cutoff); r != 1 || n != 1 {
		t.Errorf("pass after the dead letter was dropped deleted %d runs and %d records, want 1 and 1", r, n)
	}
	if _, err := s.GetSyncRun(ctx, "dead"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSyncRun(dead) = %v, want ErrNotFound", err)
	}
}
