package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

func TestKeyLocksOnSQLite(t *testing.T) {
	t.Parallel()
	s := open(t, config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"})
	t.Cleanup(func() { s.Close() })
	checkKeyLocks(t, s, s)
}

// TestKeyLocksOnPostgres checks the locks between two stores on one database (two
// orchestrator replicas).
func TestKeyLocksOnPostgres(t *testing.T) {
	t.Parallel()
	cfg := config.Store{DatabaseURL: config.Secret(pgtest.NewDatabase(t)), SQLiteSynchronous: "NORMAL"}
	a, b := open(t, cfg), open(t, cfg)
	t.Cleanup(func() { a.Close(); b.Close() })
	checkKeyLocks(t, a, b)
}

// checkKeyLocks takes locks through a and b: shared locks coexist, an exclusive lock
// excludes shared and exclusive ones on the same key (and only that key), and a waiting
// request is granted once the holder unlocks.
func checkKeyLocks(t *testing.T, a, b store.KeyLocker) {
	ctx := context.Background()
	co := []store.LockKey{{Kind: "company", Key: "acc-1"}}
	other := []store.LockKey{{Kind: "company", Key: "acc-2"}, {Kind: "salesPerson", Key: "acc-1"}}
	// blocked reports whether the locks were not granted within wait: a short wait where
	// they must not be granted, a long one where they must.
	blocked := func(l store.KeyLocker, shared, exclusive []store.LockKey, wait time.Duration) bool {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		unlock, err := l.LockKeys(c, shared, exclusive)
		if err == nil {
			unlock()
			return false
		}
		if !errors.Is(err, context.DeadlineExceeded) && c.Err() == nil {
			t.Fatalf("LockKeys: %v", err)
		}
		return true
	}
	must := func(l store.KeyLocker, shared, exclusive []store.LockKey) func() {
		t.Helper()
		unlock, err := l.LockKeys(ctx, shared, exclusive)
		if err != nil {
			t.Fatalf("LockKeys: %v", err)
		}
		return unlock
	}

	r1 := must(a, co, nil)
	r2 := must(b, co, nil) // shared locks coexist
	if blocked(b, nil, other, 10*time.Second) {
		t.Error("an exclusive lock on other keys waited for shared locks on acc-1")
	}
	if !blocked(b, nil, co, 100*time.Millisecond) {
		t.Error("an exclusive lock was granted beside shared ones")
	}
	r1()
	r2()
	x := must(a, nil, co)
	if !blocked(b, co, nil, 100*time.Millisecond) {
		t.Error("a shared lock was granted beside an exclusive one")
	}
	granted := make(chan func())
	go func() {
		unlock, err := b.LockKeys(ctx, append(other, co...), nil)
		if err != nil {
			t.Error(err)
			close(granted)
			return
		}
		granted <- unlock
	}()
	x()
	if unlock, ok := <-granted; ok {
		unlock()
	}
	must(a, nil, nil)() // no keys: nothing to take
}

// TestKeyLocksGiveUpWaitingForAConnection checks that a lock request on PostgreSQL waiting
// for a free connection of an exhausted pool (every connection held, e.g. by requests
// waiting on a long merge's exclusive lock) gives up when its caller does.
func TestKeyLocksGiveUpWaitingForAConnection(t *testing.T) {
	t.Parallel()
	s := open(t, config.Store{DatabaseURL: config.Secret(pgtest.NewDatabase(t)), SQLiteSynchronous: "NORMAL"})
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	for range s.locks.Stats().MaxOpenConnections {
		c, err := s.locks.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}
	c, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		unlock, err := s.LockKeys(c, []store.LockKey{{Kind: "company", Key: "acc-1"}}, nil)
		if err == nil {
			unlock()
		}
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("LockKeys with every connection busy and its context cancelled = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("LockKeys still waits for a connection after its context was cancelled")
	}
}
