// Package account is the msisync account service: it owns the companies (CRM accounts),
// step 2 of the MSI sync order, and serves msisync.account.v1.CompanyService over gRPC.
package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/platform/runner"
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
	var errs []error
	errs = append(errs, config.CheckAddr("MSISYNC_ACCOUNT_ADDR", c.Addr))
	errs = append(errs, c.Store.Override(c.DatabaseURL).Validate())
	errs = append(errs, c.TLS.Validate(c.Store.DataDir))
	return errors.Join(errs...)
}

// Service is a built account service.
type Service struct {
	grpcserver.Hosted
}

var _ runner.Service = (*Service)(nil)

// New opens and migrates the account store and builds the gRPC server.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	creds, err := mtls.Load(cfg.TLS, cfg.Store.DataDir, mtls.Server, log)
	if err != nil {
		return nil, err
	}
	st, err := sqlstore.Open(ctx, cfg.Store.Override(cfg.DatabaseURL), log.With("service", Name))
	if err != nil {
		return nil, fmt.Errorf("account store: %w", err)
	}
	key, err := st.Secret(ctx, "page-token")
	if err != nil {
		st.Close()
		return nil, err
	}
	srv := grpcserver.NewInternal(Name, log, creds.Transport())
	accountv1.RegisterCompanyServiceServer(srv.GRPC, server.New(st, key))
	return &Service{grpcserver.Hosted{Addr: cfg.Addr, Server: srv, Owned: st}}, nil
}
