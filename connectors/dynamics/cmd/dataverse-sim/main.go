// Command dataverse-sim serves a seeded Dataverse Web API simulator (see package simulator)
// for the demo and manual testing.
//
//	dataverse-sim -addr 127.0.0.1:8090 -contacts 2000
//
// The listen address may also come from MSISYNC_SIM_ADDR. It prints the environment URL, the
// token URL and the credentials, and shuts down gracefully on SIGINT/SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/simulator"
	"github.com/msisync/msisync/platform/buildinfo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dataverse-sim:", err)
		os.Exit(1)
	}
}

// run parses args, serves the simulator until ctx is done, then shuts down.
func run(ctx context.Context, args []string, out io.Writer) error {
	def := simulator.DefaultSeedOptions()
	addr := "127.0.0.1:8090"
	if v := os.Getenv("MSISYNC_SIM_ADDR"); v != "" {
		addr = v
	}
	fs := flag.NewFlagSet("dataverse-sim", flag.ContinueOnError)
	fs.StringVar(&addr, "addr", addr, "listen address (env MSISYNC_SIM_ADDR)")
	seed := fs.Int64("seed", def.Random, "random seed of the generated org")
	users := fs.Int("users", def.Users, "interactive system users (2 disabled); -1 for none")
	accounts := fs.Int("accounts", def.Accounts, "accounts; -1 for none")
	contacts := fs.Int("contacts", def.Contacts, "contacts; -1 for none")
	leads := fs.Int("leads", def.Leads, "leads; -1 for none")
	opps := fs.Int("opportunities", def.Opportunities, "opportunities; -1 for none")
	clientID := fs.String("client-id", "msisync-sim", "accepted OAuth client id")
	secret := fs.String("client-secret", "sim-secret", "accepted OAuth client secret")
	tenant := fs.String("tenant", "common", "tenant segment printed in the token URL (any value is accepted)")
	version := buildinfo.Flag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	buildinfo.ExitIfVersion(version, "dataverse-sim")

	sim := simulator.New(simulator.Options{ClientID: *clientID, ClientSecret: *secret, Seed: &simulator.SeedOptions{
		Random: *seed, Users: *users, Accounts: *accounts, Contacts: *contacts, Leads: *leads, Opportunities: *opps,
	}})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	r := sim.SeedReport()
	fmt.Fprintf(out, "Dataverse simulator listening\n")
	fmt.Fprintf(out, "  environment URL: %s\n", base)
	fmt.Fprintf(out, "  Web API:         %s/api/data/v9.2/\n", base)
	fmt.Fprintf(out, "  token URL:       %s/%s/oauth2/v2.0/token\n", base, *tenant)
	fmt.Fprintf(out, "  scope:           %s/.default\n", base)
	fmt.Fprintf(out, "  client id:       %s\n  client secret:   %s\n", *clientID, *secret)
	fmt.Fprintf(out, "  admin API:       %s/_sim/stats, %s/_sim/seedreport, POST %s/_sim/faults\n", base, base, base)
	fmt.Fprintf(out, "  org: %d users, %d accounts, %d contacts, %d leads, %d opportunities, %d connection rows (generated in %v)\n",
		r.Users, r.Accounts, r.Contacts, r.Leads, r.Opportunities, r.ConnectionRows, r.Duration.Round(time.Millisecond))

	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(out, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
