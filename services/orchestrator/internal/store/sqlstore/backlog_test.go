package sqlstore

import (
	"context"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

func TestBacklogCountsUnfinishedWork(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]func(t *testing.T) config.Store{
		"sqlite": func(t *testing.T) config.Store {
			return config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}
		},
		"postgres": func(t *testing.T) config.Store {
			return config.Store{DatabaseURL: config.Secret(pgtest.NewDatabase(t)), SQLiteSynchronous: "NORMAL"}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := open(t, cfg(t))
			defer s.Close()
			empty, err := s.Backlog(ctx)
			if err != nil || len(empty.Runs) != 0 || empty.Pending != 0 || len(empty.Parked) != 0 {
				t.Fatalf("Backlog of an empty store = %+v, %v", empty, err)
			}
			now := time.Now()
			recs := []store.SyncRecord{
				{ObjectType: store.Company, Index: 0, Record: []byte(`{}`)},
				{ObjectType: store.Lead, Index: 0, Record: []byte(`{}`)},
				{ObjectType: store.Lead, Index: 1, Record: []byte(`{}`)},
				{ObjectType: store.Lead, Index: 2, Record: []byte(`{}`)},
			}
			if _, _, err := s.CreateSyncRun(ctx, store.SyncRun{ID: "run-1", State: store.RunQueued, CreatedAt: now}, recs); err != nil {
				t.Fatal(err)
			}
			stored, err := s.ListRecords(ctx, store.RecordQuery{RunID: "run-1", Limit: 10})
			if err != nil || len(stored) != 4 {
				t.Fatalf("ListRecords = %d records, %v", len(stored), err)
			}
			parked := store.Outcome{Missing: store.Parent{Kind: "company", Key: "c1"}, ParkTime: now, ExpireTime: now.Add(time.Hour)}
			if _, err := s.UpdateRecords(ctx, []store.RecordUpdate{
				{ID: stored[0].ID, From: store.RecordPending, To: store.RecordApplied, Outcome: store.Outcome{Status: "created"}},
				{ID: stored[1].ID, From: store.RecordPending, To: store.RecordParked, Outcome: parked},
				{ID: stored[2].ID, From: store.RecordPending, To: store.RecordDeadLettered, Outcome: store.Outcome{ParkTime: now, ExpireTime: now}},
			}, now); err != nil {
				t.Fatal(err)
			}
			b, err := s.Backlog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if b.Runs[store.RunQueued] != 1 || b.Pending != 1 || b.Parked[store.Lead] != 1 || b.DeadLettered[store.Lead] != 1 || b.Parked[store.Company] != 0 {
				t.Errorf("Backlog = %+v; want 1 queued run, 1 pending, 1 parked and 1 dead-lettered lead", b)
			}
		})
	}
}
