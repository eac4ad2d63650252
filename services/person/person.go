// Package person is the msisync person service: it owns the leads (CRM leads and contacts),
// step 3 of the MSI sync order, and serves msisync.person.v1.LeadService over gRPC.
package person

import (
	"context"
	"log/slog"

	"google.golang.org/grpc"

	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/services/person/internal/server"
	"github.com/msisync/msisync/services/person/internal/store/sqlstore"
)

// Name is the service's name in logs, traces, its SQLite file and its PostgreSQL schema.
const Name = "person"

// Config is the person service's configuration, read from MSISYNC_* variables.
type Config struct {
	// Addr is where the gRPC server listens (MSISYNC_PERSON_ADDR).
	Addr string `env:"PERSON_ADDR" envDefault:"127.0.0.1:9103"`
	// DatabaseURL, when set, overrides MSISYNC_DATABASE_URL for this service
	// (MSISYNC_PERSON_DATABASE_URL).
	DatabaseURL config.Secret `env:"PERSON_DATABASE_URL"`
	// Store is the shared storage configuration.
	Store config.Store
	// TLS authenticates this service's callers with mutual TLS (MSISYNC_INTERNAL_TLS,
	// MSISYNC_TLS_CA, MSISYNC_TLS_CERT, MSISYNC_TLS_KEY).
	TLS mtls.Config
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	return grpcserver.CheckHosting("MSISYNC_PERSON_ADDR", c.Addr, c.Store.Override(c.DatabaseURL), c.TLS)
}

// Service is a built person service: its gRPC server and the store it owns.
type Service = grpcserver.Hosted

// New opens and migrates the person store and builds the gRPC server.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	svc, _, err := grpcserver.Host(ctx, Name, cfg.Addr, cfg.TLS, cfg.Store.Override(cfg.DatabaseURL), log, sqlstore.Open,
		func(g *grpc.Server, st *sqlstore.Store, key []byte) {
			personv1.RegisterLeadServiceServer(g, server.New(st, key))
		})
	return svc, err
}
