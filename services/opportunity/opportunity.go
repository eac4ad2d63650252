// Package opportunity is the msisync opportunity service: it owns the opportunities and
// opportunity roles, steps 4 and 5 of the MSI sync order, and serves
// msisync.opportunity.v1.OpportunityService and msisync.opportunity.v1.OpportunityRoleService
// over gRPC.
package opportunity

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/mtls"
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
	return grpcserver.CheckHosting("MSISYNC_OPPORTUNITY_ADDR", c.Addr, c.Store.Override(c.DatabaseURL), c.TLS)
}

// Service is a built opportunity service: its gRPC server and the store it owns.
type Service = grpcserver.Hosted

// New opens and migrates the opportunity store and builds the gRPC server with both
// services registered.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	svc, _, err := grpcserver.Host(ctx, Name, cfg.Addr, cfg.TLS, cfg.Store.Override(cfg.DatabaseURL), log, sqlstore.Open,
		func(g *grpc.Server, st *sqlstore.Store, key []byte) {
			opportunityv1.RegisterOpportunityServiceServer(g, server.NewOpportunityServer(st, key))
			opportunityv1.RegisterOpportunityRoleServiceServer(g, server.NewRoleServer(st, key))
		})
	return svc, err
}
