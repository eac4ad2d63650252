// Command identity runs the msisync identity service on its own. See the README for its
// MSISYNC_* settings.
package main

import (
	"context"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/runner"
	"github.com/msisync/msisync/services/identity"
)

func main() {
	runner.Main(identity.Name, func(ctx context.Context, env runner.Env) ([]runner.Service, error) {
		var cfg identity.Config
		if err := config.Load(&cfg); err != nil {
			return nil, err
		}
		config.LogEffective(env.Log, config.Section{Name: identity.Name, Config: cfg})
		svc, err := identity.New(ctx, cfg, env.Log)
		if err != nil {
			return nil, err
		}
		return []runner.Service{svc}, nil
	})
}
