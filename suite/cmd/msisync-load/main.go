// Command msisync-load drives the all-in-one suite's REST gateway with concurrent clients
// for a while, as an integration would, and checks that nothing was lost. It is what
// `make load` runs.
//
// It starts the suite binary (-suite) as a child process on free loopback ports with a fresh
// data directory — by default with Marketo's limits on (100 calls per 20 s per API client,
// 10 concurrent calls, 50000 calls a day), so that 606 and 615 happen — syncs sales persons
// and companies, then runs -clients concurrent clients for -duration. All clients share one
// API client and token, as the workers of one integration do. Each client loops over a
// seeded weighted mix: lead sync batches (createOrUpdate by externalPersonId, 100–300 leads,
// new and existing ids), company and opportunity syncs, lead queries by externalCompanyId,
// read-backs of up to 300 of its leads by externalPersonId (POST …?_method=GET) and score
// changes or interesting moments through /v1. A call refused with 606, 607 or 615 is
// counted and backed off from (200–500 ms); a refused lead batch is not acknowledged and
// is sent again later.
//
// Each client owns its own externalPersonIds, so there is one writer per lead and the last
// acknowledged email and company of every lead is known exactly. After the run every
// outstanding batch is retried until acknowledged, and every acknowledged lead is read back
// by externalPersonId: it must exist once, with its last acknowledged email and company.
//
// The report gives throughput, per-kind latency percentiles, HTTP statuses, Marketo error
// codes and the consistency check. The exit status is non-zero on any 5xx answer, any
// lost or inconsistent lead, or any unexpected error. All traffic stays on loopback.
//
// Every flag has an environment default (MSISYNC_LOAD_<FLAG>, for example
// MSISYNC_LOAD_DURATION=15s).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/buildinfo"
	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// Credentials of the API client the suite creates at start-up.
const (
	loadClientID     = "msisync-load"
	loadClientSecret = "msisync-load-secret-0123456789"
)

// options are the command-line settings.
type options struct {
	suite        string
	duration     time.Duration
	clients      int
	limitsOn     bool
	rateCalls    int
	rateWindow   time.Duration
	concurrency  int
	dailyQuota   int
	companies    int
	salesPersons int
	seed         uint64
	keepData     bool
	timeout      time.Duration
	suiteLogPath string
}

func main() {
	suiteproc.Main("msisync-load", parseFlags, func(o options) time.Duration { return o.timeout }, run)
}

// parseFlags reads the flags, each defaulting to its MSISYNC_LOAD_* variable.
func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("msisync-load", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: msisync-load -suite bin/msisync [flags]\n\n"+
			"Drives the all-in-one suite's REST gateway with concurrent clients sharing one API\n"+
			"client (a mix of lead, company and opportunity syncs, lead queries, read-backs and\n"+
			"score changes), with Marketo's rate limits on unless -limits=off, and checks that\n"+
			"every acknowledged lead can be read back. Each flag defaults to the variable\n"+
			"MSISYNC_LOAD_<NAME> (upper case, - as _) when it is set.\n\n")
		fs.PrintDefaults()
	}
	ef := &suiteproc.EnvFlags{FS: fs, Prefix: "MSISYNC_LOAD_"}
	var seed int
	var limits, rateLimit string
	ef.String(&o.suite, "suite", "bin/msisync", "the all-in-one suite binary to start")
	ef.Duration(&o.duration, "duration", time.Minute, "how long the clients run")
	ef.Int(&o.clients, "clients", 10, "concurrent clients, all with the one API client's token")
	ef.String(&limits, "limits", "on", "on: the suite enforces -rate-limit, -max-concurrency and -daily-quota; off: no limits")
	ef.String(&rateLimit, "rate-limit", "100/20s", "calls per sliding window per API client before 606 (MSISYNC_RATE_LIMIT_CALLS/_WINDOW)")
	ef.Int(&o.concurrency, "max-concurrency", 10, "calls running at once per API client before 615 (MSISYNC_MAX_CONCURRENCY)")
	ef.Int(&o.dailyQuota, "daily-quota", 50000, "calls a day per API client before 607 (MSISYNC_DAILY_QUOTA)")
	ef.Int(&o.companies, "companies", 500, "companies to sync first")
	ef.Int(&o.salesPersons, "salespersons", 50, "sales persons to sync first")
	ef.Int(&seed, "seed", 1, "seed of the generated data and of each client's mix")
	ef.Bool(&o.keepData, "keep-data", "keep the suite's data directory and print its path")
	ef.Duration(&o.timeout, "timeout", 30*time.Minute, "give up after this long")
	ef.String(&o.suiteLogPath, "suite-log", "", "also copy the suite's output to this file (default: kept in memory, shown on errors)")
	version := buildinfo.Flag(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	buildinfo.ExitIfVersion(version, "msisync-load")
	if err := ef.Check(); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	switch limits {
	case "on":
		o.limitsOn = true
	case "off":
	default:
		return o, fmt.Errorf("-limits %q is neither on nor off", limits)
	}
	calls, window, ok := strings.Cut(rateLimit, "/")
	if o.rateCalls, err = strconv.Atoi(calls); !ok || err != nil || o.rateCalls < 0 {
		return o, fmt.Errorf("-rate-limit %q is not calls/window, such as 100/20s", rateLimit)
	}
	if o.rateWindow, err = time.ParseDuration(window); err != nil || o.rateWindow < time.Second {
		return o, fmt.Errorf("-rate-limit %q: the window must be a duration of at least 1s", rateLimit)
	}
	o.seed = uint64(seed)
	switch {
	case o.clients < 1:
		return o, errors.New("-clients must be at least 1")
	case o.companies < 1 || o.salesPersons < 1:
		return o, errors.New("-companies and -salespersons must be at least 1")
	case o.concurrency < 0 || o.dailyQuota < 0:
		return o, errors.New("-max-concurrency and -daily-quota must be at least 0 (0: no limit)")
	}
	return o, nil
}

// limitEnv is the suite's limit settings for the options.
func (o options) limitEnv() []string {
	if !o.limitsOn {
		return []string{"MSISYNC_RATE_LIMIT_CALLS=0", "MSISYNC_MAX_CONCURRENCY=0", "MSISYNC_DAILY_QUOTA=0"}
	}
	return []string{
		fmt.Sprintf("MSISYNC_RATE_LIMIT_CALLS=%d", o.rateCalls),
		fmt.Sprintf("MSISYNC_RATE_LIMIT_WINDOW=%s", o.rateWindow),
		fmt.Sprintf("MSISYNC_MAX_CONCURRENCY=%d", o.concurrency),
		fmt.Sprintf("MSISYNC_DAILY_QUOTA=%d", o.dailyQuota),
	}
}

// limitsText words the limits in force.
func (o options) limitsText() string {
	if !o.limitsOn {
		return "off (-limits=off)"
	}
	text := fmt.Sprintf("on: %d calls/%s, %d concurrent, %d a day per API client", o.rateCalls, o.rateWindow, o.concurrency, o.dailyQuota)
	if o.rateCalls == 100 && o.rateWindow == 20*time.Second && o.concurrency == 10 && o.dailyQuota == 50000 {
		text += " (Marketo's defaults)"
	}
	return text
}

// run performs the whole load test and prints the report.
func run(ctx context.Context, o options) (err error) {
	dir, err := os.MkdirTemp("", "msisync-load-")
	if err != nil {
		return err
	}
	if o.keepData {
		fmt.Printf("data directory (kept): %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("starting %s on free loopback ports (data in %s), limits %s\n", o.suite, dir, o.limitsText())
	s, err := suiteproc.Start(ctx, suiteproc.Config{
		Binary:       o.suite,
		DataDir:      dir,
		LogPath:      o.suiteLogPath,
		ClientID:     loadClientID,
		ClientSecret: loadClientSecret,
		BuildHint:    "build it with `make build` or use `make load`",
		Env:          o.limitEnv(),
	})
	if err != nil {
		return err
	}
	defer func() {
		if serr := s.Stop(); serr != nil && err == nil {
			err = serr
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "--- last lines of the suite's output ---\n%s\n---\n", s.LogTail(40))
		}
	}()

	c := suiteproc.NewClient(s.Base(), loadClientID, loadClientSecret, o.clients)
	if err := c.Authenticate(ctx); err != nil {
		return err
	}
	rep := &report{opts: o, dataDir: dir, stats: newStats(), drainStats: newStats()}
	data := suiteproc.Generate(o.seed, o.salesPersons, o.companies, 0)
	fmt.Printf("setup: syncing %d sales persons and %d companies\n", len(data.SalesPersons), len(data.Companies))
	start := time.Now()
	if err := setup(ctx, c, data); err != nil {
		return err
	}
	rep.setup = time.Since(start)

	fmt.Printf("load: %d clients for %s (one API client; mix: 40%% lead syncs, 15%% company/opportunity syncs, 25%% lead queries, 15%% read-backs, 5%% score changes/moments)\n", o.clients, o.duration)
	workers := make([]*worker, o.clients)
	for i := range workers {
		workers[i] = newWorker(i, c, data, o.seed)
	}
	rep.elapsed, err = drive(ctx, workers, o.duration)
	if err != nil {
		return err
	}
	for _, w := range workers {
		rep.stats.merge(w.stats)
		w.stats = newStats()
	}
	fmt.Println("drain: sending every refused or unanswered lead batch again until acknowledged")
	start = time.Now()
	if err := drain(ctx, workers); err != nil {
		return err
	}
	rep.drain = time.Since(start)
	for _, w := range workers {
		rep.drainStats.merge(w.stats)
	}

	fmt.Println("check: reading back every acknowledged lead by externalPersonId")
	start = time.Now()
	rep.check, err = checkAll(ctx, c, workers)
	if err != nil {
		return err
	}
	rep.checkTime = time.Since(start)
	rep.print()
	if problems := rep.problems(); len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}
