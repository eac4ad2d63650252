package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

var upstreamTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"UpstreamOutboxDeliversTheVersionClaimedOnly", testOutboxSeq},
	{"UpstreamFencesOutliveTheirWriter", testOutboxFences},
	{"UpstreamDeliveredRecordsAndTheirParents", testDelivered},
	{"UpstreamWaitingRowsAndCounts", testOutboxWaiting},
	{"UpstreamLeaseHasOneHolder", testUpstreamLease},
	{"UpstreamSkippedRecordsAreMarkedOnRequest", testMarkSkipped},
}

func upstreamStore(t *testing.T, s store.Store) store.UpstreamStore {
	u, ok := s.(store.UpstreamStore)
	if !ok {
		t.Fatalf("%T does not keep an upstream outbox", s)
	}
	return u
}

func leadKey(id string) store.UpstreamKey {
	return store.UpstreamKey{Object: store.UpstreamLead, LocalID: id}
}

func claimIDs(t *testing.T, u store.UpstreamStore, obj store.UpstreamObject, now time.Time) []store.OutboxRow {
	t.Helper()
	rows, err := u.ClaimOutbox(context.Background(), obj, now, time.Minute, 300)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func testOutboxSeq(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := upstreamStore(t, s)
	if err := u.EndUpstreamWrite(ctx, 0, []store.UpstreamKey{leadKey("1"), leadKey("2"), leadKey("1")}, t0); err != nil {
		t.Fatal(err)
	}
	rows := claimIDs(t, u, store.UpstreamLead, t0)
	if len(rows) != 2 {
		t.Fatalf("claimed %d rows, want 2 (repeats coalesce)", len(rows))
	}
	if again := claimIDs(t, u, store.UpstreamLead, t0); len(again) != 0 {
		t.Fatalf("claimed rows twice: %v", again)
	}
	// Lead 1 changes again while in flight: its delivery must not remove the new version.
	if err := u.EndUpstreamWrite(ctx, 0, []store.UpstreamKey{leadKey("1")}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	var acks []store.OutboxAck
	for _, r := range rows {
		acks = append(acks, store.OutboxAck{Row: r, Done: true, Deliver: &store.Delivered{ExternalKey: "x" + r.Key.LocalID, MarketoID: 100, Status: "created"}})
	}
	if err := u.AckOutbox(ctx, acks, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	left := claimIDs(t, u, store.UpstreamLead, t0.Add(2*time.Second))
	if len(left) != 1 || left[0].Key != leadKey("1") {
		t.Fatalf("after the delivery %v are due, want lead 1 (changed in flight)", left)
	}
	if !left[0].EnqueuedAt.Equal(t0) {
		t.Errorf("enqueued at %v, want the first change's %v", left[0].EnqueuedAt, t0)
	}
	if err := u.AckOutbox(ctx, []store.OutboxAck{{Row: left[0], Done: true}}, t0.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	if rest := claimIDs(t, u, store.UpstreamLead, t0.Add(time.Hour)); len(rest) != 0 {
		t.Fatalf("rows left after delivery: %v", rest)
	}
}

func testOutboxFences(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := upstreamStore(t, s)
	keys := []store.FenceKey{{Object: store.UpstreamCompany, Kind: "external", Value: "acme"}}
	done, err := u.BeginUpstreamWrite(ctx, "a", keys, t0)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := u.BeginUpstreamWrite(ctx, "b", keys, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.EndUpstreamWrite(ctx, done, []store.UpstreamKey{{Object: store.UpstreamCompany, LocalID: "7"}}, t0); err != nil {
		t.Fatal(err)
	}
	stale, err := u.StaleUpstreamWrites(ctx, t0.Add(time.Minute), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.WriteFence{{ID: dead, Owner: "b", CreatedAt: t0.Add(time.Second), Keys: keys}}
	if diff := cmp.Diff(want, stale); diff != "" {
		t.Fatalf("stale fences (-want +got):\n%s", diff)
	}
	if later, _ := u.StaleUpstreamWrites(ctx, t0.Add(time.Minute), dead, 10); len(later) != 0 {
		t.Fatalf("fences after the last one: %v", later)
	}
	if young, _ := u.StaleUpstreamWrites(ctx, t0, 0, 10); len(young) != 0 {
		t.Fatalf("a fence younger than the cut-off is stale: %v", young)
	}
	if got := claimIDs(t, u, store.UpstreamCompany, t0); len(got) != 1 || got[0].Key.LocalID != "7" {
		t.Fatalf("the ended write marked %v, want company 7", got)
	}
}

func testDelivered(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := upstreamStore(t, s)
	if err := u.EndUpstreamWrite(ctx, 0, []store.UpstreamKey{leadKey("5"), leadKey("6")}, t0); err != nil {
		t.Fatal(err)
	}
	rows := claimIDs(t, u, store.UpstreamLead, t0)
	acme := store.UpstreamRef{Object: store.UpstreamCompany, Key: "acme"}
	five := store.Delivered{Key: leadKey("5"), ExternalKey: "p5", MarketoID: 905, SentHash: []byte{1}, Parents: []store.UpstreamRef{acme}, Status: "created", At: t0}
	six := store.Delivered{Key: leadKey("6"), ExternalKey: "p6", SentHash: []byte{2}, Status: "skipped", Code: "1003", Message: "bad", At: t0}
	acks := []store.OutboxAck{{Row: rows[0], Done: true}, {Row: rows[1], Done: true}}
	for i := range acks {
		if acks[i].Row.Key == five.Key {
			acks[i].Deliver = &five
		} else {
			acks[i].Deliver = &six
		}
	}
	if err := u.AckOutbox(ctx, acks, t0); err != nil {
		t.Fatal(err)
	}
	got, err := u.GetDelivered(ctx, []store.UpstreamKey{leadKey("5"), leadKey("6"), leadKey("7")})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[store.UpstreamKey]store.Delivered{five.Key: five, six.Key: six}, got); diff != "" {
		t.Fatalf("delivered (-want +got):\n%s", diff)
	}
	byExt, err := u.DeliveredByExternalKey(ctx, store.UpstreamLead, []string{"p5", "p6"})
	if err != nil {
		t.Fatal(err)
	}
	if len(byExt) != 1 || byExt["p5"].MarketoID != 905 {
		t.Fatalf("by external key %v, want only p5 (p6 was never held by Marketo)", byExt)
	}
	byID, err := u.DeliveredByMarketoID(ctx, store.UpstreamLead, []int64{905, 1})
	if err != nil || len(byID) != 1 || byID[0].Key != five.Key {
		t.Fatalf("by Marketo id %v, %v; want lead 5", byID, err)
	}
	list, err := u.ListDelivered(ctx, store.UpstreamLead, 0, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("listed %v, %v; want lead 5", list, err)
	}
	refs, err := u.Referenced(ctx, []store.UpstreamRef{acme, {Object: store.UpstreamCompany, Key: "other"}})
	if err != nil || !refs[acme] || len(refs) != 1 {
		t.Fatalf("referenced %v, %v; want acme only", refs, err)
	}
	// acme re-created in Marketo: lead 5, which names it, is marked and will be sent again.
	if n, err := u.MarkChildren(ctx, []store.UpstreamRef{acme}, t0); err != nil || n != 1 {
		t.Fatalf("MarkChildren = %d, %v; want lead 5 marked", n, err)
	}
	again := claimIDs(t, u, store.UpstreamLead, t0)
	if len(again) != 1 || again[0].Key != five.Key {
		t.Fatalf("marked %v, want lead 5", again)
	}
	if got, _ := u.GetDelivered(ctx, []store.UpstreamKey{five.Key}); got[five.Key].SentHash != nil {
		t.Error("the child's version sent was kept, so it would not be sent again")
	}
	if err := u.AckOutbox(ctx, []store.OutboxAck{{Row: again[0], Done: true}}, t0); err != nil {
		t.Fatal(err)
	}
	// Deleted in Marketo: forgotten, with its parents.
	if err := u.EndUpstreamWrite(ctx, 0, []store.UpstreamKey{leadKey("5")}, t0); err != nil {
		t.Fatal(err)
	}
	again = claimIDs(t, u, store.UpstreamLead, t0)
	if err := u.AckOutbox(ctx, []store.OutboxAck{{Row: again[0], Forget: true, Done: true}}, t0); err != nil {
		t.Fatal(err)
	}
	if refs, _ := u.Referenced(ctx, []store.UpstreamRef{acme}); refs[acme] {
		t.Fatal("a forgotten record still references its parent")
	}
}

func testOutboxWaiting(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := upstreamStore(t, s)
	if err := u.EndUpstreamWrite(ctx, 0, []store.UpstreamKey{leadKey("1"), leadKey("2")}, t0); err != nil {
		t.Fatal(err)
	}
	rows := claimIDs(t, u, store.UpstreamLead, t0)
	counts, err := u.CountUpstream(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if q := counts[2]; q.Object != store.UpstreamLead || q.InFlight != 2 || q.Pending != 0 || !q.OldestWaiting.Equal(t0) {
		t.Fatalf("lead queue %+v, want 2 in flight since %v", q, t0)
	}
	acks := []store.OutboxAck{
		{Row: rows[0], RetryAt: t0.Add(time.Minute), Reason: "waiting for company acme"},
		{Row: rows[1], RetryAt: t0.Add(time.Minute), Reason: "waiting for company acme"},
	}
	if err := u.AckOutbox(ctx, acks, t0); err != nil {
		t.Fatal(err)
	}
	if due := claimIDs(t, u, store.UpstreamLead, t0.Add(time.Second)); len(due) != 0 {
		t.Fatalf("rows due before their retry: %v", due)
	}
	why, err := u.WaitReasons(ctx, []store.UpstreamKey{leadKey("1")})
	if err != nil || why[leadKey("1")] != "waiting for company acme since 2026-11-29T10:00:00Z" {
		t.Fatalf("wait reason %q, %v", why[leadKey("1")], err)
	}
	counts, _ = u.CountUpstream(ctx, t0.Add(time.Second))
	if q := counts[2]; q.Waiting != 2 || q.InFlight != 0 {
		t.Fatalf("lead queue %+v, want 2 waiting", q)
	}
	// A new change makes a waiting row due at once.
	if err := u.EndUpstreamWrite(ctx, 0, []store.UpstreamKey{leadKey("1")}, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	due := claimIDs(t, u, store.UpstreamLead, t0.Add(2*time.Second))
	if len(due) != 1 || due[0].Attempts != 0 {
		t.Fatalf("due after a change: %+v, want lead 1 with no attempts", due)
	}
	if err := u.ReleaseOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	// Both rows are due again: lead 1's claim ended, lead 2's wait too.
	again := claimIDs(t, u, store.UpstreamLead, t0.Add(2*time.Second))
	if len(again) != 2 {
		t.Fatalf("after the release %v are due, want leads 1 and 2", again)
	}
	// A release without a reason (a batch waiting to fill) is not an attempt.
	var fill []store.OutboxAck
	for _, r := range again {
		fill = append(fill, store.OutboxAck{Row: r, RetryAt: t0.Add(3 * time.Second)})
	}
	if err := u.AckOutbox(ctx, fill, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, r := range claimIDs(t, u, store.UpstreamLead, t0.Add(3*time.Second)) {
		if want := map[string]int{"1": 0, "2": 1}[r.Key.LocalID]; r.Attempts != want {
			t.Errorf("lead %s has %d attempts after a release without a reason, want %d", r.Key.LocalID, r.Attempts, want)
		}
	}
}

func testUpstreamLease(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := upstreamStore(t, s)
	take := func(owner string, at time.Time) bool {
		ok, err := u.TakeUpstreamLease(ctx, owner, "", at, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("a", t0) || take("b", t0.Add(time.Second)) || !take("a", t0.Add(30*time.Second)) {
		t.Fatal("the holder could not renew, or another took a live lease")
	}
	if !take("b", t0.Add(2*time.Minute)) || take("a", t0.Add(2*time.Minute)) {
		t.Fatal("an expired lease was not taken over, or its old holder kept it")
	}
	if who, until, err := u.UpstreamLeaseHolder(ctx); err != nil || who != "b" || !until.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("lease holder %q until %v, %v; want b until %v", who, until, err, t0.Add(3*time.Minute))
	}
	// A live lease of an owner known to be dead (its process is gone) is taken at once.
	if ok, err := u.TakeUpstreamLease(ctx, "c", "b", t0.Add(2*time.Minute), time.Minute); err != nil || !ok {
		t.Fatalf("the lease of a dead owner was not taken: %v, %v", ok, err)
	}
	if ok, _ := u.TakeUpstreamLease(ctx, "d", "b", t0.Add(2*time.Minute), time.Minute); ok {
		t.Fatal("a lease was taken from a live owner by naming another as dead")
	}
	if err := u.PutUpstreamState(ctx, "token", "abc"); err != nil {
		t.Fatal(err)
	}
	if v, err := u.GetUpstreamState(ctx, "token"); err != nil || v != "abc" {
		t.Fatalf("state %q, %v", v, err)
	}
	if v, err := u.GetUpstreamState(ctx, "nothing"); err != nil || v != "" {
		t.Fatalf("unset state %q, %v", v, err)
	}
}

func testMarkSkipped(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := upstreamStore(t, s)
	if err := u.EndUpstreamWrite(ctx, 0, []store.UpstreamKey{leadKey("1"), leadKey("2")}, t0); err != nil {
		t.Fatal(err)
	}
	rows := claimIDs(t, u, store.UpstreamLead, t0)
	var acks []store.OutboxAck
	for _, r := range rows {
		st := "created"
		if r.Key.LocalID == "2" {
			st = "skipped"
		}
		acks = append(acks, store.OutboxAck{Row: r, Done: true, Deliver: &store.Delivered{SentHash: []byte{9}, Status: st}})
	}
	if err := u.AckOutbox(ctx, acks, t0); err != nil {
		t.Fatal(err)
	}
	n, err := u.MarkSkipped(ctx, t0)
	if err != nil || n != 1 {
		t.Fatalf("marked %d, %v; want 1", n, err)
	}
	due := claimIDs(t, u, store.UpstreamLead, t0)
	if len(due) != 1 || due[0].Key != leadKey("2") {
		t.Fatalf("due %v, want lead 2", due)
	}
	got, _ := u.GetDelivered(ctx, []store.UpstreamKey{leadKey("2")})
	if got[leadKey("2")].SentHash != nil {
		t.Fatal("the skipped version's hash was kept, so an unchanged record would not be sent again")
	}
}
