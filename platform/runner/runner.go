// Package runner is the main of every msisync binary: it reads the process-wide settings,
// sets up logging and telemetry, builds the service(s), runs them until SIGINT or SIGTERM,
// and stops them gracefully. Errors are printed once and the process exits once.
package runner

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/msisync/msisync/platform/buildinfo"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/logging"
	"github.com/msisync/msisync/platform/telemetry"
)

// Service is a built, validated service ready to run.
type Service interface {
	// Run serves until ctx ends, then stops gracefully.
	Run(ctx context.Context) error
	// Close releases what the service holds (its database); called after Run returns.
	Close() error
}

// Process holds the settings every msisync process reads.
type Process struct {
	// Log configures the logs.
	Log config.Log
	// MetricsAddr, when set, serves Prometheus metrics at /metrics on this address (the
	// gateway always serves them on its own address too).
	MetricsAddr string `env:"METRICS_ADDR"`
}

// Env is what a service's build function receives.
type Env struct {
	// Log is the process logger.
	Log *slog.Logger
	// Telemetry owns the tracer and meter providers; its Metrics handler serves /metrics.
	Telemetry *telemetry.Telemetry
}

// defaultGCPercent is the garbage collector's target when GOGC is not set. The services keep
// a small live heap and answer latency-sensitive reads; collecting four times less often
// than Go's default of 100 cuts the read-back tail in `make bench` for a few more MB of
// memory. GOGC still overrides it.
const defaultGCPercent = 400

// Main runs the services that build returns and exits the process: 0 after a clean stop, 1
// after an error. name identifies the binary in logs and traces.
func Main(name string, build func(ctx context.Context, env Env) ([]Service, error)) {
	if done, code := buildinfo.Args(name, usage(name), os.Args[1:], os.Stdout, os.Stderr); done {
		os.Exit(code)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, name, build)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name string, build func(ctx context.Context, env Env) ([]Service, error)) error {
	var p Process
	if err := config.Load(&p); err != nil {
		return err
	}
	if err := p.Log.Validate(); err != nil {
		return err
	}
	log := logging.New(os.Stderr, p.Log)
	slog.SetDefault(log)
	// The build function logs its services' sections (see config.LogEffective).
	config.LogEffective(log, config.Section{Name: "process", Config: p})
	tel, err := telemetry.Setup(ctx, "msisync-"+name)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			log.Warn("flushing telemetry", "error", err)
		}
	}()

	services, err := build(ctx, Env{Log: log, Telemetry: tel})
	defer func() {
		for _, s := range services {
			if err := s.Close(); err != nil {
				log.Warn("closing service", "error", err)
			}
		}
	}()
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	for _, s := range services {
		g.Go(func() error { return s.Run(gctx) })
	}
	if p.MetricsAddr != "" {
		g.Go(func() error { return telemetry.Serve(gctx, "MSISYNC_METRICS_ADDR", p.MetricsAddr, tel.Metrics) })
	}
	log.Info("msisync started", "binary", name)
	err = g.Wait()
	log.Info("msisync stopped", "binary", name)
	return err
}
