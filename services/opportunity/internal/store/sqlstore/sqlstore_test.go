package sqlstore

import (
	"context"
	"log/slog"
	"testing"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
	"github.com/msisync/msisync/services/opportunity/internal/store"
	"github.com/msisync/msisync/services/opportunity/internal/store/storetest"
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

func open(t *testing.T, cfg config.Store) *Store {
	t.Helper()
	s, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}
