package sqlstore

import (
	"context"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
	"github.com/msisync/msisync/services/scoring/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"})
	})
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, config.Store{DatabaseURL: config.Secret(pgtest.NewDatabase(t)), SQLiteSynchronous: "NORMAL"})
	})
}

func open(t testing.TB, cfg config.Store) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg, Options{Params: model.Params{HalfLife: storetest.HalfLife}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// TestHalfLifeChangeRederivesUrgency reopens a store with another half-life: urgency is
// re-derived from the recorded score changes.
func TestHalfLifeChangeRederivesUrgency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}
	s := open(t, cfg)
	if err := s.SyncLinks(ctx, []store.Link{{LeadID: 1}}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-2 * storetest.HalfLife)
	if _, _, err := s.RecordScoreChanges(ctx, []store.ScoreChange{{Person: store.Person{LeadID: 1}, Value: 16, EventTime: at}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err := Open(ctx, cfg, Options{Params: model.Params{HalfLife: storetest.HalfLife / 2}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Insights(ctx, []int32{1})
	if err != nil {
		t.Fatal(err)
	}
	// Two old half-lives are four new ones: 16 / 2^4 = 1.
	if math.Abs(got[0].Urgency-1) > 1e-4 {
		t.Errorf("urgency after the half-life change = %v, want 1", got[0].Urgency)
	}
}
