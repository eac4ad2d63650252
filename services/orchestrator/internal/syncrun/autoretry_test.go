package syncrun

import (
	"context"
	"testing"
	"time"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// deadLetter returns the only dead letter, failing the test when there is not exactly one.
func (e *env) deadLetter() *orchestratorv1.ParkedRecord {
	e.t.Helper()
	dead, err := e.srv.ListDeadLetters(context.Background(), &orchestratorv1.ListDeadLettersRequest{})
	if err != nil || len(dead.GetDeadLetters()) != 1 {
		e.t.Fatalf("dead letters = %v, %v; want one", dead.GetDeadLetters(), err)
	}
	return dead.GetDeadLetters()[0]
}

func TestRefusedRecordsAreRetriedOnTheSchedule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.eng = New(e.st, e.fake, Options{ParkTTL: parkTTL, Now: e.clock.Now,
		DeadLetterRetry: store.RetrySchedule{Delays: []time.Duration{time.Hour, 6 * time.Hour}, MaxAge: 24 * time.Hour}})
	e.srv = NewServer(e.st, e.eng, []byte("0123456789abcdef0123456789abcdef"))
	// The person service refuses p-1 (a data error): it goes straight to the dead letters,
	// where no parent sweep can revive it.
	e.fake.refuseLead = "p-1"
	run := e.create(`{"companies":[{"externalCompanyId":"c-1"}],"leads":[{"externalPersonId":"p-1","externalCompanyId":"c-1"}]}`)
	e.drain()
	died := e.clock.Now()
	if n, err := e.eng.RetryDueDeadLetters(ctx); err != nil || n != 0 {
		t.Fatalf("retry before anything is due = %d, %v", n, err)
	}
	if d := e.deadLetter(); !d.GetNextRetryTime().AsTime().Equal(died.Add(time.Hour)) || d.GetAutomaticRetryCount() != 0 {
		t.Errorf("dead letter = next retry %v, %d retries; want %v, 0", d.GetNextRetryTime().AsTime(), d.GetAutomaticRetryCount(), died.Add(time.Hour))
	}
	// An hour later it is retried and refused again: its next retry is six hours on.
	e.clock.Advance(time.Hour)
	if n, err := e.eng.RetryDueDeadLetters(ctx); err != nil || n != 1 {
		t.Fatalf("first automatic retry = %d, %v; want 1", n, err)
	}
	e.eng.RetryDueDeadLetters(ctx) // schedules the new death
	d := e.deadLetter()
	if want := e.clock.Now().Add(6 * time.Hour); !d.GetNextRetryTime().AsTime().Equal(want) || d.GetAutomaticRetryCount() != 1 || d.GetAttemptCount() != 2 {
		t.Errorf("after a refused retry: next %v, %d retries, %d attempts; want %v, 1, 2", d.GetNextRetryTime().AsTime(), d.GetAutomaticRetryCount(), d.GetAttemptCount(), want)
	}
	// The data is fixed in the meantime: the next retry applies it, nobody asking.
	e.fake.refuseLead = ""
	e.clock.Advance(6 * time.Hour)
	if n, err := e.eng.RetryDueDeadLetters(ctx); err != nil || n != 1 {
		t.Fatalf("second automatic retry = %d, %v; want 1", n, err)
	}
	e.drain()
	if want := "2/0:APPLIED 3/0:APPLIED"; states(e.get(run.GetSyncId()).GetOutcomes()) != want {
		t.Errorf("outcomes = %s, want %s", states(e.get(run.GetSyncId()).GetOutcomes()), want)
	}
	wantState(t, e.get(run.GetSyncId()).GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
}

func TestAutomaticRetriesOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // no schedule: off
	ctx := context.Background()
	e.fake.refuseLead = "p-1"
	e.create(`{"companies":[{"externalCompanyId":"c-1"}],"leads":[{"externalPersonId":"p-1","externalCompanyId":"c-1"}]}`)
	e.drain()
	e.fake.refuseLead = ""
	e.clock.Advance(1000 * time.Hour)
	if n, err := e.eng.RetryDueDeadLetters(ctx); err != nil || n != 0 {
		t.Fatalf("retry with the schedule off = %d, %v; want 0", n, err)
	}
	if d := e.deadLetter(); d.GetNextRetryTime() != nil || d.GetAutomaticRetryCount() != 0 {
		t.Errorf("dead letter with the schedule off: next %v, %d retries; want none", d.GetNextRetryTime(), d.GetAutomaticRetryCount())
	}
}
