package grpcserver

import (
	"context"
	"io"
	"net"
)

// Hosted is a service's gRPC server bound to its configured address, with what the service
// owns (its store) closed after it stops. A storage-backed service embeds it to be a
// runner.Service.
type Hosted struct {
	// Addr is where Run listens.
	Addr string
	// Server is the service's gRPC server, its APIs registered.
	Server *Server
	// Owned is closed by Close; nil when the service owns nothing.
	Owned io.Closer
}

// Run serves on Addr until ctx ends.
func (h *Hosted) Run(ctx context.Context) error { return h.Server.Serve(ctx, h.Addr) }

// Serve serves on lis until ctx ends (tests use it with a listener on a free port).
func (h *Hosted) Serve(ctx context.Context, lis net.Listener) error {
	return h.Server.ServeListener(ctx, lis)
}

// Close releases what the service owns; call it after Run returns.
func (h *Hosted) Close() error {
	if h.Owned == nil {
		return nil
	}
	return h.Owned.Close()
}
