package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// deadLetterRetryTests are the conformance tests of the automatic retries of dead letters.
var deadLetterRetryTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"DeadLettersAreRetriedOnTheirSchedule", testDeadLetterSchedule},
	{"ConcurrentClaimsNeverShareADeadLetter", testConcurrentDeadLetterClaims},
}

// deadLetters makes n dead-lettered leads in run id, dead at t0+1h, and returns them.
func deadLetters(t *testing.T, s store.Store, id string, n int) []store.SyncRecord {
	t.Helper()
	ctx := context.Background()
	var recs []store.SyncRecord
	for i := range n {
		recs = append(recs, rec(store.Lead, i, id+"-l"))
	}
	mustCreate(t, s, newRun(id, "", t0), recs...)
	mustClaim(t, s, t0)
	var parks []store.RecordUpdate
	for _, r := range pending(t, s, id, store.Lead) {
		parks = append(parks, park(r, "company", "missing", t0))
	}
	update(t, s, t0, parks...)
	if _, err := s.FinishSyncRun(ctx, id, t0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ExpireParked(ctx, t0.Add(time.Hour)); err != nil || got != n {
		t.Fatalf("ExpireParked = %d, %v; want %d", got, err, n)
	}
	out, err := s.GetSyncRecords(ctx, ids(parks))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func ids(us []store.RecordUpdate) []int64 {
	var out []int64
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func autoRetry(t *testing.T, s store.Store, id int64) store.AutoRetry {
	t.Helper()
	recs, err := s.GetSyncRecords(context.Background(), []int64{id})
	if err != nil || len(recs) != 1 {
		t.Fatalf("GetSyncRecords(%d) = %v, %v", id, recs, err)
	}
	return recs[0].AutoRetry
}

func testDeadLetterSchedule(t *testing.T, s store.Store) {
	ctx := context.Background()
	sched := store.RetrySchedule{Delays: []time.Duration{time.Hour, 6 * time.Hour}, MaxAge: 12 * time.Hour}
	died := t0.Add(time.Hour)
	dead := deadLetters(t, s, "r1", 1)[0]
	if got := autoRetry(t, s, dead.ID); got != (store.AutoRetry{}) {
		t.Errorf("a dead letter before its schedule: %+v, want nothing scheduled", got)
	}
	if n, err := s.ScheduleDeadLetters(ctx, sched, 10); err != nil || n != 1 {
		t.Fatalf("ScheduleDeadLetters = %d, %v; want 1", n, err)
	}
	if n, _ := s.ScheduleDeadLetters(ctx, sched, 10); n != 0 {
		t.Errorf("second ScheduleDeadLetters = %d, want 0: the death has its schedule", n)
	}
	if got, want := autoRetry(t, s, dead.ID), (store.AutoRetry{Next: died.Add(time.Hour)}); !got.Next.Equal(want.Next) || got.Count != 0 {
		t.Errorf("scheduled: %+v, want %+v", got, want)
	}
	// Not due before its time; due at it, once.
	if got, err := s.ClaimDueDeadLetters(ctx, died.Add(59*time.Minute), died.Add(2*time.Hour), 10); err != nil || len(got) != 0 {
		t.Errorf("claim before the retry is due = %v, %v; want none", got, err)
	}
	claimAt := died.Add(time.Hour)
	if got, err := s.ClaimDueDeadLetters(ctx, claimAt, claimAt.Add(10*time.Minute), 10); err != nil || !slices.Equal(got, []int64{dead.ID}) {
		t.Fatalf("claim when due = %v, %v; want [%d]", got, err, dead.ID)
	}
	if got, _ := s.ClaimDueDeadLetters(ctx, claimAt, claimAt.Add(10*time.Minute), 10); len(got) != 0 {
		t.Errorf("second claim = %v, want none", got)
	}
	if got := autoRetry(t, s, dead.ID); got.Count != 1 || !got.Next.Equal(claimAt.Add(10*time.Minute)) {
		t.Errorf("claimed: %+v, want count 1 and the next try after the hold", got)
	}
	// The retry parks it again, and it dies again: the next delay of the schedule counts from
	// the new death.
	retried := claimAt.Add(time.Minute)
	recs, _ := s.GetSyncRecords(ctx, []int64{dead.ID})
	update(t, s, retried, park(recs[0], "company", "missing", retried))
	if got := autoRetry(t, s, dead.ID); got.Count != 1 || !got.Next.IsZero() {
		t.Errorf("parked again: %+v, want count 1 and nothing scheduled", got)
	}
	died2 := retried.Add(time.Hour)
	if n, _ := s.ExpireParked(ctx, died2); n != 1 {
		t.Fatalf("ExpireParked again = %d, want 1", n)
	}
	if n, _ := s.ScheduleDeadLetters(ctx, sched, 10); n != 1 {
		t.Fatalf("ScheduleDeadLetters after the second death = %d, want 1", n)
	}
	if got := autoRetry(t, s, dead.ID); !got.Next.Equal(died2.Add(6 * time.Hour)) {
		t.Errorf("second schedule: %+v, want due %v", got, died2.Add(6*time.Hour))
	}
	// A third death would be due past MaxAge (12h after the first): none is scheduled.
	claimAt = died2.Add(6 * time.Hour)
	if got, _ := s.ClaimDueDeadLetters(ctx, claimAt, claimAt.Add(time.Minute), 10); len(got) != 1 {
		t.Fatalf("second claim = %v, want the record", got)
	}
	recs, _ = s.GetSyncRecords(ctx, []int64{dead.ID})
	update(t, s, claimAt, park(recs[0], "company", "missing", claimAt))
	if n, _ := s.ExpireParked(ctx, claimAt.Add(time.Hour)); n != 1 {
		t.Fatal("the record did not die a third time")
	}
	if n, _ := s.ScheduleDeadLetters(ctx, sched, 10); n != 1 {
		t.Fatal("the third death was not looked at")
	}
	if got := autoRetry(t, s, dead.ID); got.Count != 2 || !got.Next.IsZero() {
		t.Errorf("past the maximum age: %+v, want count 2 and no retry", got)
	}
	if got, _ := s.ClaimDueDeadLetters(ctx, claimAt.Add(1000*time.Hour), claimAt.Add(1001*time.Hour), 10); len(got) != 0 {
		t.Errorf("claim past the maximum age = %v, want none", got)
	}
	// A schedule that is off schedules nothing due.
	other := deadLetters(t, s, "r2", 1)[0]
	if n, _ := s.ScheduleDeadLetters(ctx, store.RetrySchedule{}, 10); n != 1 {
		t.Fatal("the new dead letter was not looked at")
	}
	if got := autoRetry(t, s, other.ID); !got.Next.IsZero() {
		t.Errorf("with the schedule off: %+v, want no retry", got)
	}
}

func testConcurrentDeadLetterClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	sched := store.RetrySchedule{Delays: []time.Duration{time.Minute}}
	dead := deadLetters(t, s, "r1", 40)
	if n, err := s.ScheduleDeadLetters(ctx, sched, 100); err != nil || n != len(dead) {
		t.Fatalf("ScheduleDeadLetters = %d, %v; want %d", n, err, len(dead))
	}
	now := t0.Add(3 * time.Hour)
	var mu sync.Mutex
	claimed := map[int64]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimDueDeadLetters(ctx, now, now.Add(time.Hour), 7)
				if err != nil {
					t.Errorf("ClaimDueDeadLetters: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, id := range got {
					claimed[id]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, r := range dead {
		if claimed[r.ID] != 1 {
			t.Errorf("dead letter %d claimed %d times, want once", r.ID, claimed[r.ID])
		}
	}
}
