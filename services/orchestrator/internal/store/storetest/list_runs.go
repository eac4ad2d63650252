package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// listRunTests check the listing of sync runs.
var listRunTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"SyncRunsAreListedNewestFirstByOwnerAndFilter", testListRuns},
	{"ListedSyncRunsCountPrunedRecords", testListRunsPruned},
}

// listRuns returns the ids of the runs q selects, reading pages of two runs until the end.
func listRuns(t *testing.T, s store.Store, q store.RunQuery) []string {
	t.Helper()
	q.Limit = 2
	var ids []string
	for {
		page, err := s.ListSyncRuns(context.Background(), q)
		if err != nil {
			t.Fatalf("ListSyncRuns(%+v): %v", q, err)
		}
		for _, r := range page {
			ids = append(ids, r.ID)
		}
		if len(page) < q.Limit {
			return ids
		}
		last := page[len(page)-1]
		q.BeforeTime, q.BeforeID = last.CreatedAt, last.ID
	}
}

func testListRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	// a1 is completed; a2 and a3 were created at the same time (listed by id, descending).
	mustCreate(t, s, ownedRun("a1", "client-a", ""), rec(store.Company, 0, "c-0"), rec(store.Company, 1, "c-1"))
	settleRun(t, s, store.Company, t0, func(rs []store.SyncRecord) []store.RecordUpdate {
		return []store.RecordUpdate{applied(rs[0], 1), rejected(rs[1])}
	})
	at := func(r store.SyncRun, d time.Duration) store.SyncRun {
		r.CreatedAt = t0.Add(d)
		return r
	}
	mustCreate(t, s, at(ownedRun("a2", "client-a", "req-a2"), time.Second), rec(store.Lead, 0, "l-0"))
	mustCreate(t, s, at(ownedRun("a3", "client-a", ""), time.Second), rec(store.Lead, 0, "l-0"))
	mustCreate(t, s, at(ownedRun("b1", "client-b", "req-a2"), 2*time.Second), rec(store.Lead, 0, "l-0"))
	mustCreate(t, s, at(ownedRun("a4", "client-a", ""), 3*time.Second), rec(store.SalesPerson, 0, "sp"), rec(store.Lead, 0, "l-0"))
	running := mustClaim(t, s, t0.Add(4*time.Second)) // the oldest queued run: a2
	if running.ID != "a2" {
		t.Fatalf("claimed %s, want a2", running.ID)
	}

	a := store.RunQuery{Owned: true, ClientID: "client-a"}
	for _, tc := range []struct {
		name string
		q    store.RunQuery
		want []string
	}{
		{"client-a's runs", a, []string{"a4", "a3", "a2", "a1"}},
		{"client-b's runs", store.RunQuery{Owned: true, ClientID: "client-b"}, []string{"b1"}},
		{"runs of a client without runs", store.RunQuery{Owned: true, ClientID: "nobody"}, nil},
		{"every client's runs", store.RunQuery{}, []string{"a4", "b1", "a3", "a2", "a1"}},
		{"completed runs", store.RunQuery{States: []store.RunState{store.RunCompleted}}, []string{"a1"}},
		{"client-a's queued or running runs", store.RunQuery{Owned: true, ClientID: "client-a", States: []store.RunState{store.RunQueued, store.RunRunning}}, []string{"a4", "a3", "a2"}},
		{"failed runs", store.RunQuery{States: []store.RunState{store.RunFailed}}, nil},
		{"runs created in [t0+1s, t0+3s)", store.RunQuery{CreatedFrom: t0.Add(time.Second), CreatedBefore: t0.Add(3 * time.Second)}, []string{"b1", "a3", "a2"}},
		{"runs created from t0+2s", store.RunQuery{CreatedFrom: t0.Add(2 * time.Second)}, []string{"a4", "b1"}},
		{"every run with request id req-a2", store.RunQuery{RequestID: "req-a2"}, []string{"b1", "a2"}},
		{"client-a's run with request id req-a2", store.RunQuery{Owned: true, ClientID: "client-a", RequestID: "req-a2"}, []string{"a2"}},
	} {
		if got := listRuns(t, s, tc.q); !cmp.Equal(got, tc.want) {
			t.Errorf("%s, two per page = %v, want %v", tc.name, got, tc.want)
		}
	}

	// Each run comes with its state, times and counts, as GetSyncRun and CountRecords give
	// them.
	page, err := s.ListSyncRuns(ctx, store.RunQuery{Limit: 10})
	if err != nil || len(page) != 5 {
		t.Fatalf("ListSyncRuns(all) = %d runs, %v; want 5", len(page), err)
	}
	for _, r := range page {
		run, err := s.GetSyncRun(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(run, r.SyncRun); diff != "" {
			t.Errorf("listed run %s differs from GetSyncRun (-get +list):\n%s", r.ID, diff)
		}
		counts, err := s.CountRecords(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(counts, r.Counts); diff != "" {
			t.Errorf("counts of listed run %s differ from CountRecords (-count +list):\n%s", r.ID, diff)
		}
	}
	if page[4].ID != "a1" || page[4].State != store.RunCompleted || len(page[4].Counts) != 1 ||
		page[4].Counts[0].ByState[store.RecordApplied] != 1 || page[4].Counts[0].ByState[store.RecordRejected] != 1 {
		t.Errorf("listed a1 = %+v, want completed with 1 applied and 1 rejected company", page[4])
	}
}

func testListRunsPruned(t *testing.T, s store.Store) {
	ctx := context.Background()
	// dead: completed with one record dead-lettered; pruning keeps the run and that record.
	mustCreate(t, s, newRun("dead", "", t0), rec(store.Lead, 0, "l-0"), rec(store.Lead, 1, "l-1"), rec(store.Lead, 2, "l-2"))
	settleRun(t, s, store.Lead, t0, func(rs []store.SyncRecord) []store.RecordUpdate {
		return []store.RecordUpdate{applied(rs[0], 2), rejected(rs[1]), park(rs[2], "company", "gone", t0.Add(-time.Hour))}
	})
	if n, err := s.ExpireParked(ctx, t0); err != nil || n != 1 {
		t.Fatalf("ExpireParked = %d, %v; want 1", n, err)
	}
	if runs, records := prunePass(t, s, t0.Add(time.Hour)); runs != 0 || records != 2 {
		t.Fatalf("pruning deleted %d runs and %d records, want 0 and 2", runs, records)
	}
	page, err := s.ListSyncRuns(ctx, store.RunQuery{Limit: 10})
	if err != nil || len(page) != 1 {
		t.Fatalf("ListSyncRuns = %+v, %v; want the run", page, err)
	}
	want := []store.Counts{{ObjectType: store.Lead, ByState: map[store.RecordState]int{
		store.RecordApplied: 1, store.RecordRejected: 1, store.RecordDeadLettered: 1,
	}}}
	if diff := cmp.Diff(want, page[0].Counts); diff != "" {
		t.Errorf("counts of the pruned run (-want +got):\n%s", diff)
	}
}
