// Command msisync-demo shows msisync end to end on one machine. It is what `make demo` runs.
//
// It starts the suite (the all-in-one binary, -suite) over a fresh data directory with the
// gateway on -http (127.0.0.1:8080), and a Dataverse simulator on -sim (127.0.0.1:8090)
// seeded with a generated Dynamics org (50 users, 2,000 accounts, 20,000 contacts, 5,000
// leads, 3,000 opportunities, stakeholder connections, team owners and odd cases). Then:
//
//  1. the Dynamics connector makes a full sync, with progress bars;
//  2. activity is generated through the REST API: interesting moments and score changes for
//     some of the people, then a tier recompute;
//  3. the connector writes the MSI fields back into the simulated Dynamics;
//  4. a summary: records per type, parked and rejected with reasons, CRM findings, MSI
//     fields written back.
//
// It then leaves everything running, with the connector watching for changes, and prints
// the URLs and commands to explore, until interrupted (-exit stops after the summary).
//
// Every flag has an environment default (MSISYNC_DEMO_<FLAG>).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = run(ctx, opts, os.Stdout)
		stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "msisync-demo:", err)
		os.Exit(1)
	}
}
