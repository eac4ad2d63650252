// Command msisync-bench-dynamics measures the Dynamics connector against the Dataverse
// simulator: entities per second pulled from Dynamics and applied by the suite, for the
// initial load of a generated org and for an incremental change set, and MSI rows per
// second written back. `make bench` runs it.
//
// It starts the suite binary (-suite) over a fresh data directory, a simulator seeded with
// the default org (50 users, 2,000 accounts, 20,000 contacts, 5,000 leads, 3,000
// opportunities), and the connector between them; all traffic stays on loopback. The exit
// status is non-zero only on errors. Every flag has an environment default
// (MSISYNC_BENCH_DYNAMICS_<FLAG>).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/cli"
	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
	"github.com/msisync/msisync/platform/buildinfo"
	"github.com/msisync/msisync/suite/internal/dynenv"
	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// options are the command-line settings.
type options struct {
	suite                                           string
	users, accounts, contacts, leads, opportunities int
	changes, active                                 int
	profile, databaseURL                            string
	timeout, latency                                time.Duration
	webhookChanges                                  int
	webhookDebounce                                 time.Duration
}

func main() {
	suiteproc.Main("msisync-bench-dynamics", parseFlags, func(o options) time.Duration { return o.timeout }, run)
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("msisync-bench-dynamics", flag.ContinueOnError)
	ef := &suiteproc.EnvFlags{FS: fs, Prefix: "MSISYNC_BENCH_DYNAMICS_"}
	ef.String(&o.suite, "suite", "bin/msisync", "the all-in-one suite binary to start")
	ef.Int(&o.users, "users", 50, "Dynamics users in the generated org")
	ef.Int(&o.accounts, "accounts", 2000, "accounts in the generated org")
	ef.Int(&o.contacts, "contacts", 20000, "contacts in the generated org")
	ef.Int(&o.leads, "leads", 5000, "leads in the generated org")
	ef.Int(&o.opportunities, "opportunities", 3000, "opportunities in the generated org")
	ef.Int(&o.changes, "changes", 2000, "rows changed in Dynamics for the incremental cycle")
	ef.Int(&o.active, "active", 5000, "people given activity, whose MSI fields are then written back")
	ef.String(&o.databaseURL, "database-url", "", "run the suite and keep the connector's state in this PostgreSQL database (an empty one; default: SQLite)")
	ef.String(&o.profile, "profile", "", "write a CPU profile of this process (the connector and the simulator, not the suite) during the initial load to this file")
	ef.OptionalDuration(&o.latency, "latency", 0, "added to every simulated Dataverse request, like the network to a real org (e.g. 100ms)")
	ef.Int(&o.webhookChanges, "webhook-changes", 50, "contacts changed one at a time with the webhook on, each timed until the lead query shows it (0: skip)")
	ef.Duration(&o.webhookDebounce, "webhook-debounce", time.Second, "the connector's MSISYNC_DYNAMICS_WEBHOOK_DEBOUNCE for that measure")
	ef.Duration(&o.timeout, "timeout", 15*time.Minute, "give up after this long")
	version := buildinfo.Flag(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	buildinfo.ExitIfVersion(version, "msisync-bench-dynamics")
	if err := ef.Check(); err != nil {
		return o, err
	}
	return o, nil
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "msisync-bench-dynamics-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	env, err := dynenv.Start(ctx, dynenv.Options{
		Suite: o.suite, BuildHint: "run `make bench`, which builds it", DataDir: filepath.Join(dir, "data"), SimAddr: "127.0.0.1:0",
		Seed:        simulator.SeedOptions{Random: 1, Users: o.users, Accounts: o.accounts, Contacts: o.contacts, Leads: o.leads, Opportunities: o.opportunities},
		DatabaseURL: o.databaseURL,
		Latency:     o.latency,
	})
	if err != nil {
		return err
	}
	defer env.Close()
	engine := "SQLite"
	if o.databaseURL != "" {
		engine = "PostgreSQL"
	}
	fmt.Printf("Dynamics connector benchmark: simulator org of %d users, %d accounts, %d contacts, %d leads, %d opportunities, %s per request; suite on %s\n\n",
		o.users, o.accounts, o.contacts, o.leads, o.opportunities, o.latency, engine)

	stop, err := startProfile(o.profile)
	if err != nil {
		return err
	}
	full, err := env.Conn.SyncOnce(ctx)
	stop()
	if err != nil {
		return fmt.Errorf("initial load: %w", err)
	}
	report("initial load", full)

	if err := change(env.Sim, o.changes); err != nil {
		return err
	}
	inc, err := env.Conn.SyncOnce(ctx)
	if err != nil {
		return fmt.Errorf("incremental cycle: %w", err)
	}
	report("incremental", inc)

	if _, err := env.RecordActivity(ctx, o.active, 1); err != nil {
		return err
	}
	wb, err := env.Conn.WritebackOnce(ctx)
	if err != nil {
		return fmt.Errorf("writeback: %w", err)
	}
	secs := wb.Finished.Sub(wb.Started).Seconds()
	fmt.Printf("writeback: %s\n  → %.0f Dynamics rows updated per second\n", wb, float64(wb.Written)/secs)

	loads, err := timeConsole(ctx, env.Suite.Base(), dynenv.ClientID, env.Secret, 20)
	if err != nil {
		return err
	}
	reportConsole(o.contacts+o.leads, loads)

	if o.webhookChanges > 0 {
		nrt, err := timeNearRealTime(ctx, env, o.webhookChanges, o.webhookDebounce)
		if err != nil {
			return fmt.Errorf("near real time: %w", err)
		}
		reportNearRealTime(o.webhookDebounce, nrt)
	}
	return nil
}

// startProfile starts a CPU profile into path ("" for none) and returns what stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// report prints one sync cycle's figures.
func report(name string, rep *connector.SyncReport) {
	secs := rep.Finished.Sub(rep.Started).Seconds()
	fmt.Printf("%s:\n", name)
	cli.PrintSync(os.Stdout, rep)
	fmt.Printf("  → %.0f entities per second pulled and applied (%d in %.2f s)\n\n", float64(rep.Pulled())/secs, rep.Pulled(), secs)
}

// change makes n changes in the org: half contact updates, a quarter new contacts under
// existing accounts, a quarter account owner changes.
func change(sim *simulator.Simulator, n int) error {
	contacts, accounts, users := sim.IDs("contacts"), sim.IDs("accounts"), activeUsers(sim)
	for i := 0; i < n; i++ {
		var err error
		switch i % 4 {
		case 0, 1:
			err = sim.Update("contacts", contacts[i%len(contacts)], map[string]any{"jobtitle": fmt.Sprintf("Title %d", i)})
		case 2:
			_, err = sim.Upsert("contacts", map[string]any{"firstname": "New", "lastname": fmt.Sprintf("Contact %d", i),
				"emailaddress1": fmt.Sprintf("new.contact.%d@example.com", i), "_parentcustomerid_value": accounts[i%len(accounts)],
				"_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account", "_ownerid_value": users[i%len(users)]})
		case 3:
			err = sim.Update("accounts", accounts[(i*7)%len(accounts)], map[string]any{"_ownerid_value": users[i%len(users)]})
		}
		if err != nil {
			return fmt.Errorf("changing the org: %w", err)
		}
	}
	return nil
}

// activeUsers lists the enabled interactive users.
func activeUsers(sim *simulator.Simulator) []string {
	var out []string
	for _, id := range sim.IDs("systemusers") {
		row, _ := sim.Get("systemusers", id)
		if row["isdisabled"] == false && row["applicationid"] == nil {
			out = append(out, id)
		}
	}
	return out
}
