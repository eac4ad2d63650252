// Package dynenv starts what the Dynamics demo and benchmark need on one machine: a
// Dataverse simulator with a generated org behind real HTTP, the all-in-one suite as a child
// process, and the Dynamics connector between them over real gRPC.
package dynenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// ClientID is the msisync API client created for the connector and the REST calls.
const ClientID = "dynamics-demo"

// Options says what to start.
type Options struct {
	// Suite is the all-in-one binary; BuildHint says how to build it.
	Suite, BuildHint string
	// DataDir holds the suite's SQLite files, the connector's state and the logs; it is
	// emptied first.
	DataDir string
	// HTTPAddr is the gateway's address ("" for a free port); SimAddr the simulator's.
	HTTPAddr, SimAddr string
	// Seed sizes the generated org.
	Seed simulator.SeedOptions
	// Latency is added to every simulated Dataverse request, as a network to a real org
	// would (0: none).
	Latency time.Duration
	// Progress receives the connector's progress events (may be nil).
	Progress func(connector.Event)
	// DatabaseURL keeps the suite's and the connector's data in this PostgreSQL database
	// ("" for SQLite under DataDir).
	DatabaseURL string
	// SuiteEnv are more MSISYNC_* settings of the suite (NAME=value), e.g.
	// MSISYNC_CUSTOM_FIELDS.
	SuiteEnv []string
	// Configure, when set, changes the connector's configuration (its field mapping, its
	// sync scope) before the connector is built; DataDir exists by then.
	Configure func(*connector.Config)
}

// Env is the running simulator, suite and connector.
type Env struct {
	// Sim is the simulated Dynamics org; SimURL its environment URL.
	Sim    *simulator.Simulator
	SimURL string
	// Suite is the suite process; API a REST client authenticated as ClientID.
	Suite *suiteproc.Process
	API   *suiteproc.Client
	// Conn is the connector.
	Conn *connector.Connector
	// Secret is ClientID's secret.
	Secret string

	simSrv  *http.Server
	logFile *os.File
	cfg     connector.Config  // the connector's configuration (see Reconfigure)
	opts    connector.Options // and its options
}

// Start starts everything and returns once the suite is healthy and the connector built.
func Start(ctx context.Context, o Options) (_ *Env, err error) {
	if err := os.RemoveAll(o.DataDir); err != nil {
		return nil, fmt.Errorf("emptying %s: %w", o.DataDir, err)
	}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, err
	}
	// e is closed on failure: the named result is nil by then.
	e := &Env{Secret: randomSecret()}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	seed := o.Seed
	e.Sim = simulator.New(simulator.Options{Seed: &seed, Latency: o.Latency})
	ln, err := net.Listen("tcp", o.SimAddr)
	if err != nil {
		return nil, fmt.Errorf("the Dataverse simulator cannot listen on %s (%v): free the port or choose another", o.SimAddr, err)
	}
	e.SimURL = "http://" + ln.Addr().String()
	e.simSrv = &http.Server{Handler: e.Sim, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.simSrv.Serve(ln) }()

	// The connector polls its sync runs: Marketo's call limits are kept out of its way.
	env := []string{"MSISYNC_RATE_LIMIT_CALLS=0", "MSISYNC_MAX_CONCURRENCY=0", "MSISYNC_DAILY_QUOTA=0"}
	if o.DatabaseURL != "" {
		env = append(env, "MSISYNC_DATABASE_URL="+o.DatabaseURL)
	}
	env = append(env, o.SuiteEnv...)
	e.Suite, err = suiteproc.Start(ctx, suiteproc.Config{
		Binary: o.Suite, DataDir: o.DataDir, LogPath: filepath.Join(o.DataDir, "suite.log"), HTTPAddr: o.HTTPAddr,
		ClientID: ClientID, ClientSecret: e.Secret, BuildHint: o.BuildHint, Env: env,
	})
	if err != nil {
		return nil, err
	}
	e.API = suiteproc.NewClient(e.Suite.Base(), ClientID, e.Secret, 4)
	if err := e.API.Authenticate(ctx); err != nil {
		return nil, err
	}
	if e.logFile, err = os.Create(filepath.Join(o.DataDir, "connector.log")); err != nil {
		return nil, err
	}
	cfg := connector.Config{
		URL: e.SimURL, TokenURL: e.SimURL + "/common/oauth2/v2.0/token", ClientID: "msisync-sim", ClientSecret: "sim-secret",
		SyncInterval: 30 * time.Second, WritebackInterval: 30 * time.Second, PageSize: 1000, MaxConcurrency: 8, BatchSize: 100, ThrottleBudget: 15 * time.Minute,
		WritebackParallel: 4, PollInterval: 100 * time.Millisecond, OrchestratorAddr: e.Suite.Addr("MSISYNC_ORCHESTRATOR_ADDR"),
		OrchestratorClientID: ClientID, OrchestratorClientSecret: config.Secret(e.Secret),
		Store: config.Store{DataDir: o.DataDir, SQLiteSynchronous: "NORMAL", DatabaseURL: config.Secret(o.DatabaseURL)},
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	e.cfg, e.opts = cfg, connector.Options{Log: slog.New(slog.NewTextHandler(e.logFile, nil)), Progress: o.Progress}
	e.Conn, err = connector.New(ctx, cfg, e.opts)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Config returns the connector's configuration.
func (e *Env) Config() connector.Config { return e.cfg }

// Reconfigure restarts the connector over the same state with configure applied to its
// configuration, as an admin who changed a setting (the field mapping) would.
func (e *Env) Reconfigure(ctx context.Context, configure func(*connector.Config)) error {
	cfg := e.cfg
	configure(&cfg)
	if err := e.Conn.Close(); err != nil {
		return err
	}
	c, err := connector.New(ctx, cfg, e.opts)
	e.Conn, e.cfg = c, cfg
	return err
}

// Close stops the connector, the suite and the simulator.
func (e *Env) Close() error {
	var errs []error
	if e.Conn != nil {
		errs = append(errs, e.Conn.Close())
	}
	if e.Suite != nil {
		errs = append(errs, e.Suite.Stop())
	}
	if e.simSrv != nil {
		errs = append(errs, e.simSrv.Close())
	}
	if e.logFile != nil {
		errs = append(errs, e.logFile.Close())
	}
	return errors.Join(errs...)
}

// randomSecret is a fresh API client secret.
func randomSecret() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
