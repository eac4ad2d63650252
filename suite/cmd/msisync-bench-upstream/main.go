// Command msisync-bench-upstream measures upstream mode (docs/upstream.md, Bench): how
// fast a forwarding suite delivers what it accepted to a Marketo instance within Marketo's
// limits, and how many API calls that takes. `make bench` runs it.
//
// It starts two suites from the binary -suite, each over its own data directory on free
// loopback ports: an upstream suite in embedded mode (its own limits off) that plays the
// customer's Marketo, and a forwarding suite with MSISYNC_MARKETO_URL pointing at a
// counting reverse proxy in front of the upstream, with Marketo's default limits (100
// calls per 20 s, 10 at once) and the MSI poller an hour apart. It then submits -records
// records in the proportions of the 1M-person example mix as sync runs (a run takes at
// most 300 records per list, so one run per 300 leads, each parent in the same run as its
// children or an earlier one), waits until they are applied locally and until GET
// /v1/upstream shows nothing pending, in flight or waiting, and checks that the upstream
// holds every record.
//
// The report gives records/s delivered against the cap of 1,500 (goal ≥ 90 %), calls per
// 1,000 records (goal ≤ 3.5), the upstream's own ingest rate, and the 1M-person initial
// load estimate. The exit status is non-zero on errors and when the upstream does not hold
// every record, never on a missed goal. Every flag has an environment default
// (MSISYNC_BENCH_UPSTREAM_<FLAG>).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/msisync/msisync/platform/buildinfo"
	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// options are the command-line settings.
type options struct {
	suite   string
	records int
	seed    int
	stall   time.Duration
	timeout time.Duration
}

func main() {
	suiteproc.Main("msisync-bench-upstream", parseFlags, func(o options) time.Duration { return o.timeout }, run)
}

// parseFlags reads the flags, each defaulting to its MSISYNC_BENCH_UPSTREAM_* variable.
func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("msisync-bench-upstream", flag.ContinueOnError)
	ef := &suiteproc.EnvFlags{FS: fs, Prefix: "MSISYNC_BENCH_UPSTREAM_"}
	ef.String(&o.suite, "suite", "bin/msisync", "the all-in-one suite binary to start (twice)")
	ef.Int(&o.records, "records", 60000, "records in the mixed change set, in the proportions of the 1M-person example mix")
	ef.Int(&o.seed, "seed", 1, "seed of the generated data")
	ef.Duration(&o.stall, "stall", 2*time.Minute, "fail when the forwarder delivers nothing for this long before it settles")
	ef.Duration(&o.timeout, "timeout", 15*time.Minute, "give up after this long")
	version := buildinfo.Flag(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	buildinfo.ExitIfVersion(version, "msisync-bench-upstream")
	if err := ef.Check(); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.records < 5 {
		return o, errors.New("-records must be at least 5 (one of each object)")
	}
	return o, nil
}

// run performs the benchmark and prints the report.
func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "msisync-bench-upstream-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	m := generateMix(uint64(o.seed), o.records)
	bodies, _, err := m.runs(uint64(o.seed))
	if err != nil {
		return err
	}
	e, err := startEnv(ctx, o.suite, dir)
	if err != nil {
		return err
	}
	defer e.close(&err)
	fmt.Printf("upstream bench: upstream suite %s behind the counting proxy %s; forwarding suite %s\n", e.upstream.Base(), e.proxy.url, e.forwarder.Base())

	startup := e.settleStartup(ctx)
	fmt.Printf("start-up: the forwarding suite made %d calls before any record was submitted %v\n", len(startup), counts(startup))

	fmt.Printf("submitting %d records (%d sales persons, %d companies, %d leads, %d opportunities, %d roles) as %d sync runs\n",
		m.total(), len(m.salesPersons), len(m.companies), len(m.leads), len(m.opportunities), len(m.roles), len(bodies))
	ids, accepted, err := submitRuns(ctx, e.fwd, bodies)
	if err != nil {
		return err
	}
	submitted := time.Now()
	applied, err := waitApplied(ctx, e.fwd, ids)
	if err != nil {
		return err
	}
	fmt.Printf("applied locally %.1f s after the first run was accepted; waiting for the forwarder to settle\n", applied.Sub(accepted).Seconds())
	status, settled, err := waitSettled(ctx, e.fwd, o.stall)
	if err != nil {
		return fmt.Errorf("%w\nproxy calls by path: %v", err, counts(e.proxy.snapshot()))
	}
	calls := e.proxy.snapshot()

	held, err := getCounts(ctx, e.up)
	if err != nil {
		return err
	}
	r := result{
		records: m.total(), runs: len(bodies), elapsed: settled.Sub(accepted), submit: submitted.Sub(accepted), apply: applied.Sub(accepted),
		startup: startup, calls: calls, maxInFlight: e.proxy.maxInFlight(), status: status, held: held,
	}
	r.print(os.Stdout)
	return r.check(m)
}
