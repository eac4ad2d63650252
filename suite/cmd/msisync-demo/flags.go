package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/msisync/msisync/platform/buildinfo"
	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// options are the command-line settings.
type options struct {
	suite         string
	dataDir       string
	httpAddr      string
	simAddr       string
	users         int
	accounts      int
	contacts      int
	leads         int
	opportunities int
	active        int
	seed          int
	exit          bool
	timeout       time.Duration
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("msisync-demo", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: msisync-demo -suite bin/msisync [flags]\n\n"+
			"Starts the suite and a Dataverse simulator, syncs the simulated Dynamics org, generates\n"+
			"activity, writes the MSI fields back, prints a summary and keeps running. Each flag\n"+
			"defaults to the variable MSISYNC_DEMO_<NAME> (upper case, - as _) when it is set.\n\n")
		fs.PrintDefaults()
	}
	ef := &suiteproc.EnvFlags{FS: fs, Prefix: "MSISYNC_DEMO_"}
	str, integer, boolean := ef.String, ef.Int, ef.Bool
	str(&o.suite, "suite", "bin/msisync", "the all-in-one suite binary to start")
	str(&o.dataDir, "data", "data/demo", "the demo's data directory, emptied at start (the suite's SQLite files and the connector's state)")
	str(&o.httpAddr, "http", "127.0.0.1:8080", "the REST gateway's address")
	str(&o.simAddr, "sim", "127.0.0.1:8090", "the Dataverse simulator's address")
	integer(&o.users, "users", 50, "Dynamics users in the generated org")
	integer(&o.accounts, "accounts", 2000, "accounts in the generated org")
	integer(&o.contacts, "contacts", 20000, "contacts in the generated org")
	integer(&o.leads, "leads", 5000, "leads in the generated org")
	integer(&o.opportunities, "opportunities", 3000, "opportunities in the generated org")
	integer(&o.active, "active", 2000, "people given interesting moments and score changes")
	integer(&o.seed, "seed", 1, "seed of the generated org and activity")
	boolean(&o.exit, "exit", "stop everything after the summary instead of leaving it running")
	ef.Duration(&o.timeout, "timeout", 10*time.Minute, "give up on the sync and writeback after this long")
	version := buildinfo.Flag(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	buildinfo.ExitIfVersion(version, "msisync-demo")
	if err := ef.Check(); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for name, n := range map[string]int{"users": o.users, "accounts": o.accounts, "contacts": o.contacts, "leads": o.leads, "opportunities": o.opportunities} {
		if n < 1 {
			return o, fmt.Errorf("-%s is %d; the generated org needs at least 1", name, n)
		}
	}
	return o, nil
}
