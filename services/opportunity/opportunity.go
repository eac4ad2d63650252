// Package opportunity is the msisync opportunity service: it owns the opportunities and
// opportunity roles, steps 4 and 5 of the MSI sync order, and serves
// msisync.opportunity.v1.OpportunityService and msisync.opportunity.v1.OpportunityRoleService
// over gRPC.
//
// Health, server reflection and the rest of the standard gRPC runtime work; the service's own
// RPCs answer UNIMPLEMENTED until their behaviour lands. It has no store yet.
package opportunity

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/runner"
)

// Name is the service's name in logs and traces.
const Name = "opportunity"

// Config is the opportunity service's configuration, read from MSISYNC_* variables.
type Config struct {
	// Addr is where the gRPC server listens (MSISYNC_OPPORTUNITY_ADDR).
	Addr string `env:"OPPORTUNITY_ADDR" envDefault:"127.0.0.1:9104"`
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("MSISYNC_OPPORTUNITY_ADDR %q is not host:port", c.Addr)
	}
	return nil
}

// Service is a built opportunity service.
type Service struct {
	cfg Config
	srv *grpcserver.Server
}

var _ runner.Service = (*Service)(nil)

// New builds the gRPC server with every opportunity API registered; each RPC answers UNIMPLEMENTED
// until its behaviour lands.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	srv := grpcserver.New(Name, log)
	opportunityv1.RegisterOpportunityServiceServer(srv.GRPC, opportunityv1.UnimplementedOpportunityServiceServer{})
	opportunityv1.RegisterOpportunityRoleServiceServer(srv.GRPC, opportunityv1.UnimplementedOpportunityRoleServiceServer{})
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
