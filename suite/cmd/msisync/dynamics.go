package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/msisync/msisync/connectors/dynamics/cli"
)

// runDynamics runs `msisync dynamics …`, the Dynamics 365 connector's command line, and
// returns the process exit code.
func runDynamics(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cli.Run(ctx, args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "msisync dynamics:", err)
		return 1
	}
	return 0
}
