// Package sqlstore is the opportunity store on SQLite or PostgreSQL: one implementation, with
// the SQL both engines share and per-engine migrations. opportunities.go keeps the
// opportunities table, roles.go the opportunity_roles table.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb"
	"github.com/msisync/msisync/services/opportunity/internal/store"
)

//go:embed migrations
var migrations embed.FS

// serviceName names the SQLite file and the PostgreSQL schema.
const serviceName = "opportunity"

// Store implements store.Store over database/sql. It owns its database, whose Secret and
// Close are its own.
type Store struct {
	*sqldb.DB
	opps  *sqldb.Table[store.Opportunity, string]
	roles *sqldb.Table[store.Role, string]
}

var _ store.Store = (*Store)(nil)

// Open opens and migrates the opportunity database that cfg names.
func Open(ctx context.Context, cfg config.Store, log *slog.Logger) (*Store, error) {
	db, err := sqldb.OpenEmbedded(ctx, serviceName, cfg, migrations, log)
	if err != nil {
		return nil, err
	}
	return &Store{DB: db, opps: opportunityTable(db), roles: roleTable(db)}, nil
}

// newGUID returns a fresh marketoGUID: a random (version 4) UUID, lowercase.
func newGUID() string { return uuid.NewString() }

// micros is the stored form of a date: Unix microseconds, or NULL for the zero time.
func micros(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().UnixMicro()
}

// fromMicros reads a stored date; NULL is the zero time.
func fromMicros(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMicro(v.Int64).UTC()
}

// countBy counts the rows of table per value of column among values, with one query, and
// returns the counts read by key.
func countBy[T comparable](ctx context.Context, s *Store, table, column string, values []T, key func(T) store.ReferenceCount) ([]store.ReferenceCount, error) {
	counts, err := sqldb.CountBy(ctx, s.DB, table, column, values)
	if err != nil || len(counts) == 0 {
		return nil, err
	}
	out := make([]store.ReferenceCount, 0, len(counts))
	for _, v := range values {
		if n, ok := counts[v]; ok {
			c := key(v)
			c.Count = int32(n)
			out = append(out, c)
			delete(counts, v)
		}
	}
	return out, nil
}

// checkCount enforces the Count…References contract on one list of parents.
func checkCount(n int, what string) error {
	if n > store.MaxBatch {
		return fmt.Errorf("%w: %d %s, at most %d", store.ErrInvalid, n, what, store.MaxBatch)
	}
	return nil
}

// CountOpportunities implements store.Opportunities.
func (s *Store) CountOpportunities(ctx context.Context) (int64, error) {
	return s.opps.Count(ctx)
}

// CountRoles implements store.Roles.
func (s *Store) CountRoles(ctx context.Context) (int64, error) {
	return s.roles.Count(ctx)
}
