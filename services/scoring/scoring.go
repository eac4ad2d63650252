// Package scoring is the msisync scoring service: it owns the interesting moments, the score
// events, the derived MSI fields (lead score, urgency, relative score, priority) and the
// writeback change feed, and serves msisync.scoring.v1.ScoringService over gRPC.
//
// Health, server reflection and the rest of the standard gRPC runtime work; the service's own
// RPCs answer UNIMPLEMENTED until their behaviour lands. It has no store yet.
package scoring

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/grpcserver"
	"github.com/msisync/msisync/platform/runner"
)

// Name is the service's name in logs and traces.
const Name = "scoring"

// Config is the scoring service's configuration, read from MSISYNC_* variables.
type Config struct {
	// Addr is where the gRPC server listens (MSISYNC_SCORING_ADDR).
	Addr string `env:"SCORING_ADDR" envDefault:"127.0.0.1:9105"`
}

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("MSISYNC_SCORING_ADDR %q is not host:port", c.Addr)
	}
	return nil
}

// Service is a built scoring service.
type Service struct {
	cfg Config
	srv *grpcserver.Server
}

var _ runner.Service = (*Service)(nil)

// New builds the gRPC server with every scoring API registered; each RPC answers UNIMPLEMENTED
// until its behaviour lands.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	srv := grpcserver.New(Name, log)
	scoringv1.RegisterScoringServiceServer(srv.GRPC, scoringv1.UnimplementedScoringServiceServer{})
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
