package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

var connectorCycleTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"ConnectorCycles/LatestPerSource", testConnectorCycles},
}

// testConnectorCycles checks that each source keeps only its last cycle, every field as
// reported, and that sources list in order.
func testConnectorCycles(t *testing.T, s store.Store) {
	ctx := context.Background()
	if got, err := s.ListConnectorCycles(ctx); err != nil || len(got) != 0 {
		t.Fatalf("empty store: ListConnectorCycles = %v, %v; want none", got, err)
	}
	first := store.ConnectorCycle{Source: "dynamics", Started: t0, Finished: t0.Add(3 * time.Second),
		RowsRead: 1234, RecordsSent: 1000, RecordsApplied: 990, RecordsParked: 7, RecordsRejected: 3, DeletesWaiting: 2}
	if err := s.PutConnectorCycle(ctx, first, t0.Add(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	other := store.ConnectorCycle{Source: "crm-b", Started: t0, Finished: t0.Add(time.Second), RowsRead: 1}
	if err := s.PutConnectorCycle(ctx, other, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	failed := store.ConnectorCycle{Source: "dynamics", Started: t0.Add(time.Minute), Finished: t0.Add(time.Minute + time.Second),
		Error: "reading Dataverse: 401 Unauthorized", RowsRead: 0}
	if err := s.PutConnectorCycle(ctx, failed, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListConnectorCycles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other.Reported = t0.Add(time.Second)
	failed.Reported = t0.Add(2 * time.Minute)
	if diff := cmp.Diff([]store.ConnectorCycle{other, failed}, got); diff != "" {
		t.Errorf("ListConnectorCycles (-want +got):\n%s", diff)
	}
}
