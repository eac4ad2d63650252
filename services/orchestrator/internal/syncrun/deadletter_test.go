package syncrun

import (
	"context"
	"testing"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

func TestDeadLettersFollowAParentThatArrivesLater(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	run := e.create(`{"leads":[{"externalPersonId":"p-1","externalCompanyId":"c-9"},{"externalPersonId":"p-2","externalCompanyId":"c-8"}]}`)
	e.drain()
	e.clock.Advance(parkTTL)
	if err := e.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if dead, _ := e.srv.ListDeadLetters(ctx, &orchestratorv1.ListDeadLettersRequest{}); len(dead.GetDeadLetters()) != 2 {
		t.Fatalf("dead letters = %v, want both leads", dead.GetDeadLetters())
	}
	// c-9 arrives through the Marketo API: the next sweep finds it, and its dead letter is
	// applied without anyone retrying it; the other still waits for c-8.
	e.fake.addCompany("c-9")
	if err := e.eng.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if want := "3/0:APPLIED 3/1:DEAD_LETTERED"; states(e.get(run.GetSyncId()).GetOutcomes()) != want {
		t.Errorf("outcomes = %s, want %s", states(e.get(run.GetSyncId()).GetOutcomes()), want)
	}
	// c-8 arrives through a sync run: applying it revives the other.
	e.create(`{"salesPersons":[{"externalSalesPersonId":"sp-1"}],"companies":[{"externalCompanyId":"c-8","externalSalesPersonId":"sp-1"}]}`)
	e.drain()
	if want := "3/0:APPLIED 3/1:APPLIED"; states(e.get(run.GetSyncId()).GetOutcomes()) != want {
		t.Errorf("outcomes after the company's run = %s, want %s", states(e.get(run.GetSyncId()).GetOutcomes()), want)
	}
	wantState(t, e.get(run.GetSyncId()).GetSyncRun(), orchestratorv1.SyncRunState_SYNC_RUN_STATE_COMPLETED)
}
