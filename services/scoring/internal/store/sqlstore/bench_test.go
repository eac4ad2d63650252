package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/server"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// BenchmarkScoring1M seeds MSISYNC_SCORING_BENCH_LEADS scored leads (default 1,000,000) on
// SQLite with bulk inserts, then measures RecomputeTiers (first run, when ~30 % of the
// leads gain stars or flames, and a steady-state run after 1,000 score changes) and the p50
// and p99 latency of BatchGetInsights of 300 random leads, in the store and over gRPC. Run
// it with `make bench` or:
//
//	go test -run '^$' -bench Scoring -benchtime 1x ./services/scoring/internal/store/sqlstore/
func BenchmarkScoring1M(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("MSISYNC_SCORING_BENCH_LEADS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("MSISYNC_SCORING_BENCH_LEADS=%q: want a number of at least 1000", v)
		}
	}
	ctx := context.Background()
	s := open(b, config.Store{DataDir: b.TempDir(), SQLiteSynchronous: "NORMAL"})
	defer s.Close()
	start := time.Now()
	if err := seed(ctx, s, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d leads in %s", n, time.Since(start).Round(time.Millisecond))
	b.ResetTimer()

	first := recompute(b, s)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		var chs []store.ScoreChange
		for range 100 {
			chs = append(chs, store.ScoreChange{Person: store.Person{LeadID: int32(rng.IntN(n) + 1)}, Value: int32(rng.IntN(40) - 10)})
		}
		if _, _, err := s.RecordScoreChanges(ctx, chs); err != nil {
			b.Fatal(err)
		}
	}
	steady := recompute(b, s)

	ids := func() []int32 {
		out := make([]int32, 300)
		for i := range out {
			out[i] = int32(rng.IntN(n) + 1)
		}
		return out
	}
	p50, p99 := latency(b, 1000, func() error { _, err := s.Insights(ctx, ids()); return err })
	client := grpcClient(b, s)
	gp50, gp99 := latency(b, 1000, func() error {
		_, err := client.BatchGetInsights(ctx, &scoringv1.BatchGetInsightsRequest{LeadIds: ids()})
		return err
	})
	b.StopTimer()
	b.ReportMetric(first.Seconds(), "recompute-first-s")
	b.ReportMetric(steady.Seconds(), "recompute-steady-s")
	b.ReportMetric(p99, "insights-p99-ms")
	b.ReportMetric(gp99, "grpc-insights-p99-ms")
	b.Logf("RecomputeTiers over %d leads: first %s, steady %s", n, first.Round(time.Millisecond), steady.Round(time.Millisecond))
	b.Logf("Insights of 300 leads: store p50 %.2f ms p99 %.2f ms; gRPC BatchGetInsights p50 %.2f ms p99 %.2f ms", p50, p99, gp50, gp99)
}

// seed bulk-inserts n scored leads directly: lead i has a skewed score, two in three have
// an urgency from an increase up to four weeks old, 1,000 owners.
func seed(ctx context.Context, s *Store, n int) error {
	const rowsPer = 1000
	cols := []string{"lead_id", "external_person_id", "person_key", "owner_id", "owner_key", "scored", "score", "urgency_key", "updated_at"}
	now := time.Now()
	p := s.params
	rng := rand.New(rand.NewPCG(3, 4))
	for from := 1; from <= n; {
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, s.db.Rebind(sqldb.InsertRows("leads", cols, rowsPer)))
			if err != nil {
				return err
			}
			defer stmt.Close()
			args := make([]any, 0, rowsPer*len(cols))
			for batch := 0; batch < 100 && from+rowsPer-1 <= n; batch++ {
				args = args[:0]
				for i := from; i < from+rowsPer; i++ {
					person := "p-" + strconv.Itoa(i)
					owner := "rep-" + strconv.Itoa(i%1000)
					score := int32(rng.ExpFloat64() * 40)
					var key any
					if i%3 != 0 {
						key = p.ChangeKey(float64(1+rng.IntN(50)), now.Add(-time.Duration(rng.Int64N(int64(28*24*time.Hour)))))
					}
					args = append(args, i, person, person, owner, owner, 1, score, key, now.UnixMicro())
				}
				if _, err := stmt.ExecContext(ctx, args...); err != nil {
					return err
				}
				from += rowsPer
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("seeding: %w", err)
		}
		if from+rowsPer-1 > n && from <= n {
			return fmt.Errorf("seeding: use a multiple of %d leads", rowsPer)
		}
	}
	return nil
}

func recompute(b *testing.B, s *Store) time.Duration {
	b.Helper()
	start := time.Now()
	rc, err := s.RecomputeTiers(context.Background(), model.DefaultTiers, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	d := time.Since(start)
	b.Logf("recompute: %d scored leads, %d changed, score thresholds %v, in %s", rc.Boundaries.ScoredLeads, rc.Changed, rc.Boundaries.Score, d.Round(time.Millisecond))
	return d
}

// latency runs fn k times and returns the p50 and p99 in milliseconds.
func latency(b *testing.B, k int, fn func() error) (float64, float64) {
	b.Helper()
	ds := make([]float64, k)
	for i := range ds {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		ds[i] = float64(time.Since(start).Microseconds()) / 1000
	}
	slices.Sort(ds)
	return ds[k/2], ds[k*99/100]
}

func grpcClient(b *testing.B, s *Store) scoringv1.ScoringServiceClient {
	b.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	scoringv1.RegisterScoringServiceServer(srv, server.New(s, make([]byte, 32), model.DefaultTiers, s.params, server.SourceMsisync))
	go srv.Serve(lis)
	b.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return scoringv1.NewScoringServiceClient(conn)
}
