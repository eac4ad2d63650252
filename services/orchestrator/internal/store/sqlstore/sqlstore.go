// Package sqlstore is the orchestrator store on SQLite or PostgreSQL: one implementation,
// with the SQL both engines share and per-engine migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

//go:embed migrations
var migrations embed.FS

// serviceName names the SQLite file and the PostgreSQL schema.
const serviceName = "orchestrator"

// Store implements store.Store over database/sql.
type Store struct {
	db       *sqldb.DB
	keyLocks *keyLocks // LockKeys on SQLite
	locks    *sql.DB   // LockKeys on PostgreSQL: a pool of its own (see lockPoolSize)
}

var _ store.Store = (*Store)(nil)

// Open opens and migrates the orchestrator database that cfg names.
func Open(ctx context.Context, cfg config.Store, log *slog.Logger) (*Store, error) {
	db, err := sqldb.OpenEmbedded(ctx, serviceName, cfg, migrations, log)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, keyLocks: newKeyLocks()}
	if db.Dialect == sqldb.Postgres {
		if s.locks, err = db.OpenPool(lockPoolSize); err != nil {
			db.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	if s.locks != nil {
		_ = s.locks.Close()
	}
	return s.db.Close()
}

// Secret implements store.Store.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	return s.db.Secret(ctx, name)
}

// PutClient implements store.Store.
func (s *Store) PutClient(ctx context.Context, c store.Client) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(
		"INSERT INTO api_clients (id, secret_hash, role, created_at) VALUES (?, ?, ?, ?) "+
			"ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, role = excluded.role"),
		c.ID, c.SecretHash, string(c.Role), c.CreatedAt.UTC().UnixMicro())
	if err != nil {
		return fmt.Errorf("storing API client: %w", err)
	}
	return nil
}

// GetClient implements store.Store.
func (s *Store) GetClient(ctx context.Context, id string) (store.Client, error) {
	var c store.Client
	var role string
	var created int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind("SELECT id, secret_hash, role, created_at FROM api_clients WHERE id = ?"), id).
		Scan(&c.ID, &c.SecretHash, &role, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Client{}, store.ErrNotFound
	}
	if err != nil {
		return store.Client{}, fmt.Errorf("reading API client: %w", err)
	}
	c.Role = store.Role(role)
	c.CreatedAt = time.UnixMicro(created).UTC()
	return c, nil
}

// CountClients implements store.Store.
func (s *Store) CountClients(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM api_clients").Scan(&n); err != nil {
		return 0, fmt.Errorf("counting API clients: %w", err)
	}
	return n, nil
}

// IssueToken implements store.Store.
func (s *Store) IssueToken(ctx context.Context, fresh store.Token, now time.Time) (store.Token, bool, error) {
	var out store.Token
	var created bool
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		// Serialise issuers of one client: SQLite's write transaction already does; on
		// PostgreSQL the client row lock does.
		lock := "SELECT id FROM api_clients WHERE id = ?"
		if s.db.Dialect == sqldb.Postgres {
			lock += " FOR UPDATE"
		}
		var id string
		if err := tx.QueryRowContext(ctx, s.db.Rebind(lock), fresh.ClientID).Scan(&id); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return store.ErrNotFound
			}
			return fmt.Errorf("locking API client: %w", err)
		}
		tok, err := scanToken(tx.QueryRowContext(ctx, s.db.Rebind(
			"SELECT hash, id, client_id, issued_at, expires_at FROM access_tokens WHERE client_id = ? AND expires_at > ? ORDER BY expires_at DESC LIMIT 1"),
			fresh.ClientID, now.UTC().UnixMicro()))
		if err == nil {
			out = tok
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.db.Rebind("INSERT INTO access_tokens (hash, id, client_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)"),
			fresh.Hash, fresh.ID, fresh.ClientID, fresh.IssuedAt.UTC().UnixMicro(), fresh.ExpiresAt.UTC().UnixMicro()); err != nil {
			return fmt.Errorf("storing access token: %w", err)
		}
		out, created = fresh, true
		return nil
	})
	return out, created, err
}

// GetToken implements store.Store.
func (s *Store) GetToken(ctx context.Context, hash []byte) (store.Token, error) {
	return scanToken(s.db.QueryRowContext(ctx, s.db.Rebind("SELECT hash, id, client_id, issued_at, expires_at FROM access_tokens WHERE hash = ?"), hash))
}

// DeleteExpiredTokens implements store.Store.
func (s *Store) DeleteExpiredTokens(ctx context.Context, cutoff time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind("DELETE FROM access_tokens WHERE expires_at < ?"), cutoff.UTC().UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("deleting expired tokens: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanToken(row *sql.Row) (store.Token, error) {
	var t store.Token
	var issued, expires int64
	err := row.Scan(&t.Hash, &t.ID, &t.ClientID, &issued, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, store.ErrNotFound
	}
	if err != nil {
		return store.Token{}, fmt.Errorf("reading access token: %w", err)
	}
	t.IssuedAt = time.UnixMicro(issued).UTC()
	t.ExpiresAt = time.UnixMicro(expires).UTC()
	return t, nil
}

// AddQuotaUsage implements store.Store.
func (s *Store) AddQuotaUsage(ctx context.Context, clientID, day string, delta int64) (int64, error) {
	var total int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, s.db.Rebind(
			"INSERT INTO api_quota_usage (client_id, day, calls) VALUES (?, ?, ?) "+
				"ON CONFLICT (client_id, day) DO UPDATE SET calls = api_quota_usage.calls + excluded.calls RETURNING calls"),
			clientID, day, delta).Scan(&total)
	})
	if err != nil {
		return 0, fmt.Errorf("adding to the daily quota usage: %w", err)
	}
	return total, nil
}

// QuotaUsage implements store.Store.
func (s *Store) QuotaUsage(ctx context.Context, day string) (map[string]int64, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind("SELECT client_id, calls FROM api_quota_usage WHERE day = ? AND calls > 0"), day)
	if err != nil {
		return nil, fmt.Errorf("reading the daily quota usage: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("reading the daily quota usage: %w", err)
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the daily quota usage: %w", err)
	}
	return out, nil
}

// DeleteQuotaUsageBefore implements store.Store.
func (s *Store) DeleteQuotaUsageBefore(ctx context.Context, day string) (int, error) {
	var n int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.db.Rebind("DELETE FROM api_quota_usage WHERE day < ?"), day)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting old daily quota usage: %w", err)
	}
	return int(n), nil
}
