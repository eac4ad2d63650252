// Package account is the msisync account service: it owns the companies (CRM accounts),
// step 2 of the MSI sync order, and serves msisync.account.v1.CompanyService over gRPC.
package account

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/services/account/internal/server"
	"github.com/msisync/msisync/services/account/internal/store/sqlstore"
)

// Name is the service's name in logs, traces, its SQLite file and its PostgreSQL schema.
const Name = "account"

// Config is the account service's configuration, read from MSISYNC_* variables.
type Config struct {
	// Addr is where the gRPC server listens (MSISYNC_ACCOUNT_ADDR).
	Addr string `env:"ACCOUNT_ADDR" envDefault:"127.0.0.1:9102"`
	// DatabaseURL, when set, overrides MSISYNC_DATABASE_URL for this service
	// (MSISYNC_ACCOUNT_DATABASE_URL).
	DatabaseURL config.Secret `env:"ACCOUNT_DATABASE_URL"`
	// Store is the shared storage configuration.
	Store config.Store
	// TLS authenticates this service's callers with mutual TLS (MSISYNC_INTERNAL_TLS,
	// MSISYNC_TLS_CA, MSISYNC_TLS_CERT, MSISYNC_TLS_KEY).
	TLS mtls.Config
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	return grpcserver.CheckHosting("MSISYNC_ACCOUNT_ADDR", c.Addr, c.Store.Override(c.DatabaseURL), c.TLS)
}

// Service is a built account service: its gRPC server and the store it owns.
type Service = grpcserver.Hosted

// New opens and migrates the account store and builds the gRPC server.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	svc, _, err := grpcserver.Host(ctx, Name, cfg.Addr, cfg.TLS, cfg.Store.Override(cfg.DatabaseURL), log, sqlstore.Open,
		func(g *grpc.Server, st *sqlstore.Store, key []byte) {
			accountv1.RegisterCompanyServiceServer(g, server.New(st, key))
		})
	return svc, err
}
