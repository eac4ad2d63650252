// Command msisync-bench measures the all-in-one suite on SQLite against the raw speed of
// SQLite itself. It is what `make bench` runs.
//
// It starts the suite binary (-suite) as a child process on free loopback ports with a fresh
// data directory, syncs sales persons and companies through the REST gateway, then times N
// leads (createOrUpdate by externalPersonId, 300 per request, referencing the synced
// parents) sent by several concurrent clients, checking every result. It then reads leads
// back 300 at a time by externalPersonId and reports the latency percentiles, stops the
// suite with SIGTERM, and upserts the same N rows into a fresh SQLite file shaped like the
// person service's leads table with the same pragmas, batch size and number of writers.
//
// The report gives both rates, their ratio and the read-back percentiles, with the goals
// (end to end at least half the raw rate; read-back p99 at most 10 ms). The exit status is
// non-zero only on errors, never on a missed goal. All traffic stays on loopback.
//
// Every flag has an environment default (MSISYNC_BENCH_<FLAG>, for example
// MSISYNC_BENCH_LEADS=20000).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/msisync/msisync/platform/buildinfo"
	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// batchSize is the records per REST request and per raw SQLite transaction (Marketo's limit).
const batchSize = suiteproc.BatchSize

// options are the command-line settings.
type options struct {
	suite        string
	leads        int
	clients      int
	rawWriters   int
	companies    int
	salesPersons int
	readbacks    int
	seed         uint64
	keepData     bool
	timeout      time.Duration
	profile      string
	profileSecs  int
	profilePhase string
	suiteLogPath string
}

func main() {
	suiteproc.Main("msisync-bench", parseFlags, func(o options) time.Duration { return o.timeout }, run)
}

// parseFlags reads the flags, each defaulting to its MSISYNC_BENCH_* variable.
func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("msisync-bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: msisync-bench -suite bin/msisync [flags]\n\n"+
			"Benchmarks the all-in-one suite on SQLite: leads end to end through the REST gateway\n"+
			"against raw SQLite upserts of the same rows, and read-back latency. Each flag defaults\n"+
			"to the variable MSISYNC_BENCH_<NAME> (upper case, - as _) when it is set.\n\n")
		fs.PrintDefaults()
	}
	ef := &suiteproc.EnvFlags{FS: fs, Prefix: "MSISYNC_BENCH_"}
	str, integer, boolean := ef.String, ef.Int, ef.Bool
	var seed int
	str(&o.suite, "suite", "bin/msisync", "the all-in-one suite binary to start")
	integer(&o.leads, "leads", 100000, "leads to sync end to end and to upsert raw")
	integer(&o.clients, "clients", 4, "concurrent REST clients, and concurrent raw SQLite writers")
	integer(&o.rawWriters, "raw-writers", 0, "concurrent raw SQLite writers (0: as many as -clients)")
	integer(&o.companies, "companies", 0, "companies to sync first (0: leads/20, at least 1)")
	integer(&o.salesPersons, "salespersons", 50, "sales persons to sync first")
	integer(&o.readbacks, "readbacks", 200, "timed read-backs of 300 leads by externalPersonId")
	integer(&seed, "seed", 1, "seed of the generated data")
	boolean(&o.keepData, "keep-data", "keep the data directory (the suite's and the raw SQLite file) and print its path")
	ef.Duration(&o.timeout, "timeout", 30*time.Minute, "give up after this long")
	str(&o.profile, "profile", "", "write a CPU profile of the suite during the leads phase to this file; needs a suite\n"+
		"binary that serves net/http/pprof on $MSISYNC_BENCH_PPROF_ADDR (a local copy of\n"+
		"suite/cmd/msisync with that added; the normal binary serves none)")
	integer(&o.profileSecs, "profile-seconds", 20, "length of the -profile CPU profile, from the start of the profiled phase")
	str(&o.profilePhase, "profile-phase", "leads", "the phase -profile covers: leads or readback")
	str(&o.suiteLogPath, "suite-log", "", "also copy the suite's output to this file (default: kept in memory, shown on errors)")
	version := buildinfo.Flag(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	buildinfo.ExitIfVersion(version, "msisync-bench")
	if err := ef.Check(); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	o.seed = uint64(seed)
	if o.rawWriters == 0 {
		o.rawWriters = o.clients
	}
	if o.companies == 0 {
		o.companies = max(1, o.leads/20)
	}
	switch {
	case o.leads < batchSize:
		return o, fmt.Errorf("-leads must be at least %d (one read-back of %d)", batchSize, batchSize)
	case o.clients < 1 || o.rawWriters < 0:
		return o, errors.New("-clients must be at least 1, -raw-writers at least 0")
	case o.companies < 1 || o.salesPersons < 1:
		return o, errors.New("-companies and -salespersons must be at least 1")
	case o.readbacks < 1:
		return o, errors.New("-readbacks must be at least 1")
	case o.profile != "" && o.profileSecs < 1:
		return o, errors.New("-profile-seconds must be at least 1")
	case o.profilePhase != "leads" && o.profilePhase != "readback":
		return o, fmt.Errorf("-profile-phase %q is neither leads nor readback", o.profilePhase)
	}
	return o, nil
}

// report is everything the run measured.
type report struct {
	opts         options
	setup        time.Duration
	e2e          writeStats
	readback     suiteproc.Latencies
	raw          writeStats
	dataDir      string
	profileSaved string
}

// run performs the whole benchmark and prints the report.
func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "msisync-bench-")
	if err != nil {
		return err
	}
	if o.keepData {
		fmt.Printf("data directory (kept): %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	rep := report{opts: o, dataDir: dir}

	fmt.Printf("generating %d sales persons, %d companies and %d leads (seed %d)\n", o.salesPersons, o.companies, o.leads, o.seed)
	data := suiteproc.Generate(o.seed, o.salesPersons, o.companies, o.leads)

	if err := runSuitePhases(ctx, o, dir, data, &rep); err != nil {
		return err
	}

	fmt.Printf("raw SQLite: upserting the same %d rows, %d per transaction, %d writers\n", o.leads, batchSize, o.rawWriters)
	rep.raw, err = rawSQLite(ctx, dir, data.Leads, o.rawWriters)
	if err != nil {
		return fmt.Errorf("raw SQLite baseline: %w", err)
	}
	rep.print()
	return nil
}

// runSuitePhases starts the suite, runs the phases that need it, and always stops it.
func runSuitePhases(ctx context.Context, o options, dir string, data *suiteproc.Dataset, rep *report) (err error) {
	fmt.Printf("starting %s on free loopback ports (data in %s)\n", o.suite, dir)
	s, err := suiteproc.Start(ctx, suiteproc.Config{
		Binary:       o.suite,
		DataDir:      dir,
		LogPath:      o.suiteLogPath,
		ClientID:     benchClientID,
		ClientSecret: benchClientSecret,
		BuildHint:    "build it with `make build` or use `make bench`",
		PprofAddrVar: pprofAddrVar,
		Env:          []string{"MSISYNC_RATE_LIMIT_CALLS=0", "MSISYNC_MAX_CONCURRENCY=0", "MSISYNC_DAILY_QUOTA=0"},
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

	c := &client{suiteproc.NewClient(s.Base(), benchClientID, benchClientSecret, o.clients)}
	if err := c.Authenticate(ctx); err != nil {
		return err
	}

	start := time.Now()
	fmt.Printf("setup: syncing %d sales persons and %d companies (%d per request, %d clients)\n", len(data.SalesPersons), len(data.Companies), batchSize, o.clients)
	if err := c.syncSetup(ctx, data, o.clients); err != nil {
		return err
	}
	rep.setup = time.Since(start)

	var prof *profiler
	if o.profile != "" && o.profilePhase == "leads" {
		prof = startProfile(ctx, s.PprofAddr(), o.profileSecs)
	}
	fmt.Printf("leads: syncing %d leads end to end (createOrUpdate by externalPersonId, %d per request, %d clients)\n", len(data.Leads), batchSize, o.clients)
	rep.e2e, err = c.syncLeads(ctx, data.Leads, o.clients)
	if err != nil {
		return err
	}
	rep.saveProfile(prof)

	if o.profile != "" && o.profilePhase == "readback" {
		prof = startProfile(ctx, s.PprofAddr(), o.profileSecs)
	}
	fmt.Printf("read-back: %d timed reads of %d leads by externalPersonId\n", o.readbacks, batchSize)
	rep.readback, err = c.readBack(ctx, data.Leads, o.readbacks, o.seed)
	if err != nil {
		return err
	}
	rep.saveProfile(prof)
	return nil
}

// saveProfile waits for a running CPU profile and writes it to the -profile file; a profile
// that cannot be had is a warning, not an error.
func (r *report) saveProfile(p *profiler) {
	if p == nil {
		return
	}
	if err := p.save(r.opts.profile); err != nil {
		fmt.Fprintf(os.Stderr, "warning: -profile: %v\n", err)
		return
	}
	r.profileSaved = r.opts.profile
}

// print writes the report to stdout.
func (r report) print() {
	o := r.opts
	e2eRate := r.e2e.rate()
	rawRate := r.raw.rate()
	ratio := e2eRate / rawRate
	p50, p95, p99, pmax := r.readback.Percentile(50), r.readback.Percentile(95), r.readback.Percentile(99), r.readback.Max()
	fmt.Println()
	fmt.Println("msisync bench — all-in-one suite on SQLite (synchronous NORMAL, WAL), loopback only")
	fmt.Printf("  machine            %d CPUs, %s/%s, %s\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("  setup              %d sales persons, %d companies synced in %s\n", o.salesPersons, o.companies, r.setup.Round(time.Millisecond))
	fmt.Printf("  leads              %d (%d created, %d updated, 0 skipped), %d per request, %d clients\n",
		r.e2e.rows, r.e2e.created, r.e2e.updated, batchSize, o.clients)
	fmt.Printf("  end to end         %9.0f leads/s  (%s; per request p50 %s, p99 %s)\n",
		e2eRate, r.e2e.elapsed.Round(time.Millisecond), ms(r.e2e.batches.Percentile(50)), ms(r.e2e.batches.Percentile(99)))
	fmt.Printf("  raw SQLite         %9.0f leads/s  (%s, %d writers; per transaction p50 %s, p99 %s)\n",
		rawRate, r.raw.elapsed.Round(time.Millisecond), o.rawWriters, ms(r.raw.batches.Percentile(50)), ms(r.raw.batches.Percentile(99)))
	fmt.Printf("  ratio e2e/raw      %9.3f         goal ≥ 0.5: %s\n", ratio, met(ratio >= 0.5))
	fmt.Printf("  read-back          %d × %d leads by externalPersonId: p50 %s, p95 %s, p99 %s, max %s\n",
		len(r.readback), batchSize, ms(p50), ms(p95), ms(p99), ms(pmax))
	fmt.Printf("                     goal p99 ≤ 10 ms: %s\n", met(p99 <= 10*time.Millisecond))
	if r.profileSaved != "" {
		fmt.Printf("  CPU profile        %s (go tool pprof -top %s)\n", r.profileSaved, r.profileSaved)
	}
	if o.keepData {
		fmt.Printf("  data kept in       %s\n", r.dataDir)
	}
}

// met words a goal check.
func met(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// ms formats a duration in milliseconds with two decimals.
var ms = suiteproc.Ms
