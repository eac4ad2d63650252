package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// deadLetterTests are the conformance tests of reviving dead-lettered records.
var deadLetterTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"DeadLettersFollowTheirParentWhenItArrives", testReviveDeadLettered},
}

func testReviveDeadLettered(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, newRun("r1", "", t0), rec(store.Lead, 0, "l-1"), rec(store.Lead, 1, "l-2"), rec(store.Lead, 2, "l-3"))
	mustClaim(t, s, t0)
	ls := pending(t, s, "r1", store.Lead)
	update(t, s, t0, park(ls[0], "company", "acme", t0), park(ls[1], "company", "other", t0), park(ls[2], "company", "acme", t0.Add(time.Hour)))
	s.FinishSyncRun(ctx, "r1", t0)
	if n, err := s.ExpireParked(ctx, t0.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("ExpireParked = %d, %v; want 2", n, err)
	}
	parents, err := s.DeadLetteredParents(ctx, store.Parent{}, 10)
	want := []store.ParkedParent{{Parent: store.Parent{Kind: "company", Key: "acme"}, Display: "acme"}, {Parent: store.Parent{Kind: "company", Key: "other"}, Display: "other"}}
	if diff := cmp.Diff(want, parents); err != nil || diff != "" {
		t.Errorf("DeadLetteredParents (-want +got): %v\n%s", err, diff)
	}
	if rest, err := s.DeadLetteredParents(ctx, want[0].Parent, 10); err != nil || len(rest) != 1 || rest[0].Key != "other" {
		t.Errorf("DeadLetteredParents after the first = %+v, %v", rest, err)
	}
	// The parent acme arrives: its dead letter is pending again, and only it (the record
	// still parked for acme is ReleaseParked's business).
	n, err := s.ReviveDeadLettered(ctx, []store.Parent{{Kind: "company", Key: "acme"}, {Kind: "salesPerson", Key: "other"}}, t0.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("ReviveDeadLettered = %d, %v; want 1", n, err)
	}
	if st := runState(t, s, "r1"); st != store.RunQueued {
		t.Errorf("run with a revived record = %s, want queued", st)
	}
	if got := pending(t, s, "r1", store.Lead); len(got) != 1 || got[0].ID != ls[0].ID {
		t.Errorf("pending leads after reviving = %+v, want %d", got, ls[0].ID)
	}
	if n, _ := s.ReviveDeadLettered(ctx, []store.Parent{{Kind: "company", Key: "acme"}}, t0.Add(2*time.Hour)); n != 0 {
		t.Errorf("second revive = %d, want 0", n)
	}
	if rest, _ := s.DeadLetteredParents(ctx, store.Parent{}, 10); len(rest) != 1 || rest[0].Key != "other" {
		t.Errorf("DeadLetteredParents after reviving = %+v, want only other", rest)
	}
}
