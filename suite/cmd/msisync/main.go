// Command msisync runs the whole suite in one process — the six services, each on its own
// gRPC listener, talking to each other over real gRPC on loopback — with the REST gateway
// on MSISYNC_HTTP_ADDR and SQLite under MSISYNC_DATA_DIR (or PostgreSQL with
// MSISYNC_DATABASE_URL). It is what `make run` starts. See the README for every setting.
//
// `msisync dynamics sync --once|--watch` runs the Dynamics 365 connector instead (see
// `msisync dynamics --help`), `msisync marketo check` checks the connection to a customer's
// Marketo instance (`msisync marketo --help`), and `msisync certs -dir DIR` writes the
// development CA and certificates the internal services authenticate each other with
// (`msisync certs -help`).
package main

import (
	"context"
	"os"
	"strings"

	"github.com/msisync/msisync/connectors/dynamics/cli"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/runner"
	"github.com/msisync/msisync/services/account"
	"github.com/msisync/msisync/services/identity"
	"github.com/msisync/msisync/services/opportunity"
	"github.com/msisync/msisync/services/orchestrator"
	"github.com/msisync/msisync/services/person"
	"github.com/msisync/msisync/services/scoring"
)

// suiteConfig gathers every service's configuration; each reads its own MSISYNC_* names.
type suiteConfig struct {
	Identity     identity.Config
	Account      account.Config
	Person       person.Config
	Opportunity  opportunity.Config
	Scoring      scoring.Config
	Orchestrator orchestrator.Config
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "dynamics" {
		os.Exit(cli.Main("msisync dynamics", os.Args[2:]))
	}
	if len(os.Args) > 1 && os.Args[1] == "marketo" {
		os.Exit(marketoMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "certs" {
		os.Exit(certsMain(os.Args[2:], os.Stdout, os.Stderr))
	}
	runner.Main("msisync", func(ctx context.Context, env runner.Env) ([]runner.Service, error) {
		var cfg suiteConfig
		if err := config.Load(&cfg); err != nil {
			return nil, err
		}
		defaultScoringSource(&cfg.Scoring, os.LookupEnv)
		// One line per service; the settings they share appear in the first that reads them.
		config.LogEffective(env.Log,
			config.Section{Name: identity.Name, Config: cfg.Identity},
			config.Section{Name: account.Name, Config: cfg.Account},
			config.Section{Name: person.Name, Config: cfg.Person},
			config.Section{Name: opportunity.Name, Config: cfg.Opportunity},
			config.Section{Name: scoring.Name, Config: cfg.Scoring},
			config.Section{Name: orchestrator.Name, Config: cfg.Orchestrator.Effective()})
		var built []runner.Service
		add := func(s runner.Service, err error) error {
			if err != nil {
				return err
			}
			built = append(built, s)
			return nil
		}
		steps := []func() error{
			func() error { return add(identity.New(ctx, cfg.Identity, env.Log)) },
			func() error { return add(account.New(ctx, cfg.Account, env.Log)) },
			func() error { return add(person.New(ctx, cfg.Person, env.Log)) },
			func() error { return add(opportunity.New(ctx, cfg.Opportunity, env.Log)) },
			func() error { return add(scoring.New(ctx, cfg.Scoring, env.Log)) },
			func() error { return add(orchestrator.New(ctx, cfg.Orchestrator, env.Log, env.Telemetry.Metrics)) },
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return built, err
			}
		}
		return built, nil
	})
}

// defaultScoringSource makes the customer's Marketo the scoring source when msisync
// forwards to it (MSISYNC_MARKETO_URL is set) and MSISYNC_SCORING_SOURCE is not set: the
// one process then stores Marketo's MSI values instead of computing its own.
func defaultScoringSource(cfg *scoring.Config, lookup func(string) (string, bool)) {
	if _, set := lookup(config.Prefix + "SCORING_SOURCE"); set {
		return
	}
	if url, _ := lookup(config.Prefix + "MARKETO_URL"); strings.TrimSpace(url) != "" {
		cfg.Source = scoring.SourceMarketo
	}
}
