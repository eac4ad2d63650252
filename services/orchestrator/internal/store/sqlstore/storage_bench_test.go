package sqlstore

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// BenchmarkSyncRecordStorage measures what one synced record costs the orchestrator store:
// it syncs 10,000 leads shaped like the Dynamics connector's contacts through sync runs
// (stored, applied, completed) and reports the database's growth per record (on PostgreSQL
// also once compacted), and what is left after the runs are pruned. Run it with
//
//	go test -run '^$' -bench SyncRecordStorage -benchtime 1x ./services/orchestrator/internal/store/sqlstore/
func BenchmarkSyncRecordStorage(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			for range b.N {
				cfg := config.Store{DataDir: b.TempDir(), SQLiteSynchronous: "NORMAL"}
				if engine == "postgres" {
					cfg.DatabaseURL = config.Secret(pgtest.NewDatabase(b))
				}
				s, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
				if err != nil {
					b.Fatal(err)
				}
				measureStorage(b, s)
				s.Close()
			}
		})
	}
}

// contactJSON is a lead as the Dynamics connector sends a contact (protojson, GUID keys).
func contactJSON(i int) []byte {
	return fmt.Appendf(nil, `{"city":"Seattle","company":"Contoso Pharmaceuticals %d","country":"United States","email":"firstname%d.lastname@contoso-pharma.example.com",`+
		`"externalCompanyId":"%08x-7f1e-4c2a-9d3b-5a6c7d8e9f0a","externalPersonId":"%08x-1a2b-4c3d-8e4f-5a6b7c8d9e0f","externalSalesPersonId":"7c9e6679-7425-40de-944b-e07fc1f90ae7",`+
		`"firstName":"Firstname%d","lastName":"Lastname","mobilePhone":"+1 425 555 %04d","phone":"+1 206 555 %04d","title":"Purchasing Manager"}`,
		i%500, i, i%500, i, i, i%10000, (i*7)%10000)
}

// usedBytes is the space the store's sync-run tables take (SQLite: the whole file's used
// pages; PostgreSQL: the tables with their indexes and TOAST, after a VACUUM).
func usedBytes(b *testing.B, s *Store) int64 {
	b.Helper()
	ctx := context.Background()
	var n int64
	if s.db.Dialect == sqldb.Postgres {
		if _, err := s.db.ExecContext(ctx, "VACUUM sync_records, sync_runs"); err != nil {
			b.Fatal(err)
		}
		if err := s.db.QueryRowContext(ctx, "SELECT pg_total_relation_size('sync_records') + pg_total_relation_size('sync_runs')").Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	var pages, free, size int64
	for q, v := range map[string]*int64{"PRAGMA page_count": &pages, "PRAGMA freelist_count": &free, "PRAGMA page_size": &size} {
		if err := s.db.QueryRowContext(ctx, q).Scan(v); err != nil {
			b.Fatal(err)
		}
	}
	return (pages - free) * size
}

func measureStorage(b *testing.B, s *Store) {
	ctx := context.Background()
	const total, perRun = 10000, 300
	t0 := time.Now().Add(-time.Hour)
	before := usedBytes(b, s)
	payload := 0
	b.ResetTimer()
	for start := 0; start < total; start += perRun {
		run := store.SyncRun{ID: fmt.Sprintf("run-%05d", start), ClientID: "connector", State: store.RunQueued, CreatedAt: t0}
		var recs []store.SyncRecord
		for i := start; i < min(start+perRun, total); i++ {
			r := contactJSON(i)
			payload += len(r)
			recs = append(recs, store.SyncRecord{ObjectType: store.Lead, Index: i - start, Record: r, Key: fmt.Sprintf("%08x-1a2b-4c3d-8e4f-5a6b7c8d9e0f", i)})
		}
		if _, _, err := s.CreateSyncRun(ctx, run, recs); err != nil {
			b.Fatal(err)
		}
		if _, err := s.ClaimSyncRun(ctx, t0, t0.Add(time.Minute)); err != nil {
			b.Fatal(err)
		}
		stored, err := s.PendingRecords(ctx, run.ID, store.Lead, perRun)
		if err != nil {
			b.Fatal(err)
		}
		updates := make([]store.RecordUpdate, len(stored))
		for i, r := range stored {
			updates[i] = store.RecordUpdate{ID: r.ID, From: r.State, To: store.RecordApplied, Outcome: store.Outcome{Status: "created", RecID: int32(r.ID)}}
		}
		if _, err := s.UpdateRecords(ctx, updates, t0); err != nil {
			b.Fatal(err)
		}
		if _, err := s.FinishSyncRun(ctx, run.ID, t0); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	synced := usedBytes(b, s)
	if s.db.Dialect == sqldb.Postgres {
		// What the live rows take, without the row versions the apply updates left (which
		// autovacuum makes reusable for later records).
		if _, err := s.db.ExecContext(ctx, "VACUUM FULL sync_records, sync_runs"); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(usedBytes(b, s)-before)/total, "compacted-B/record")
	}
	step := store.PruneStep{Cutoff: time.Now(), Limit: 100}
	for {
		got, err := s.PruneSyncRuns(ctx, step)
		if err != nil {
			b.Fatal(err)
		}
		if got.Visited < step.Limit {
			break
		}
		step.AfterTime, step.AfterID = got.LastTime, got.LastID
	}
	pruned := usedBytes(b, s)
	b.ReportMetric(float64(payload)/total, "payload-B/record")
	b.ReportMetric(float64(synced-before)/total, "stored-B/record")
	b.ReportMetric(float64(pruned-before)/total, "after-prune-B/record")
}
