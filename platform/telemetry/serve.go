package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/msisync/msisync/platform/config"
)

// Serve serves h at GET /metrics on addr until ctx ends (MSISYNC_METRICS_ADDR and the
// connector's MSISYNC_DYNAMICS_METRICS_ADDR), then stops gracefully. variable names the
// setting in the error a busy or bad address gives.
func Serve(ctx context.Context, variable, addr string, h http.Handler) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return config.ListenError("metrics", variable, addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving metrics on %s (%s): %w", addr, variable, err)
	}
	<-stopped
	return nil
}
