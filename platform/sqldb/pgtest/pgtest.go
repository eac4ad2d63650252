// Package pgtest gives a test a PostgreSQL database of its own, created fresh and dropped
// when the test ends. It uses the server named by MSISYNC_TEST_POSTGRES_URL (default
// postgres://postgres@127.0.0.1:5432/postgres) and skips the test, saying why, only when no
// server answers there.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// DefaultURL is the PostgreSQL server the tests use unless MSISYNC_TEST_POSTGRES_URL is set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// NewDatabase creates an empty database and returns its URL; the database is dropped when
// the test and its subtests finish.
func NewDatabase(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("MSISYNC_TEST_POSTGRES_URL")
	if admin == "" {
		admin = DefaultURL
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Skipf("PostgreSQL is not reachable at %s (%v): skipping the PostgreSQL part; set MSISYNC_TEST_POSTGRES_URL to run it", redact(admin), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "msisync_test_" + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: creating database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
