// Package grpcclient dials the other msisync services over the configured address (loopback
// in the all-in-one mode), traced with OpenTelemetry: the internal services with mutual TLS
// (DialInternal), the orchestrator's public API in plaintext with a bearer token per call
// (Dial).
package grpcclient

import (
	"fmt"
	"net"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// maxMessageBytes matches the servers' limit.
const maxMessageBytes = 16 << 20

// Dial returns a plaintext client connection to target (host:port): the orchestrator's
// public API, whose calls carry a bearer token. It connects lazily, so the service behind
// it may start later; calls wait for it until their deadline.
func Dial(target string) (*grpc.ClientConn, error) {
	return dial(target, insecure.NewCredentials())
}

// DialInternal returns a client connection to the internal service at target, secured by
// creds (mutual TLS from platform/mtls). A wildcard host (0.0.0.0, ::, none), which the
// all-in-one process may have been told to listen on, is dialled on loopback. Like Dial, it
// connects lazily. opts add to the connection's options (an interceptor, say).
func DialInternal(target string, creds credentials.TransportCredentials, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	if host, port, err := net.SplitHostPort(target); err == nil {
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			target = net.JoinHostPort("127.0.0.1", port)
		}
	}
	return dial(target, creds, opts...)
}

func dial(target string, creds credentials.TransportCredentials, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(target, append([]grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithFilter(filters.Not(filters.HealthCheck())))),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)),
	}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("dialling %s: %w", target, err)
	}
	return conn, nil
}
