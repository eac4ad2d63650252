package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// ownerTests check that sync runs and their records belong to the client that created
// them.
var ownerTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"RequestIDsArePerClient", testRequestIDsPerClient},
	{"ParkedRecordsAreFilteredByOwner", testParkedByOwner},
}

func ownedRun(id, client, requestID string) store.SyncRun {
	r := newRun(id, requestID, t0)
	r.ClientID = client
	return r
}

func testRequestIDsPerClient(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, ownedRun("a1", "client-a", "batch-1"), rec(store.Company, 0, "ca"))
	// Another client's run with the same request id is a run of its own.
	mustCreate(t, s, ownedRun("b1", "client-b", "batch-1"), rec(store.Company, 0, "cb"))
	again, created, err := s.CreateSyncRun(ctx, ownedRun("a2", "client-a", "batch-1"), []store.SyncRecord{rec(store.Company, 0, "other")})
	if err != nil || created || again.ID != "a1" || again.ClientID != "client-a" {
		t.Fatalf("client-a reusing its request id = %+v created %v, %v; want run a1", again, created, err)
	}
	again, created, err = s.CreateSyncRun(ctx, ownedRun("b2", "client-b", "batch-1"), []store.SyncRecord{rec(store.Company, 0, "other")})
	if err != nil || created || again.ID != "b1" {
		t.Fatalf("client-b reusing its request id = %+v created %v, %v; want run b1", again, created, err)
	}
	got, err := s.GetSyncRun(ctx, "b1")
	if err != nil || got.ClientID != "client-b" || got.RequestID != "batch-1" {
		t.Errorf("GetSyncRun(b1) = %+v, %v; want client-b's run with request id batch-1", got, err)
	}
	for run, key := range map[string]string{"a1": "ca", "b1": "cb"} {
		if recs := pending(t, s, run, store.Company); len(recs) != 1 || recs[0].Key != key {
			t.Errorf("records of %s = %+v, want the one it was created with (%s)", run, recs, key)
		}
	}
}

func testParkedByOwner(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreate(t, s, ownedRun("a1", "client-a", ""), rec(store.Lead, 0, "la"))
	mustCreate(t, s, ownedRun("b1", "client-b", ""), rec(store.Lead, 0, "lb"))
	var ids []int64
	for range 2 {
		run := mustClaim(t, s, t0)
		ls := pending(t, s, run.ID, store.Lead)
		update(t, s, t0, park(ls[0], "company", "c", t0))
		ids = append(ids, ls[0].ID)
	}
	keys := func(q store.ParkedQuery) []string {
		t.Helper()
		q.State, q.Limit = store.RecordParked, 10
		recs, err := s.ListParked(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range recs {
			out = append(out, r.Key)
		}
		return out
	}
	if got := keys(store.ParkedQuery{Owned: true, ClientID: "client-a"}); !cmp.Equal(got, []string{"la"}) {
		t.Errorf("client-a's parked records = %v, want [la]", got)
	}
	if got := keys(store.ParkedQuery{Owned: true, ClientID: "client-a", RunID: "b1"}); len(got) != 0 {
		t.Errorf("client-a's parked records of client-b's run = %v, want none", got)
	}
	if got := keys(store.ParkedQuery{Owned: true, ClientID: "nobody"}); len(got) != 0 {
		t.Errorf("parked records of a client without runs = %v, want none", got)
	}
	if got := keys(store.ParkedQuery{}); len(got) != 2 {
		t.Errorf("every client's parked records = %v, want both", got)
	}
	// Dead letters too.
	if n, err := s.ExpireParked(ctx, t0.Add(2*time.Hour)); err != nil || n != 2 {
		t.Fatalf("ExpireParked = %d, %v; want 2", n, err)
	}
	dead, err := s.ListParked(ctx, store.ParkedQuery{State: store.RecordDeadLettered, Owned: true, ClientID: "client-b", Limit: 10})
	if err != nil || len(dead) != 1 || dead[0].Key != "lb" {
		t.Errorf("client-b's dead letters = %+v, %v; want lb", dead, err)
	}
	owned, err := s.OwnedRecords(ctx, "client-b", []int64{ids[1], ids[0], 424242, ids[1]})
	if err != nil || !cmp.Equal(owned, []int64{ids[1]}) {
		t.Errorf("OwnedRecords(client-b) = %v, %v; want [%d]", owned, err, ids[1])
	}
}
