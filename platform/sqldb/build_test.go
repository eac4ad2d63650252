package sqldb

import (
	"context"
	"testing"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

func TestStatementBuilders(t *testing.T) {
	t.Parallel()
	if got := InsertRows("t", []string{"a", "b"}, 2); got != "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)" {
		t.Errorf("InsertRows = %q", got)
	}
	if got := SetList([]string{"a", "b"}); got != "a = ?, b = ?" {
		t.Errorf("SetList = %q", got)
	}
	ph, args := In([]int32{4, 5, 6})
	if ph != "?, ?, ?" || len(args) != 3 || args[2] != int32(6) {
		t.Errorf("In = %q %v", ph, args)
	}
}

func TestIsUniqueViolation(t *testing.T) {
	t.Parallel()
	for name, store := range map[string]func(t *testing.T) config.Store{
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
			db, err := Open(ctx, Options{Service: "svc", Store: store(t), Migrations: testMigrations})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			q := db.Rebind("INSERT INTO t (id, v) VALUES (?, ?)")
			if _, err := db.ExecContext(ctx, q, 1, "a"); err != nil {
				t.Fatal(err)
			}
			_, err = db.ExecContext(ctx, q, 1, "b")
			if !IsUniqueViolation(err) {
				t.Errorf("duplicate key error %v not recognised", err)
			}
			if IsUniqueViolation(context.Canceled) {
				t.Error("context.Canceled taken for a unique violation")
			}
		})
	}
}
