package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/cli"
	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// demoClientID is the msisync API client the demo creates for itself and the connector.
const demoClientID = "demo"

// run is the whole demo; it returns when ctx ends (or after the summary with -exit).
func run(ctx context.Context, o options, out io.Writer) error {
	if err := os.RemoveAll(o.dataDir); err != nil {
		return fmt.Errorf("emptying %s: %w", o.dataDir, err)
	}
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil {
		return err
	}
	secret := randomSecret()

	// The simulated Dynamics org.
	start := time.Now()
	sim := simulator.New(simulator.Options{Seed: &simulator.SeedOptions{Random: int64(o.seed), Users: o.users, Accounts: o.accounts,
		Contacts: o.contacts, Leads: o.leads, Opportunities: o.opportunities}})
	seed := sim.SeedReport()
	ln, err := net.Listen("tcp", o.simAddr)
	if err != nil {
		return fmt.Errorf("the Dataverse simulator cannot listen on %s (%v): free the port or pass -sim", o.simAddr, err)
	}
	simURL := "http://" + ln.Addr().String()
	simSrv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = simSrv.Serve(ln) }()
	defer simSrv.Close()
	fmt.Fprintf(out, "Simulated Dynamics org at %s (generated in %s): %d users (%d disabled), %d accounts, %d contacts, %d leads, %d opportunities, %d stakeholder connections\n",
		simURL, time.Since(start).Round(time.Millisecond), seed.Users, seed.DisabledUsers, seed.Accounts, seed.Contacts, seed.Leads, seed.Opportunities, seed.StakeholderConnections)

	// The suite, as `make run` starts it, over the demo's data directory.
	proc, err := suiteproc.Start(ctx, suiteproc.Config{
		Binary: o.suite, DataDir: o.dataDir, LogPath: filepath.Join(o.dataDir, "suite.log"), HTTPAddr: o.httpAddr,
		ClientID: demoClientID, ClientSecret: secret, BuildHint: "run `make demo`, which builds it",
		// The connector polls its sync runs; the demo keeps Marketo's call limits out of its way.
		Env: []string{"MSISYNC_RATE_LIMIT_CALLS=0", "MSISYNC_MAX_CONCURRENCY=0", "MSISYNC_DAILY_QUOTA=0"},
	})
	if err != nil {
		return err
	}
	defer proc.Stop()
	fmt.Fprintf(out, "msisync suite running: REST gateway %s, logs in %s\n\n", proc.Base(), filepath.Join(o.dataDir, "suite.log"))

	logFile, err := os.Create(filepath.Join(o.dataDir, "connector.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	progress := cli.TerminalProgress(os.Stderr)
	cfg := connector.Config{
		URL: simURL, TokenURL: simURL + "/common/oauth2/v2.0/token", ClientID: "msisync-sim", ClientSecret: "sim-secret",
		SyncInterval: 30 * time.Second, WritebackInterval: 30 * time.Second, PageSize: 1000, MaxConcurrency: 8, BatchSize: 100,
		WritebackParallel: 4, PollInterval: 100 * time.Millisecond, OrchestratorAddr: proc.Addr("MSISYNC_ORCHESTRATOR_ADDR"),
		OrchestratorClientID: demoClientID, OrchestratorClientSecret: config.Secret(secret),
		Store: config.Store{DataDir: o.dataDir, SQLiteSynchronous: "NORMAL"},
	}
	conn, err := connector.New(ctx, cfg, connector.Options{Log: slog.New(slog.NewTextHandler(logFile, nil)), Progress: progress.Event})
	if err != nil {
		return err
	}
	defer conn.Close()

	stepCtx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	fmt.Fprintln(out, "1. Full sync of the Dynamics org (sales persons → companies → leads and contacts → opportunities → roles)")
	rep, err := conn.SyncOnce(stepCtx)
	progress.Finish()
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	cli.PrintSync(out, rep)
	fmt.Fprintf(out, "   %.0f entities/s pulled and applied\n\n", float64(rep.Pulled())/rep.Finished.Sub(rep.Started).Seconds())

	api := suiteproc.NewClient(proc.Base(), demoClientID, secret, 4)
	if err := api.Authenticate(stepCtx); err != nil {
		return err
	}
	fmt.Fprintln(out, "2. Activity: interesting moments and score changes through the REST API, then a tier recompute")
	act, err := generateActivity(stepCtx, api, sim, o)
	if err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	fmt.Fprintf(out, "   %d score changes and %d interesting moments for %d people; %d leads changed tier\n\n", act.scoreChanges, act.moments, act.people, act.tierChanges)

	fmt.Fprintln(out, "3. Writeback of the MSI fields to Dynamics ($batch PATCH, If-Match: *)")
	wb, err := conn.WritebackOnce(stepCtx)
	progress.Finish()
	if err != nil {
		return fmt.Errorf("writeback: %w", err)
	}
	fmt.Fprintf(out, "   %s\n\n", wb)

	fmt.Fprintln(out, "4. Summary")
	if err := summarize(stepCtx, out, api, sim, rep, wb); err != nil {
		return err
	}
	explore(out, proc.Base(), simURL, proc.Addr("MSISYNC_ORCHESTRATOR_ADDR"), secret, o)
	if o.exit {
		return nil
	}
	fmt.Fprintln(out, "The connector keeps syncing every 30 s. Press Ctrl-C to stop the demo.")
	if err := conn.Watch(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// randomSecret is a fresh API client secret for this demo run.
func randomSecret() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// explore prints where to look next.
func explore(out io.Writer, base, simURL, grpcAddr, secret string, o options) {
	fmt.Fprintf(out, `
Explore:
  REST gateway      %[1]s   (API client %[4]s / %[5]s)
  token             export TOKEN=$(curl -s '%[1]s/identity/oauth/token?grant_type=client_credentials&client_id=%[4]s&client_secret=%[5]s' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  a lead's MSI      curl -s -H "Authorization: Bearer $TOKEN" '%[1]s/rest/v1/leads.json?filterType=externalPersonId&filterValues=<contact id>&fields=email,priority,relativeScore,relativeUrgency,msiLastInterestingMomentDesc'
  CRM findings      curl -s -H "Authorization: Bearer $TOKEN" '%[1]s/v1/crm/findings'
  parked records    curl -s -H "Authorization: Bearer $TOKEN" '%[1]s/v1/pending'
  diagnostics       curl -s -H "Authorization: Bearer $TOKEN" '%[1]s/v1/diagnostics/persons/<contact id>'
  gRPC              go tool grpcurl -plaintext %[3]s list
  Dynamics (sim)    %[2]s/api/data/v9.2/   (token: POST %[2]s/common/oauth2/v2.0/token, client msisync-sim / sim-secret)
  data and logs     %[6]s
`, base, simURL, grpcAddr, demoClientID, secret, o.dataDir)
}
