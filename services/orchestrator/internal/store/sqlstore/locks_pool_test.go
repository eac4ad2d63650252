package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// TestKeyLocksWaitingDoNotStallTheStore checks that on PostgreSQL lock requests waiting on
// a long exclusive lock (a company merge) do not take the connections the rest of the store
// needs: with every connection of the lock pool held by the holder and its waiters (and one
// more request waiting for a connection), a client lookup still completes.
func TestKeyLocksWaitingDoNotStallTheStore(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	s := open(t, config.Store{DatabaseURL: config.Secret(url), SQLiteSynchronous: "NORMAL"})
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.PutClient(ctx, store.Client{ID: "c1", SecretHash: []byte("h"), Role: store.RoleReadWrite, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	key := []store.LockKey{{Kind: "company", Key: "acc-1"}}
	unlock, err := s.LockKeys(ctx, nil, key)
	if err != nil {
		t.Fatal(err)
	}
	// lockPoolSize waiters: one more than the lock pool holds beside the holder.
	waiters, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, lockPoolSize)
	for range lockPoolSize {
		go func() {
			defer func() { done <- struct{}{} }()
			if u, err := s.LockKeys(waiters, key, nil); err == nil {
				u()
			}
		}()
	}
	t.Cleanup(func() {
		cancel()
		unlock()
		for range lockPoolSize {
			<-done
		}
	})

	// Wait until the waiters hold every connection of the lock pool — or, were they on the
	// store's own pool, every connection of that one.
	watch, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close()
	for deadline := time.Now().Add(30 * time.Second); ; {
		var waiting int
		if err := watch.QueryRowContext(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "+
			"AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == lockPoolSize-1 || s.db.Stats().InUse == s.db.Stats().MaxOpenConnections {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lock requests wait for the exclusive lock, want %d", waiting, lockPoolSize-1)
		}
		time.Sleep(10 * time.Millisecond)
	}

	c, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	got, err := s.GetClient(c, "c1")
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("GetClient waited for a connection while lock requests waited on an exclusive lock")
	}
	if err != nil || got.ID != "c1" {
		t.Fatalf("GetClient = %+v, %v; want client c1", got, err)
	}
}
