// Package grpcserver builds the gRPC server every msisync service runs: health
// (grpc.health.v1), server reflection, OpenTelemetry stats handlers, structured call logs,
// panic recovery, one error boundary, and graceful shutdown.
package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/platform/config"
)

// ShutdownGrace is how long Serve waits for running calls after its context ends before it
// cuts them off.
const ShutdownGrace = 10 * time.Second

// handshakeTimeout bounds a new connection's TLS and HTTP/2 handshake (gRPC's default is 120 s).
const handshakeTimeout = 10 * time.Second

// maxConnectionIdle is how long a connection may go without calls before it is closed.
const maxConnectionIdle = 15 * time.Minute

// maxConcurrentStreams bounds the calls running at once on one connection.
const maxConcurrentStreams = 1024

// maxMessageBytes bounds one message: 300 records with their fields fit with room to spare.
const maxMessageBytes = 16 << 20

// Server is a gRPC server with msisync's standard services and interceptors.
type Server struct {
	// GRPC is the server to register the service's APIs on before Serve.
	GRPC   *grpc.Server
	health *health.Server
	log    *slog.Logger
	name   string
}

// New returns a plaintext server for the named service: the orchestrator's public API,
// which authenticates every call with a bearer token. extra interceptors run innermost,
// after the standard chain, in the order given (the orchestrator's authentication, for
// example).
func New(name string, log *slog.Logger, extra ...grpc.UnaryServerInterceptor) *Server {
	return build(name, log, nil, extra)
}

// NewInternal returns the server of an internal service (identity, account, person,
// opportunity, scoring), whose connections are secured by creds: mutual TLS from
// platform/mtls, so that only callers holding a certificate of the suite's CA get through,
// to the service's API and to health and reflection alike.
func NewInternal(name string, log *slog.Logger, creds credentials.TransportCredentials) *Server {
	return build(name, log, creds, nil)
}

func build(name string, log *slog.Logger, creds credentials.TransportCredentials, extra []grpc.UnaryServerInterceptor) *Server {
	log = log.With("service", name)
	// The chain, outermost first:
	//  1. recovery turns a panic anywhere below into INTERNAL, so one bad request never takes
	//     the process down, and logs the panic;
	//  2. logging records every finished call with its code and duration (health checks are
	//     left out: load balancers call them constantly);
	//  3. the error boundary maps every error that is not already a gRPC status to one,
	//     logging internal causes and never returning them;
	//  4. the service's own interceptors, which may therefore return plain errors too.
	unary := []grpc.UnaryServerInterceptor{
		recovery.UnaryServerInterceptor(recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
			log.ErrorContext(ctx, "panic in gRPC handler", "panic", fmt.Sprint(p))
			return status.Error(codes.Internal, "internal error")
		})),
		logging.UnaryServerInterceptor(slogAdapter(log), logging.WithLogOnEvents(logging.FinishCall), logging.WithLevels(callLevel)),
		errorBoundary(log),
	}
	unary = append(unary, extra...)
	stream := []grpc.StreamServerInterceptor{
		recovery.StreamServerInterceptor(recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
			log.ErrorContext(ctx, "panic in gRPC stream handler", "panic", fmt.Sprint(p))
			return status.Error(codes.Internal, "internal error")
		})),
	}
	opts := []grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithFilter(filters.Not(filters.HealthCheck())))),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.MaxRecvMsgSize(maxMessageBytes),
		grpc.MaxSendMsgSize(maxMessageBytes),
		// No client holds a connection for nothing: one that has not finished its (TLS and)
		// HTTP/2 handshake in time is closed, one without calls for a long while is sent
		// GOAWAY (clients reconnect on their next call), and one connection may not run
		// more calls at once than the gateway's connection cap allows HTTP requests.
		grpc.ConnectionTimeout(handshakeTimeout),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: maxConnectionIdle}),
		grpc.MaxConcurrentStreams(maxConcurrentStreams),
	}
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	g := grpc.NewServer(opts...)
	h := health.NewServer()
	healthpb.RegisterHealthServer(g, h)
	reflection.Register(g)
	return &Server{GRPC: g, health: h, log: log, name: name}
}

// Serve listens on addr and serves until ctx ends, then stops gracefully.
func (s *Server) Serve(ctx context.Context, addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return config.ListenError(s.name, "MSISYNC_"+strings.ToUpper(s.name)+"_ADDR", addr, err)
	}
	return s.ServeListener(ctx, lis)
}

// ServeListener serves on lis until ctx ends, then marks every service NOT_SERVING, lets
// running calls finish for up to ShutdownGrace, and stops. Every registered service reports
// SERVING from the moment it starts.
func (s *Server) ServeListener(ctx context.Context, lis net.Listener) error {
	for svc := range s.GRPC.GetServiceInfo() {
		s.health.SetServingStatus(svc, healthpb.HealthCheckResponse_SERVING)
	}
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)

	errc := make(chan error, 1)
	go func() { errc <- s.GRPC.Serve(lis) }()
	s.log.InfoContext(ctx, "gRPC server listening", "addr", lis.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("%s: serving gRPC: %w", s.name, err)
	case <-ctx.Done():
	}
	s.health.Shutdown()
	stopped := make(chan struct{})
	go func() {
		s.GRPC.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(ShutdownGrace):
		s.log.Warn("gRPC calls still running after the grace period; stopping them")
		s.GRPC.Stop()
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return fmt.Errorf("%s: serving gRPC: %w", s.name, err)
	}
	s.log.Info("gRPC server stopped")
	return nil
}

// errorBoundary is the one place where a service's errors become gRPC statuses: statuses
// (and errors that carry one) pass through; context errors become CANCELLED or
// DEADLINE_EXCEEDED; anything else is an internal fault, logged with its cause and returned
// as a bare INTERNAL.
func errorBoundary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err == nil {
			return resp, nil
		}
		return nil, ToStatus(ctx, log, info.FullMethod, err)
	}
}

// ToStatus converts err as the error boundary does. Exported for streaming handlers and tests.
func ToStatus(ctx context.Context, log *slog.Logger, method string, err error) error {
	var withStatus interface{ GRPCStatus() *status.Status }
	switch {
	case errors.As(err, &withStatus) && withStatus.GRPCStatus().Code() != codes.OK:
		return withStatus.GRPCStatus().Err()
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "the call was cancelled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "the call ran out of time")
	}
	log.ErrorContext(ctx, "internal error", "method", method, "error", err)
	return status.Error(codes.Internal, "internal error")
}

func callLevel(code codes.Code) logging.Level {
	switch code {
	case codes.OK, codes.NotFound, codes.InvalidArgument, codes.AlreadyExists, codes.Unauthenticated,
		codes.PermissionDenied, codes.FailedPrecondition, codes.Canceled, codes.ResourceExhausted:
		return logging.LevelDebug
	case codes.Unimplemented, codes.DeadlineExceeded, codes.Unavailable:
		return logging.LevelWarn
	}
	return logging.LevelError
}

// slogAdapter lets go-grpc-middleware's logging interceptor write through slog, leaving
// health checks out.
func slogAdapter(l *slog.Logger) logging.Logger {
	return logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "grpc.service" && fields[i+1] == healthpb.Health_ServiceDesc.ServiceName {
				return
			}
		}
		l.Log(ctx, slog.Level(lvl), msg, fields...)
	})
}
