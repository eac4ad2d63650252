// Package store defines what the orchestrator keeps: API clients, their access tokens and
// daily call counts, sync runs with their records (parked and dead-lettered ones
// included), and the CRM-side facts that CRM connectors report (CRM users and findings). The doc comments of Store are the contract every implementation meets;
// storetest checks it against each.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when the record asked for does not exist.
var ErrNotFound = errors.New("not found")

// Role is what an API client may do.
type Role string

// The roles.
const (
	// RoleReadWrite may read and write.
	RoleReadWrite Role = "read_write"
	// RoleReadOnly may only read.
	RoleReadOnly Role = "read_only"
	// RoleAdmin may read and write, and sees and manages every client's sync runs, parked
	// and dead-lettered records (read-write and read-only clients only their own).
	RoleAdmin Role = "admin"
	// RoleAuditor may only read, as RoleReadOnly, but sees every client's sync runs, parked
	// and dead-lettered records, as RoleAdmin.
	RoleAuditor Role = "auditor"
)

// CanWrite reports whether the role may call RPCs that change data.
func (r Role) CanWrite() bool { return r == RoleReadWrite || r == RoleAdmin }

// Client is an API client: the holder of a client id and secret.
type Client struct {
	// ID is the client id sent to the token endpoint.
	ID string
	// SecretHash is the SHA-256 of the client secret; the secret itself is never stored.
	SecretHash []byte
	// Role is what the client may do.
	Role Role
	// CreatedAt is when the client was first stored.
	CreatedAt time.Time
}

// Token is an issued access token. Only its hash is stored.
type Token struct {
	// Hash is the SHA-256 of the token string.
	Hash []byte
	// ID is the token's public id, from which the token string is re-derived when the same
	// token is issued again before it expires.
	ID string
	// ClientID is the client the token acts as.
	ClientID string
	// IssuedAt is when the token was first issued.
	IssuedAt time.Time
	// ExpiresAt is when the token stops being valid.
	ExpiresAt time.Time
}

// Store keeps API clients, tokens, sync runs and CRM-side facts. Implementations are safe
// for concurrent use, also across replicas sharing one database.
type Store interface {
	SyncRunStore
	CrmStore
	MergeStore
	ConnectorCycleStore
	// PutClient creates the client or replaces its secret hash and role.
	PutClient(ctx context.Context, c Client) error
	// GetClient returns the client with the id, or ErrNotFound.
	GetClient(ctx context.Context, id string) (Client, error)
	// CountClients returns how many clients exist.
	CountClients(ctx context.Context) (int, error)
	// IssueToken returns the client's newest token that is still valid at now, if there is
	// one (created false); otherwise it stores fresh and returns it (created true). Two
	// concurrent calls for one client never both create.
	IssueToken(ctx context.Context, fresh Token, now time.Time) (tok Token, created bool, err error)
	// GetToken returns the token with the hash, expired or not, or ErrNotFound.
	GetToken(ctx context.Context, hash []byte) (Token, error)
	// DeleteExpiredTokens removes tokens that expired before cutoff and returns how many.
	DeleteExpiredTokens(ctx context.Context, cutoff time.Time) (int, error)
	// AddQuotaUsage adds delta calls to the client's count for the quota day (YYYY-MM-DD)
	// and returns the new count, which includes what other replicas added.
	AddQuotaUsage(ctx context.Context, clientID, day string, delta int64) (int64, error)
	// QuotaUsage returns each client's count for the quota day; clients without calls are
	// left out.
	QuotaUsage(ctx context.Context, day string) (map[string]int64, error)
	// DeleteQuotaUsageBefore removes the counts of days before day and returns how many.
	DeleteQuotaUsageBefore(ctx context.Context, day string) (int, error)
	// Secret returns the named persisted random key, creating it on first use.
	Secret(ctx context.Context, name string) ([]byte, error)
	// Close releases the store's resources.
	Close() error
}
