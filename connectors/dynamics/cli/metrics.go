package cli

import (
	"context"
	"errors"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/telemetry"
)

// process holds the connector process's own settings.
type process struct {
	// Log configures the logs (MSISYNC_LOG_LEVEL, MSISYNC_LOG_FORMAT).
	Log config.Log
	// MetricsAddr, when set, serves the connector's Prometheus metrics at /metrics on this
	// address in --watch mode (MSISYNC_DYNAMICS_METRICS_ADDR). It is not the suite's
	// MSISYNC_METRICS_ADDR, so that the two processes can share one environment.
	MetricsAddr string `env:"DYNAMICS_METRICS_ADDR"`
}

// Validate reports a setting that cannot work.
func (p process) Validate() error {
	var errs []error
	errs = append(errs, p.Log.Validate())
	if p.MetricsAddr != "" {
		errs = append(errs, config.CheckAddr("MSISYNC_DYNAMICS_METRICS_ADDR", p.MetricsAddr))
	}
	return errors.Join(errs...)
}

// watchServingMetrics runs the connector's watch loop and, when addr is set, serves its
// metrics (and the Go runtime's) at /metrics on addr until ctx ends.
func watchServingMetrics(ctx context.Context, c *connector.Connector, addr string, log *slog.Logger) error {
	if addr == "" {
		return c.Watch(ctx)
	}
	// The connector's instruments were made from the global provider before this sets it:
	// OpenTelemetry's global provider hands them over to the one set.
	tel, err := telemetry.Setup(ctx, "msisync-dynamics")
	if err != nil {
		return err
	}
	defer func() {
		if err := tel.Shutdown(context.WithoutCancel(ctx)); err != nil {
			log.Warn("flushing telemetry", "error", err)
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.Watch(gctx) })
	g.Go(func() error {
		log.InfoContext(gctx, "serving the connector's metrics", "addr", addr)
		return telemetry.Serve(gctx, "MSISYNC_DYNAMICS_METRICS_ADDR", addr, tel.Metrics)
	})
	return g.Wait()
}
