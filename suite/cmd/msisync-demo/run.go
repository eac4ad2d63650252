package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/cli"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
	"github.com/msisync/msisync/suite/internal/dynenv"
)

// run is the whole demo; it returns when ctx ends (or after the summary with -exit).
func run(ctx context.Context, o options, out io.Writer) error {
	progress := cli.TerminalProgress(os.Stderr)
	start := time.Now()
	env, err := dynenv.Start(ctx, dynenv.Options{
		Suite: o.suite, BuildHint: "run `make demo`, which builds it", DataDir: o.dataDir, HTTPAddr: o.httpAddr, SimAddr: o.simAddr,
		Seed:     simulator.SeedOptions{Random: int64(o.seed), Users: o.users, Accounts: o.accounts, Contacts: o.contacts, Leads: o.leads, Opportunities: o.opportunities},
		Progress: progress.Event, SuiteEnv: []string{demoCustomFields}, Configure: useScope,
	})
	if err != nil {
		return err
	}
	defer env.Close()
	seed := env.Sim.SeedReport()
	fmt.Fprintf(out, "Simulated Dynamics org at %s: %d users (%d disabled), %d accounts, %d contacts, %d leads, %d opportunities, %d stakeholder connections\n",
		env.SimURL, seed.Users, seed.DisabledUsers, seed.Accounts, seed.Contacts, seed.Leads, seed.Opportunities, seed.StakeholderConnections)
	fmt.Fprintf(out, "msisync suite running: REST gateway %s, logs in %s (started in %s)\n\n", env.Suite.Base(), o.dataDir, time.Since(start).Round(time.Millisecond))
	coloured, err := colourContacts(env)
	if err != nil {
		return err
	}

	stepCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	fmt.Fprintln(out, "1. Full sync of the Dynamics org (sales persons → companies → leads and contacts → opportunities → roles)")
	rep, err := env.Conn.SyncOnce(stepCtx)
	progress.Finish()
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	cli.PrintSync(out, rep)
	fmt.Fprintf(out, "   %.0f entities/s pulled and applied\n\n", float64(rep.Pulled())/rep.Finished.Sub(rep.Started).Seconds())
	if err := changeMapping(stepCtx, out, env, o.dataDir, coloured); err != nil {
		return err
	}
	progress.Finish()

	fmt.Fprintln(out, "2. Activity: interesting moments and score changes through the REST API, then a tier recompute")
	act, err := env.RecordActivity(stepCtx, o.active, uint64(o.seed))
	if err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	fmt.Fprintf(out, "   %d score changes and %d interesting moments for %d people; %d leads changed tier\n\n", act.ScoreChanges, act.Moments, act.People, act.TierChanges)

	fmt.Fprintln(out, "3. Writeback of the MSI fields to Dynamics ($batch PATCH, If-Match: *)")
	wb, err := env.Conn.WritebackOnce(stepCtx)
	progress.Finish()
	if err != nil {
		return fmt.Errorf("writeback: %w", err)
	}
	fmt.Fprintf(out, "   %s\n\n", wb)

	fmt.Fprintln(out, "4. Summary")
	example := "<contact id>"
	if err := summarize(stepCtx, out, env.API, env.Sim, rep, wb, &example); err != nil {
		return err
	}
	printSettings(out, env.Config())
	explore(out, env.Suite.Base(), env.SimURL, env.Suite.Addr("MSISYNC_ORCHESTRATOR_ADDR"), env.Secret, example, o)
	if o.exit {
		return nil
	}
	fmt.Fprintln(out, "The connector keeps syncing every 30 s. Press Ctrl-C to stop the demo.")
	if err := env.Conn.Watch(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// explore prints where to look next.
func explore(out io.Writer, base, simURL, grpcAddr, secret, person string, o options) {
	fmt.Fprintf(out, `
Explore:
  REST gateway      %[1]s   (API client %[4]s / %[5]s)
  token             export TOKEN=$(curl -s '%[1]s/identity/oauth/token?grant_type=client_credentials&client_id=%[4]s&client_secret=%[5]s' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  a lead's MSI      curl -s -H "Authorization: Bearer $TOKEN" '%[1]s/rest/v1/leads.json?filterType=externalPersonId&filterValues=%[7]s&fields=email,priority,relativeScore,relativeUrgency,msiLastInterestingMomentDesc'
  CRM findings      curl -s -H "Authorization: Bearer $TOKEN" '%[1]s/v1/crm/findings'
  parked records    curl -s -H "Authorization: Bearer $TOKEN" '%[1]s/v1/pending'
  diagnostics       curl -s -H "Authorization: Bearer $TOKEN" '%[1]s/v1/diagnostics/persons/%[7]s'
  gRPC              go tool grpcurl -plaintext %[3]s list
  Dynamics (sim)    %[2]s/api/data/v9.2/   (token: POST %[2]s/common/oauth2/v2.0/token, client msisync-sim / sim-secret)
  data and logs     %[6]s

Console             %[1]s/console/   (sign in as %[4]s / %[5]s)
  a person and MSI  %[1]s/console/persons/%[7]s
  the MSI panel     %[1]s/console/msi/persons/%[7]s
  parked records    %[1]s/console/pending
`, base, simURL, grpcAddr, dynenv.ClientID, secret, o.dataDir, person)
}
