// Package account is the msisync account service: it owns the companies (CRM accounts),
// step 2 of the MSI sync order, and serves msisync.account.v1.CompanyService over gRPC.
//
// Health, server reflection and the rest of the standard gRPC runtime work; the service's own
// RPCs answer UNIMPLEMENTED until their behaviour lands. It has no store yet.
package account

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/runner"
)

// Name is the service's name in logs and traces.
const Name = "account"

// Config is the account service's configuration, read from MSISYNC_* variables.
type Config struct {
	// Addr is where the gRPC server listens (MSISYNC_ACCOUNT_ADDR).
	Addr string `env:"ACCOUNT_ADDR" envDefault:"127.0.0.1:9102"`
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("MSISYNC_ACCOUNT_ADDR %q is not host:port", c.Addr)
	}
	return nil
}

// Service is a built account service.
type Service struct {
	cfg Config
	srv *grpcserver.Server
}

var _ runner.Service = (*Service)(nil)

// New builds the gRPC server with every account API registered; each RPC answers UNIMPLEMENTED
// until its behaviour lands.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	srv := grpcserver.New(Name, log)
	accountv1.RegisterCompanyServiceServer(srv.GRPC, accountv1.UnimplementedCompanyServiceServer{})
	return &Service{cfg: cfg, srv: srv}, nil
}

// Run implements runner.Service.
func (s *Service) Run(ctx context.Context) error { return s.srv.Serve(ctx, s.cfg.Addr) }

// Serve serves on lis until ctx ends (tests use it with a listener on a free port).
func (s *Service) Serve(ctx context.Context, lis net.Listener) error {
	return s.srv.ServeListener(ctx, lis)
}

// Close implements runner.Service. The service holds nothing to release yet.
func (s *Service) Close() error { return nil }
