// Command person runs the msisync person service on its own. See the README for its
// MSISYNC_* settings.
package main

import (
	"context"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/runner"
	"github.com/msisync/msisync/services/person"
)

func main() {
	runner.Main(person.Name, func(ctx context.Context, env runner.Env) ([]runner.Service, error) {
		var cfg person.Config
		if err := config.Load(&cfg); err != nil {
			return nil, err
		}
		config.LogEffective(env.Log, config.Section{Name: person.Name, Config: cfg})
		svc, err := person.New(ctx, cfg, env.Log)
		if err != nil {
			return nil, err
		}
		return []runner.Service{svc}, nil
	})
}
