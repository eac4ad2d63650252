package sqldb

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

var testMigrations = fstest.MapFS{
	"sqlite/00001_t.sql":   {Data: []byte("-- +goose Up\nCREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n")},
	"postgres/00001_t.sql": {Data: []byte("-- +goose Up\nCREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);\n")},
}

func TestOpen(t *testing.T) {
	t.Parallel()
	backends := map[string]func(t *testing.T) config.Store{
		"sqlite": func(t *testing.T) config.Store {
			return config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}
		},
		"postgres": func(t *testing.T) config.Store {
			return config.Store{DatabaseURL: config.Secret(pgtest.NewDatabase(t)), SQLiteSynchronous: "NORMAL"}
		},
	}
	for name, store := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := store(t)
			db, err := Open(ctx, Options{Service: "svc", Store: st, Migrations: testMigrations})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if _, err := db.ExecContext(ctx, db.Rebind("INSERT INTO t (id, v) VALUES (?, ?)"), 1, "a"); err != nil {
				t.Fatalf("insert: %v", err)
			}
			k1, err := db.Secret(ctx, "page-token")
			if err != nil {
				t.Fatal(err)
			}
			db.Close()

			// Reopening migrates nothing twice and keeps data and secrets.
			db, err = Open(ctx, Options{Service: "svc", Store: st, Migrations: testMigrations})
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer db.Close()
			var v string
			if err := db.QueryRowContext(ctx, db.Rebind("SELECT v FROM t WHERE id = ?"), 1).Scan(&v); err != nil || v != "a" {
				t.Fatalf("row after reopen = %q, %v", v, err)
			}
			k2, err := db.Secret(ctx, "page-token")
			if err != nil {
				t.Fatal(err)
			}
			if len(k1) != 32 || !bytes.Equal(k1, k2) {
				t.Errorf("secret changed across reopen: %x vs %x", k1, k2)
			}
		})
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	pg := &DB{Dialect: Postgres}
	if got := pg.Rebind("a = ? AND b IN (?, ?)"); got != "a = $1 AND b IN ($2, $3)" {
		t.Errorf("Rebind = %q", got)
	}
	lite := &DB{Dialect: SQLite}
	if got := lite.Rebind("a = ?"); got != "a = ?" {
		t.Errorf("sqlite Rebind = %q", got)
	}
	if got := Placeholders(3); got != "?, ?, ?" {
		t.Errorf("Placeholders(3) = %q", got)
	}
}

func TestSQLiteSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, Options{Service: "svc", Store: config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}, Migrations: testMigrations})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "mmap_size": "268435456", "foreign_keys": "1"} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
		}
	}
}

func TestOpenNamesAnUnusableDataDirectory(t *testing.T) {
	t.Parallel()
	// Permissions do not stop root, so make the paths unusable for everyone: a data
	// directory under a regular file, and a database path that is a directory.
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	taken := t.TempDir()
	if err := os.Mkdir(filepath.Join(taken, "sample.db"), 0o750); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Join(file, "data"), taken} {
		_, err := Open(context.Background(), Options{Service: "sample", Store: config.Store{DataDir: dir, SQLiteSynchronous: "NORMAL"}, Migrations: fstest.MapFS{}})
		if err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "MSISYNC_DATA_DIR") {
			t.Errorf("Open in %s: %v; want the path and MSISYNC_DATA_DIR named", dir, err)
		}
	}
}
