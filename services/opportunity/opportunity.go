// Package opportunity is the msisync opportunity service: it owns the opportunities and
// opportunity roles, steps 4 and 5 of the MSI sync order, and serves
// msisync.opportunity.v1.OpportunityService and msisync.opportunity.v1.OpportunityRoleService
// over gRPC.
package opportunity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/platform/runner"
	"github.com/msisync/msisync/services/opportunity/internal/server"
	"github.com/msisync/msisync/services/opportunity/internal/store/sqlstore"
)

// Name is the service's name in logs, traces, its SQLite file and its PostgreSQL schema.
const Name = "opportunity"

// Config is the opportunity service's configuration, read from MSISYNC_* variables.
type Config struct {
	// Addr is where the gRPC server listens (MSISYNC_OPPORTUNITY_ADDR).
	Addr string `env:"OPPORTUNITY_ADDR" envDefault:"127.0.0.1:9104"`
	// DatabaseURL, when set, overrides MSISYNC_DATABASE_URL for this service
	// (MSISYNC_OPPORTUNITY_DATABASE_URL).
	DatabaseURL config.Secret `env:"OPPORTUNITY_DATABASE_URL"`
	// Store is the shared storage configuration.
	Store config.Store
	// TLS authenticates this service's callers with mutual TLS (MSISYNC_INTERNAL_TLS,
	// MSISYNC_TLS_CA, MSISYNC_TLS_CERT, MSISYNC_TLS_KEY).
	TLS mtls.Config
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, config.CheckAddr("MSISYNC_OPPORTUNITY_ADDR", c.Addr))
	errs = append(errs, c.Store.Override(c.DatabaseURL).Validate())
	errs = append(errs, c.TLS.Validate(c.Store.DataDir))
	return errors.Join(errs...)
}

// Service is a built opportunity service.
type Service struct {
	grpcserver.Hosted
}

var _ runner.Service = (*Service)(nil)

// New opens and migrates the opportunity store and builds the gRPC server with both
// services registered.
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
		return nil, fmt.Errorf("opportunity store: %w", err)
	}
	key, err := st.Secret(ctx, "page-token")
	if err != nil {
		st.Close()
		return nil, err
	}
	srv := grpcserver.NewInternal(Name, log, creds.Transport())
	opportunityv1.RegisterOpportunityServiceServer(srv.GRPC, server.NewOpportunityServer(st, key))
	opportunityv1.RegisterOpportunityRoleServiceServer(srv.GRPC, server.NewRoleServer(st, key))
	return &Service{grpcserver.Hosted{Addr: cfg.Addr, Server: srv, Owned: st}}, nil
}
