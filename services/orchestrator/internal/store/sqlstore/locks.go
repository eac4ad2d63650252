package sqlstore

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

var _ store.KeyLocker = (*Store)(nil)

// LockKeys implements store.KeyLocker. On PostgreSQL the locks are transaction-level
// advisory locks on a 64-bit hash of each key, taken in one statement in hash order and held
// by a transaction on the orchestrator database until unlock, so that every replica sharing
// the database sees them. The transactions run on a pool of their own (lockPoolSize), so
// that requests waiting on a long exclusive lock never hold the connections the rest of the
// store needs. SQLite serves one orchestrator process: there the locks are held in
// memory.
func (s *Store) LockKeys(ctx context.Context, shared, exclusive []store.LockKey) (func(), error) {
	ids := lockIDs(shared, exclusive)
	if len(ids) == 0 {
		return func() {}, nil
	}
	if s.db.Dialect == sqldb.Postgres {
		return s.advisoryLocks(ctx, ids)
	}
	return s.keyLocks.lock(ctx, ids)
}

// lockID is one lock to take: the hash of its key and whether it is exclusive.
type lockID struct {
	hash      int64
	exclusive bool
}

// lockIDs hashes the keys, sorted by hash without repeats (exclusive wins).
func lockIDs(shared, exclusive []store.LockKey) []lockID {
	var ids []lockID
	for _, k := range shared {
		ids = append(ids, lockID{hash: lockHash(k)})
	}
	for _, k := range exclusive {
		ids = append(ids, lockID{hash: lockHash(k), exclusive: true})
	}
	slices.SortFunc(ids, func(a, b lockID) int {
		if a.hash != b.hash {
			return compareInt64(a.hash, b.hash)
		}
		if a.exclusive == b.exclusive {
			return 0
		}
		if a.exclusive {
			return -1
		}
		return 1
	})
	return slices.CompactFunc(ids, func(a, b lockID) bool { return a.hash == b.hash })
}

// lockHash is the 64-bit FNV-1a hash of a key's kind and key. Two keys that collide share a
// lock, which only makes them wait for each other.
func lockHash(k store.LockKey) int64 {
	h := fnv.New64a()
	h.Write([]byte(k.Kind))
	h.Write([]byte{0})
	h.Write([]byte(k.Key))
	return int64(h.Sum64())
}

// advisoryLockSQL takes the locks given as two arrays (hashes, exclusive flags) in array
// order.
const advisoryLockSQL = "SELECT CASE WHEN x THEN pg_advisory_xact_lock(k) ELSE pg_advisory_xact_lock_shared(k) END " +
	"FROM unnest($1::bigint[], $2::boolean[]) WITH ORDINALITY AS t(k, x, n) ORDER BY n"

// lockPoolSize is the most connections of the pool that holds the advisory lock
// transactions on PostgreSQL, and so the most lock requests of one orchestrator that hold
// or wait for locks at once; further requests wait for a connection (as long as their
// caller). Each applier write holds one while it calls the entity services, so it is
// twice the store's own pool (16); being separate from that pool, a long exclusive lock (a
// company merge) with every lock connection waiting on it no longer stalls the rest of the
// orchestrator's database work. The pool connects lazily, so idle replicas use none.
const lockPoolSize = 32

func (s *Store) advisoryLocks(ctx context.Context, ids []lockID) (func(), error) {
	// Waiting for a free connection ends with ctx (waiters for a held lock may hold every
	// connection of the lock pool). The transaction then outlives a cancelled ctx (unlock ends
	// it), so that the locks are never released while a write the caller started may
	// still be under way.
	conn, err := s.locks.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("locking records: %w", err)
	}
	tx, err := conn.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("locking records: %w", err)
	}
	hashes := make([]int64, len(ids))
	excl := make([]bool, len(ids))
	for i, id := range ids {
		hashes[i], excl[i] = id.hash, id.exclusive
	}
	rows, err := tx.QueryContext(ctx, advisoryLockSQL, hashes, excl)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		_ = tx.Rollback()
		_ = conn.Close()
		return nil, fmt.Errorf("locking records: %w", err)
	}
	return func() {
		_ = tx.Commit()
		_ = conn.Close()
	}, nil
}

// keyLocks are in-memory shared/exclusive locks on hashed keys. A set of locks is granted
// all at once, so no holder ever waits for another lock (no deadlock); a waiting exclusive
// request keeps new shared requests for its keys waiting, so that a stream of writes cannot
// starve a delete.
type keyLocks struct {
	mu       sync.Mutex
	held     map[int64]int // > 0: that many shared holders; -1: one exclusive holder
	waitingX map[int64]int // exclusive requests waiting for the key
	changed  chan struct{} // closed and replaced whenever locks are released
}

func newKeyLocks() *keyLocks {
	return &keyLocks{held: map[int64]int{}, waitingX: map[int64]int{}, changed: make(chan struct{})}
}

func (l *keyLocks) lock(ctx context.Context, ids []lockID) (func(), error) {
	l.mu.Lock()
	waiting := false
	for {
		if l.grantable(ids) {
			for _, id := range ids {
				if id.exclusive {
					l.held[id.hash] = -1
				} else {
					l.held[id.hash]++
				}
			}
			l.wait(ids, waiting, -1)
			l.mu.Unlock()
			return func() { l.unlock(ids) }, nil
		}
		if !waiting {
			l.wait(ids, true, 1)
			waiting = true
		}
		changed := l.changed
		l.mu.Unlock()
		select {
		case <-changed:
			l.mu.Lock()
		case <-ctx.Done():
			l.mu.Lock()
			l.wait(ids, true, -1)
			l.release()
			l.mu.Unlock()
			return nil, fmt.Errorf("locking records: %w", ctx.Err())
		}
	}
}

// grantable reports whether every lock of ids can be granted now (l.mu held).
func (l *keyLocks) grantable(ids []lockID) bool {
	for _, id := range ids {
		h := l.held[id.hash]
		if id.exclusive && h != 0 || !id.exclusive && (h < 0 || l.waitingX[id.hash] > 0) {
			return false
		}
	}
	return true
}

// wait adds delta to the waiting count of the exclusive keys of ids when counted (l.mu held).
func (l *keyLocks) wait(ids []lockID, counted bool, delta int) {
	if !counted {
		return
	}
	for _, id := range ids {
		if id.exclusive {
			if l.waitingX[id.hash] += delta; l.waitingX[id.hash] == 0 {
				delete(l.waitingX, id.hash)
			}
		}
	}
}

func (l *keyLocks) unlock(ids []lockID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if id.exclusive || l.held[id.hash] == 1 {
			delete(l.held, id.hash)
		} else {
			l.held[id.hash]--
		}
	}
	l.release()
}

// release wakes every waiter to check again (l.mu held).
func (l *keyLocks) release() {
	close(l.changed)
	l.changed = make(chan struct{})
}
