package sqlstore

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// migrationsBefore returns the embedded migrations older than version (e.g. "00005").
func migrationsBefore(t *testing.T, version string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(migrations, "migrations", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if name < version {
			data, err := fs.ReadFile(migrations, path)
			if err != nil {
				return err
			}
			out[path] = &fstest.MapFile{Data: data}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunsStoredBeforeOwnersGetOne stores sync runs on the schema before owners were kept,
// then migrates: with one API client the runs are its, with several they are nobody's.
func TestRunsStoredBeforeOwnersGetOne(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres"} {
		for clients, want := range map[int]string{1: "only", 2: ""} {
			t.Run(fmt.Sprintf("%s/%d clients", engine, clients), func(t *testing.T) {
				t.Parallel()
				cfg := config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}
				if engine == "postgres" {
					cfg.DatabaseURL = config.Secret(pgtest.NewDatabase(t))
				}
				ctx := context.Background()
				old, err := sqldb.OpenEmbedded(ctx, serviceName, cfg, migrationsBefore(t, "00005"), slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				for _, id := range []string{"only", "second"}[:clients] {
					if _, err := old.ExecContext(ctx, old.Rebind("INSERT INTO api_clients (id, secret_hash, role, created_at) VALUES (?, ?, 'read_write', 1)"), id, []byte{1}); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := old.ExecContext(ctx, "INSERT INTO sync_runs (id, request_id, state, created_at) VALUES ('r1', 'key', 'completed', 1)"); err != nil {
					t.Fatal(err)
				}
				old.Close()

				s := open(t, cfg)
				defer s.Close()
				run, err := s.GetSyncRun(ctx, "r1")
				if err != nil || run.ClientID != want || run.RequestID != "key" {
					t.Errorf("with %d API clients, the run stored before owners = %+v, %v; want it owned by %q", clients, run, err, want)
				}
			})
		}
	}
}
