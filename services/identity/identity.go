// Package identity is the msisync identity service: it owns the sales persons (CRM users),
// step 1 of the MSI sync order, and serves msisync.identity.v1.SalesPersonService over gRPC.
package identity

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/services/identity/internal/server"
	"github.com/msisync/msisync/services/identity/internal/store/sqlstore"
)

// Name is the service's name in logs, traces, its SQLite file and its PostgreSQL schema.
const Name = "identity"

// Config is the identity service's configuration, read from MSISYNC_* variables.
type Config struct {
	// Addr is where the gRPC server listens (MSISYNC_IDENTITY_ADDR).
	Addr string `env:"IDENTITY_ADDR" envDefault:"127.0.0.1:9101"`
	// DatabaseURL, when set, overrides MSISYNC_DATABASE_URL for this service
	// (MSISYNC_IDENTITY_DATABASE_URL).
	DatabaseURL config.Secret `env:"IDENTITY_DATABASE_URL"`
	// Store is the shared storage configuration.
	Store config.Store
	// TLS authenticates this service's callers with mutual TLS (MSISYNC_INTERNAL_TLS,
	// MSISYNC_TLS_CA, MSISYNC_TLS_CERT, MSISYNC_TLS_KEY).
	TLS mtls.Config
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	return grpcserver.CheckHosting("MSISYNC_IDENTITY_ADDR", c.Addr, c.Store.Override(c.DatabaseURL), c.TLS)
}

// Service is a built identity service: its gRPC server and the store it owns.
type Service = grpcserver.Hosted

// New opens and migrates the identity store and builds the gRPC server.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	svc, _, err := grpcserver.Host(ctx, Name, cfg.Addr, cfg.TLS, cfg.Store.Override(cfg.DatabaseURL), log, sqlstore.Open,
		func(g *grpc.Server, st *sqlstore.Store, key []byte) {
			identityv1.RegisterSalesPersonServiceServer(g, server.New(st, key))
		})
	return svc, err
}
