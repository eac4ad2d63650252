// Package person is the msisync person service: it owns the leads (CRM leads and contacts),
// step 3 of the MSI sync order, and serves msisync.person.v1.LeadService over gRPC.
package person

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/platform/runner"
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
	var errs []error
	errs = append(errs, config.CheckAddr("MSISYNC_PERSON_ADDR", c.Addr))
	errs = append(errs, c.Store.Override(c.DatabaseURL).Validate())
	errs = append(errs, c.TLS.Validate(c.Store.DataDir))
	return errors.Join(errs...)
}

// Service is a built person service.
type Service struct {
	grpcserver.Hosted
}

var _ runner.Service = (*Service)(nil)

// New opens and migrates the person store and builds the gRPC server.
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
		return nil, fmt.Errorf("person store: %w", err)
	}
	key, err := st.Secret(ctx, "page-token")
	if err != nil {
		st.Close()
		return nil, err
	}
	srv := grpcserver.NewInternal(Name, log, creds.Transport())
	personv1.RegisterLeadServiceServer(srv.GRPC, server.New(st, key))
	return &Service{grpcserver.Hosted{Addr: cfg.Addr, Server: srv, Owned: st}}, nil
}
