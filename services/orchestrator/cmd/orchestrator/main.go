// Command orchestrator runs the msisync orchestrator and its REST gateway on their own.
// See the README for its MSISYNC_* settings.
package main

import (
	"context"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/runner"
	"github.com/msisync/msisync/services/orchestrator"
)

func main() {
	runner.Main(orchestrator.Name, func(ctx context.Context, env runner.Env) ([]runner.Service, error) {
		var cfg orchestrator.Config
		if err := config.Load(&cfg); err != nil {
			return nil, err
		}
		config.LogEffective(env.Log, config.Section{Name: orchestrator.Name, Config: cfg.Effective()})
		svc, err := orchestrator.New(ctx, cfg, env.Log, env.Telemetry.Metrics)
		if err != nil {
			return nil, err
		}
		return []runner.Service{svc}, nil
	})
}
