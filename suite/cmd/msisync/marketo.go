package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/marketoclient"
)

// marketoUsage is `msisync marketo --help`.
const marketoUsage = `usage: msisync marketo check

commands:
  check   the preflight for connecting msisync to your Marketo instance: sign in with
          MSISYNC_MARKETO_CLIENT_ID / MSISYNC_MARKETO_CLIENT_SECRET at MSISYNC_MARKETO_URL
          (tokens from MSISYNC_MARKETO_IDENTITY_URL, default <url>/identity), check that the
          instance has the MSI non-native fields (externalSalesPersonId on sales persons,
          externalCompanyId on companies, externalPersonId on leads), that the API user can
          read and write the lead database, and print today's API quota use. It writes
          nothing to the instance. Exit code 1 with a sentence saying what to fix.

Forwarding msisync's records to Marketo is not built yet: this checks the connection only.
`

// marketoMain is `msisync marketo …`; it returns the exit code.
func marketoMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, marketoUsage)
		return 0
	}
	if args[0] != "check" || len(args) > 1 {
		fmt.Fprintf(stderr, "msisync marketo: unknown command %q\n%s", args, marketoUsage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := marketoCheck(ctx, stdout); err != nil {
		fmt.Fprintf(stderr, "msisync marketo check: %v\n", err)
		return 1
	}
	return 0
}

// marketoCheck loads the settings, runs the preflight and prints what it found.
func marketoCheck(ctx context.Context, stdout io.Writer) error {
	var cfg marketoclient.Config
	if err := config.Load(&cfg); err != nil {
		return err
	}
	if !cfg.Upstream() {
		return errors.New("MSISYNC_MARKETO_URL is empty: set it to your instance's REST endpoint (Admin → Web Services → REST API), e.g. https://123-ABC-456.mktorest.com")
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	rep, err := marketoclient.New(cfg, marketoclient.Options{}).Check(ctx, declaredLeadFields(os.Getenv("MSISYNC_CUSTOM_FIELDS"))...)
	fmt.Fprintf(stdout, "Marketo at %s\n", cfg.URL)
	for _, line := range rep.Lines {
		fmt.Fprintf(stdout, "  ok  %s\n", line)
	}
	if err != nil {
		return err
	}
	lim := rep.Status.Limits
	if rep.UsageKnown {
		fmt.Fprintf(stdout, "quota: %d of %d API calls used today (%s, America/Chicago); msisync may use %d a day, keeping %g%% for your other integrations; %d left\n",
			rep.Usage.Total, cfg.DailyQuota, lim.Day, lim.Allowed, cfg.QuotaReserve, lim.Left)
	} else {
		fmt.Fprintf(stdout, "quota: the instance does not report today's use (GET /rest/v1/stats/usage.json); msisync may use %d of %d API calls a day, keeping %g%% for your other integrations\n",
			lim.Allowed, cfg.DailyQuota, cfg.QuotaReserve)
	}
	fmt.Fprintln(stdout, "Marketo is ready for msisync.")
	return nil
}

// declaredLeadFields returns the names of the lead custom fields MSISYNC_CUSTOM_FIELDS
// declares ("leads:name:type,…"; the orchestrator checks the setting in full).
func declaredLeadFields(setting string) []string {
	var out []string
	for _, decl := range strings.Split(setting, ",") {
		parts := strings.Split(strings.TrimSpace(decl), ":")
		if len(parts) == 3 && strings.EqualFold(parts[0], "leads") && parts[1] != "" {
			out = append(out, parts[1])
		}
	}
	return out
}
