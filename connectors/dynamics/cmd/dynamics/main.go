// Command dynamics is the Dynamics 365 connector on its own, for running it apart from the
// suite (a container of its own, say): `dynamics sync --once|--watch`, `dynamics check`.
// It is the same command line as `msisync dynamics …`; see `dynamics --help` and the README.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/msisync/msisync/connectors/dynamics/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dynamics:", err)
		os.Exit(1)
	}
}
