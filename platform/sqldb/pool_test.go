package sqldb

import (
	"context"
	"testing"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// TestOpenPool checks that a second pool reaches the same PostgreSQL schema with its own
// connection limit, and that SQLite refuses one.
func TestOpenPool(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, Options{Service: "svc", Store: config.Store{DatabaseURL: config.Secret(pgtest.NewDatabase(t)), SQLiteSynchronous: "NORMAL"}, Migrations: testMigrations})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "INSERT INTO t (id, v) VALUES (1, 'a')"); err != nil {
		t.Fatal(err)
	}
	pool, err := db.OpenPool(3)
	if err != nil {
		t.Fatalf("OpenPool: %v", err)
	}
	defer pool.Close()
	if n := pool.Stats().MaxOpenConnections; n != 3 {
		t.Errorf("pool allows %d connections, want 3", n)
	}
	var v string
	if err := pool.QueryRowContext(ctx, "SELECT v FROM t WHERE id = 1").Scan(&v); err != nil || v != "a" {
		t.Errorf("row through the second pool = %q, %v; want the service schema's row", v, err)
	}

	lite, err := Open(ctx, Options{Service: "svc", Store: config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}, Migrations: testMigrations})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer lite.Close()
	if p, err := lite.OpenPool(3); err == nil {
		p.Close()
		t.Error("OpenPool on SQLite succeeded, want an error")
	}
}
