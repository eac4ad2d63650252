// Package cli is the `msisync dynamics …` command line: it runs the Dynamics connector
// against a real org (or the simulator), once or continuously, with settings from the
// MSISYNC_DYNAMICS_* environment variables (see the README).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/platform/buildinfo"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/logging"
)

// Usage is the command's help text.
const Usage = `usage: msisync dynamics <command> [flags]

commands:
  sync --once     pull the changes since the last run (everything the first time), send them
                  to the orchestrator in the MSI order, write the MSI fields back, and exit
  sync --watch    do that every MSISYNC_DYNAMICS_SYNC_INTERVAL (sync) and
                  MSISYNC_DYNAMICS_WRITEBACK_INTERVAL (writeback) until interrupted
  sync --once --full
                  a full resync, without writeback: read every table in full and send every
                  record again, changed or not (after fixing data by hand, for example)
  check           sign in to Dynamics and print who the connector is (WhoAmI), and check
                  the sync scope and the field mapping against the org and msisync
  mapping         print the built-in field mapping file, a starting point for
                  MSISYNC_DYNAMICS_MAPPING (with --current: the mapping in use, checked)

The connector reads MSISYNC_DYNAMICS_URL, MSISYNC_DYNAMICS_TOKEN_URL,
MSISYNC_DYNAMICS_CLIENT_ID and MSISYNC_DYNAMICS_CLIENT_SECRET, and reaches the orchestrator
at MSISYNC_ORCHESTRATOR_ADDR as the API client MSISYNC_CLIENT_ID / MSISYNC_CLIENT_SECRET.
With --watch, MSISYNC_DYNAMICS_METRICS_ADDR (host:port) serves its Prometheus metrics at
/metrics, and MSISYNC_ALERT_WEBHOOK_URL (signed with MSISYNC_ALERT_WEBHOOK_SECRET) hears when
MSISYNC_ALERT_FAILED_CYCLES cycles fail in a row or Dataverse or the orchestrator cannot be
reached. MSISYNC_DYNAMICS_FILTER_ACCOUNTS (…_CONTACTS, …_LEADS, …_OPPORTUNITIES) and
MSISYNC_DYNAMICS_SYNC_COLUMN limit what is synced (the sync scope), and MSISYNC_DELETE_MODE=flag
keeps what Dynamics deleted, flagged, instead of deleting it. It logs its effective
configuration at start, secrets redacted.
`

// Run runs the command named by args (the words after "dynamics").
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, Usage)
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" || args[0] == "version" {
		fmt.Fprintln(stdout, "msisync dynamics", buildinfo.Version())
		return nil
	}
	var proc process
	if err := config.Load(&proc); err != nil {
		return err
	}
	if err := proc.Validate(); err != nil {
		return err
	}
	log := logging.New(stderr, proc.Log)
	config.LogEffective(log, config.Section{Name: "process", Config: proc})
	switch args[0] {
	case "sync":
		fs := flag.NewFlagSet("msisync dynamics sync", flag.ContinueOnError)
		fs.SetOutput(stderr)
		once := fs.Bool("once", false, "run one sync cycle and one writeback cycle, then exit")
		watch := fs.Bool("watch", false, "run sync and writeback cycles on their intervals until interrupted")
		full := fs.Bool("full", false, "with --once: read every table in full and send every record again, changed or not")
		noProgress := fs.Bool("no-progress", false, "do not draw progress bars (the default when standard error is not a terminal)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *once == *watch {
			return errors.New("say --once or --watch (one of them): see msisync dynamics --help")
		}
		if *full && *watch {
			return errors.New("--full goes with --once: a full resync is a one-off")
		}
		var progress *Progress
		if f, ok := stderr.(*os.File); ok && !*noProgress {
			progress = TerminalProgress(f)
		}
		c, err := open(ctx, log, progress)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.Check(ctx); err != nil {
			// In watch mode an org or orchestrator not reachable yet is left to the cycles,
			// which check first and alert; a scope or mapping that does not fit stops it.
			if unchecked := (*connector.UncheckedError)(nil); !*watch || !errors.As(err, &unchecked) {
				return err
			}
			log.WarnContext(ctx, "starting without having checked the sync scope and the field mapping against Dynamics: each cycle checks them first", "error", err)
		}
		if *watch {
			return watchServingMetrics(ctx, c, proc.MetricsAddr, log)
		}
		if *full {
			rep, err := c.Resync(ctx)
			if err != nil {
				return err
			}
			PrintSync(stdout, rep)
			return nil
		}
		return Once(ctx, c, stdout)
	case "mapping":
		if len(args) > 1 && args[1] == "--current" {
			cfg, err := connector.LoadConfig()
			if err != nil {
				return err
			}
			spec, err := mapping.Load(cfg.Mapping)
			if err != nil {
				return err
			}
			fmt.Fprint(stdout, spec)
			return nil
		}
		_, err := stdout.Write(mapping.DefaultFile())
		return err
	case "check":
		c, err := open(ctx, log, nil)
		if err != nil {
			return err
		}
		defer c.Close()
		who, err := c.Dataverse().WhoAmI(ctx)
		if err != nil {
			return fmt.Errorf("signing in to Dynamics: %w", err)
		}
		fmt.Fprintf(stdout, "signed in to %s as user %s (organization %s)\n", c.Dataverse().BaseURL(), who.UserID, who.OrganizationID)
		return c.Check(ctx)
	}
	return fmt.Errorf("unknown command %q: see msisync dynamics --help", strings.Join(args, " "))
}

// open builds a connector from the environment.
func open(ctx context.Context, log *slog.Logger, progress *Progress) (*connector.Connector, error) {
	cfg, err := connector.LoadConfig()
	if err != nil {
		return nil, err
	}
	config.LogEffective(log, config.Section{Name: "dynamics", Config: cfg})
	opts := connector.Options{Log: log}
	if progress != nil {
		opts.Progress = progress.Event
	}
	return connector.New(ctx, cfg, opts)
}

// Once runs one sync cycle and one writeback cycle and prints their reports.
func Once(ctx context.Context, c *connector.Connector, out io.Writer) error {
	rep, err := c.SyncOnce(ctx)
	if err != nil {
		return err
	}
	PrintSync(out, rep)
	wb, err := c.WritebackOnce(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "writeback: %s\n", wb)
	return nil
}

// PrintSync prints a sync report as a small table.
func PrintSync(out io.Writer, rep *connector.SyncReport) {
	fmt.Fprintf(out, "sync: read %d rows from Dynamics in %s (read and map %s, send %s, orchestrator %s, deletes and state %s)\n",
		rep.Pulled(), rep.Finished.Sub(rep.Started).Round(time.Millisecond), rep.Pull.Round(time.Millisecond), rep.Send.Round(time.Millisecond),
		rep.Apply.Round(time.Millisecond), rep.Finish.Round(time.Millisecond))
	for _, s := range rep.Sets {
		how := "changes"
		if s.Full {
			how = "full read"
		}
		if s.OutOfScope > 0 {
			how += fmt.Sprintf(", %d out of the sync scope", s.OutOfScope)
		}
		fmt.Fprintf(out, "  %-14s %7d rows, %5d deleted, %7d unchanged (%s)\n", s.EntitySet, s.Rows, s.Deleted, s.Unchanged, how)
	}
	fmt.Fprintf(out, "  %-17s %7s %7s %7s %8s %7s\n", "object", "sent", "applied", "parked", "rejected", "deleted")
	for _, o := range rep.Objects {
		fmt.Fprintf(out, "  %-17s %7d %7d %7d %8d %7d\n", o.Object, o.Sent, o.Applied, o.Parked, o.Rejected, o.Deleted)
	}
	for _, r := range rep.Reasons {
		fmt.Fprintf(out, "  %5d %s %s: %s %s (e.g. %s)\n", r.Count, r.Object, r.Outcome, r.Code, r.Message, r.Example)
	}
	if n := rep.DeletesWaiting(); n > 0 {
		fmt.Fprintf(out, "  %d deletes waiting: msisync refused them as in use (1022); they are tried again next cycle (see the findings)\n", n)
	}
	fmt.Fprintf(out, "  %d CRM users reported; %d findings reported, %d resolved\n", rep.Users, rep.Findings, rep.Resolved)
}

// Main runs the command line for a binary named name (its arguments after the command
// words), stopping on SIGINT or SIGTERM, and returns the process exit code.
func Main(name string, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		return 1
	}
	return 0
}
