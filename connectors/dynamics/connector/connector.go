// Package connector is the Dynamics 365 connector: it pulls the CRM's users, accounts,
// contacts, leads, opportunities and stakeholder connections through the Dataverse Web API
// (delta links after the first load), sends them to the orchestrator as sync runs in the MSI
// order, and writes the MSI fields of the orchestrator's writeback feed back onto the
// Dynamics leads and contacts. It talks to the orchestrator only over gRPC, as an API
// client, and keeps its cursors in its own database (package state), so it resumes after a
// restart where the last acknowledged change set ended.
package connector

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/metric"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/state"
	"github.com/msisync/msisync/platform/alert"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/grpcclient"
)

// Config is the connector's configuration, read from MSISYNC_* environment variables.
type Config struct {
	// URL is the Dynamics environment URL (MSISYNC_DYNAMICS_URL), e.g.
	// https://org.crm.dynamics.com; any http://127.0.0.1:PORT works too (the simulator).
	URL string `env:"DYNAMICS_URL"`
	// TokenURL is the OAuth2 token endpoint (MSISYNC_DYNAMICS_TOKEN_URL), e.g.
	// https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token.
	TokenURL string `env:"DYNAMICS_TOKEN_URL"`
	// ClientID is the app registration's client id (MSISYNC_DYNAMICS_CLIENT_ID).
	ClientID string `env:"DYNAMICS_CLIENT_ID"`
	// ClientSecret is its secret (MSISYNC_DYNAMICS_CLIENT_SECRET); never logged.
	ClientSecret config.Secret `env:"DYNAMICS_CLIENT_SECRET"`
	// SyncInterval is the pause between sync cycles in watch mode
	// (MSISYNC_DYNAMICS_SYNC_INTERVAL, like the native sync's 5 minutes).
	SyncInterval time.Duration `env:"DYNAMICS_SYNC_INTERVAL" envDefault:"5m"`
	// WritebackInterval is the pause between writeback cycles in watch mode
	// (MSISYNC_DYNAMICS_WRITEBACK_INTERVAL).
	WritebackInterval time.Duration `env:"DYNAMICS_WRITEBACK_INTERVAL" envDefault:"15m"`
	// WritebackColumns renames writeback columns on their way to Dynamics
	// (MSISYNC_DYNAMICS_WRITEBACK_COLUMNS, "from:to,…"). The feed already carries the column
	// names of the orchestrator's MSISYNC_WRITEBACK_COLUMNS (default: the mkt_* columns of the
	// Marketo solution); rename here only when this org differs.
	WritebackColumns map[string]string `env:"DYNAMICS_WRITEBACK_COLUMNS" envKeyValSeparator:":"`
	// PageSize is the Dataverse page size (MSISYNC_DYNAMICS_PAGE_SIZE, odata.maxpagesize, at
	// most 5000).
	PageSize int `env:"DYNAMICS_PAGE_SIZE" envDefault:"1000"`
	// MaxConcurrency bounds the Dataverse requests in flight (MSISYNC_DYNAMICS_MAX_CONCURRENCY,
	// below the service's limit of 52 per user).
	MaxConcurrency int `env:"DYNAMICS_MAX_CONCURRENCY" envDefault:"8"`
	// ThrottleBudget is how long one Dataverse request may wait in total on service
	// protection limits (MSISYNC_DYNAMICS_THROTTLE_BUDGET): a 429 (or 503 with Retry-After)
	// waits its Retry-After without counting as a failed attempt until the budget is spent.
	ThrottleBudget time.Duration `env:"DYNAMICS_THROTTLE_BUDGET" envDefault:"15m"`
	// FallbackOwner is the systemuserid of an enabled Dynamics user who is shown in MSI as
	// the sales person of an account or opportunity whose owner is not an enabled user (a
	// team without an enabled administrator, a disabled or application user)
	// (MSISYNC_DYNAMICS_FALLBACK_OWNER). Unset, such records are held with a finding.
	FallbackOwner string `env:"DYNAMICS_FALLBACK_OWNER"`
	// BatchSize is the number of updates per $batch request (MSISYNC_DYNAMICS_BATCH_SIZE, at
	// most 1000; Microsoft advises small batches).
	BatchSize int `env:"DYNAMICS_BATCH_SIZE" envDefault:"100"`
	// WritebackParallel is how many $batch requests run at once (MSISYNC_DYNAMICS_WRITEBACK_PARALLEL).
	WritebackParallel int `env:"DYNAMICS_WRITEBACK_PARALLEL" envDefault:"4"`
	// PollInterval is how often a cycle checks its sync runs' progress
	// (MSISYNC_DYNAMICS_POLL_INTERVAL).
	PollInterval time.Duration `env:"DYNAMICS_POLL_INTERVAL" envDefault:"200ms"`
	// OrchestratorAddr is the orchestrator's gRPC address (MSISYNC_ORCHESTRATOR_ADDR).
	OrchestratorAddr string `env:"ORCHESTRATOR_ADDR" envDefault:"127.0.0.1:9100"`
	// OrchestratorClientID and OrchestratorClientSecret are the msisync API client the
	// connector acts as (MSISYNC_CLIENT_ID, MSISYNC_CLIENT_SECRET). When unset, the
	// credentials the suite generated in <data dir>/credentials.env are used.
	OrchestratorClientID string `env:"CLIENT_ID"`
	// OrchestratorClientSecret is that client's secret; never logged.
	OrchestratorClientSecret config.Secret `env:"CLIENT_SECRET"`
	// DatabaseURL keeps the connector's state in PostgreSQL (MSISYNC_DYNAMICS_DATABASE_URL,
	// else MSISYNC_DATABASE_URL); SQLite <data dir>/dynamics.db otherwise.
	DatabaseURL config.Secret `env:"DYNAMICS_DATABASE_URL"`
	// Store is the shared storage configuration.
	Store config.Store
	// Alert is where alerts go (MSISYNC_ALERT_WEBHOOK_URL, MSISYNC_ALERT_WEBHOOK_SECRET; see
	// package alert), in watch mode; unset, none is sent.
	Alert alert.Config
	// FilterAccounts limits the accounts synced to those matching an OData $filter
	// (MSISYNC_DYNAMICS_FILTER_ACCOUNTS, e.g. "statecode eq 0"); see scope.go.
	FilterAccounts string `env:"DYNAMICS_FILTER_ACCOUNTS"`
	// FilterContacts is the $filter of contacts (MSISYNC_DYNAMICS_FILTER_CONTACTS).
	FilterContacts string `env:"DYNAMICS_FILTER_CONTACTS"`
	// FilterLeads is the $filter of leads (MSISYNC_DYNAMICS_FILTER_LEADS).
	FilterLeads string `env:"DYNAMICS_FILTER_LEADS"`
	// FilterOpportunities is the $filter of opportunities (MSISYNC_DYNAMICS_FILTER_OPPORTUNITIES).
	FilterOpportunities string `env:"DYNAMICS_FILTER_OPPORTUNITIES"`
	// SyncColumn is a Boolean column (MSISYNC_DYNAMICS_SYNC_COLUMN, e.g. new_synctomkto) where
	// an explicit No keeps an account, contact, lead or opportunity out of the sync; empty
	// (null) or Yes keeps it in.
	SyncColumn string `env:"DYNAMICS_SYNC_COLUMN"`
	// SyncColumnRemove removes a record from msisync when it leaves the sync scope (its sync
	// column turned No, or it no longer matches its filter) (MSISYNC_DYNAMICS_SYNC_COLUMN_REMOVE);
	// by default msisync keeps it as it was, as Marketo's native sync does.
	SyncColumnRemove bool `env:"DYNAMICS_SYNC_COLUMN_REMOVE"`
	// Mapping is the field mapping file (MSISYNC_DYNAMICS_MAPPING, YAML or JSON; see
	// package mapping); unset, the built-in mapping (mapping.Default).
	Mapping string `env:"DYNAMICS_MAPPING"`
	// DeleteMode is what a delete in Dynamics does in msisync (MSISYNC_DELETE_MODE): hard
	// deletes the record; flag keeps it, flagged as deleted in the CRM (see flagdelete.go).
	DeleteMode string `env:"DELETE_MODE" envDefault:"hard"`
	// AlertFailedCycles is how many cycles of one kind must fail in a row before their alert
	// fires (MSISYNC_ALERT_FAILED_CYCLES, 1 to 1000).
	AlertFailedCycles int `env:"ALERT_FAILED_CYCLES" envDefault:"3"`
	// WebhookURL turns near real time on (MSISYNC_DYNAMICS_WEBHOOK_URL): the public URL
	// Dataverse posts its webhook notifications to, which reaches WebhookAddr (see
	// webhook.go). Unset, only the scheduled cycles run.
	WebhookURL string `env:"DYNAMICS_WEBHOOK_URL"`
	// WebhookAddr is where the connector listens for the notifications in watch mode
	// (MSISYNC_DYNAMICS_WEBHOOK_ADDR, e.g. 0.0.0.0:8095).
	WebhookAddr string `env:"DYNAMICS_WEBHOOK_ADDR"`
	// WebhookSecret is the key every notification must carry (MSISYNC_DYNAMICS_WEBHOOK_SECRET,
	// at least 16 characters); registered as the endpoint's header, never logged.
	WebhookSecret config.Secret `env:"DYNAMICS_WEBHOOK_SECRET"`
	// WebhookDebounce is how long after a notification the pull starts, so that the
	// notifications of one burst make one pull (MSISYNC_DYNAMICS_WEBHOOK_DEBOUNCE).
	WebhookDebounce time.Duration `env:"DYNAMICS_WEBHOOK_DEBOUNCE" envDefault:"1s"`
}

// LoadConfig reads the configuration from the environment and checks it.
func LoadConfig() (Config, error) {
	var cfg Config
	if err := config.Load(&cfg); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// Validate reports every setting that cannot work, naming its variable.
func (c *Config) Validate() error {
	var errs []error
	for name, v := range map[string]string{"MSISYNC_DYNAMICS_URL": c.URL, "MSISYNC_DYNAMICS_TOKEN_URL": c.TokenURL,
		"MSISYNC_DYNAMICS_CLIENT_ID": c.ClientID, "MSISYNC_DYNAMICS_CLIENT_SECRET": c.ClientSecret.Value()} {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("%s is not set: the connector needs the Dynamics environment URL, the OAuth2 token URL and an app registration's client id and secret", name))
		}
	}
	for name, d := range map[string]time.Duration{"MSISYNC_DYNAMICS_SYNC_INTERVAL": c.SyncInterval,
		"MSISYNC_DYNAMICS_WRITEBACK_INTERVAL": c.WritebackInterval, "MSISYNC_DYNAMICS_POLL_INTERVAL": c.PollInterval,
		"MSISYNC_DYNAMICS_THROTTLE_BUDGET": c.ThrottleBudget} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s is %s; use a positive duration such as 5m", name, d))
		}
	}
	if c.FallbackOwner != "" && !guid.MatchString(strings.TrimSpace(c.FallbackOwner)) {
		errs = append(errs, fmt.Errorf("MSISYNC_DYNAMICS_FALLBACK_OWNER is %q; use the systemuserid (a GUID) of an enabled Dynamics user, or leave it unset", c.FallbackOwner))
	}
	if c.BatchSize < 1 || c.BatchSize > 1000 {
		errs = append(errs, fmt.Errorf("MSISYNC_DYNAMICS_BATCH_SIZE is %d; use 1 to 1000", c.BatchSize))
	}
	if c.WritebackParallel < 1 || c.WritebackParallel > 16 {
		errs = append(errs, fmt.Errorf("MSISYNC_DYNAMICS_WRITEBACK_PARALLEL is %d; use 1 to 16", c.WritebackParallel))
	}
	if err := config.CheckAddr("MSISYNC_ORCHESTRATOR_ADDR", c.OrchestratorAddr); err != nil {
		errs = append(errs, err)
	}
	if err := c.Store.Override(c.DatabaseURL).Validate(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateScope()...)
	if c.DeleteMode != "" && c.DeleteMode != DeleteHard && c.DeleteMode != DeleteFlag { // "" is hard
		errs = append(errs, fmt.Errorf("MSISYNC_DELETE_MODE is %q; use hard (delete what Dynamics deleted) or flag (keep it, flagged as deleted in the CRM)", c.DeleteMode))
	}
	if _, err := mapping.Load(c.Mapping); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateWebhook()...)
	errs = append(errs, c.Alert.Validate())
	if c.Alert.Enabled() && (c.AlertFailedCycles < 1 || c.AlertFailedCycles > 1000) {
		errs = append(errs, fmt.Errorf("MSISYNC_ALERT_FAILED_CYCLES is %d; use 1 to 1000", c.AlertFailedCycles))
	}
	return errors.Join(errs...)
}

// guid matches a GUID, with or without braces.
var guid = regexp.MustCompile(`^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$`)

// Phase names a step of a cycle, for progress reports.
type Phase int

const (
	// PhasePull reads Dataverse; Done counts rows read.
	PhasePull Phase = iota + 1
	// PhaseSend creates sync runs; Done counts records sent.
	PhaseSend
	// PhaseApply waits for the orchestrator; Done counts records it processed.
	PhaseApply
	// PhaseWriteback writes MSI fields to Dynamics; Done counts feed entries written.
	PhaseWriteback
	// PhaseDone ends a sync cycle.
	PhaseDone
)

// Event reports progress: Done more units of work in Phase.
type Event struct {
	// Phase is the step.
	Phase Phase
	// EntitySet is the entity set being read (PhasePull).
	EntitySet string
	// Object is the object type being sent (PhaseSend).
	Object mapping.Object
	// Done is the amount of work finished since the previous event.
	Done int
}

// Options are the connector's collaborators that do not come from the environment.
type Options struct {
	// Log receives the connector's messages (default: discarded).
	Log *slog.Logger
	// Progress, when set, receives progress events (called from the cycle's goroutine).
	Progress func(Event)
	// HTTPClient talks to Dataverse and the token endpoint (default: the dataverse package's).
	HTTPClient *http.Client
	// Metrics receives the connector's metrics (see metrics.go; default: the global provider).
	Metrics metric.MeterProvider
}

// Connector is one Dynamics org connected to one msisync orchestrator.
type Connector struct {
	cfg      Config
	log      *slog.Logger
	progress func(Event)
	dv       *dataverse.Client
	orch     *orchestrator
	conn     *grpc.ClientConn
	state    *state.Store
	m        instruments
	alerts   *cycleAlerts // nil without MSISYNC_ALERT_WEBHOOK_URL
	scope    *scope
	mapping  *mapping.Spec // the field mapping (MSISYNC_DYNAMICS_MAPPING)
	mapped   atomic.Bool   // the mapping passed CheckMapping
	cycle    sync.Mutex    // held by a sync cycle: one at a time (scheduled or notified)
}

// New checks the configuration, opens the connector's state and prepares its clients; it
// contacts neither Dynamics nor the orchestrator yet.
func New(ctx context.Context, cfg Config, opts Options) (*Connector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	id, secret := cfg.OrchestratorClientID, cfg.OrchestratorClientSecret.Value()
	if id == "" || secret == "" {
		var err error
		if id, secret, err = generatedCredentials(cfg.Store.DataDir); err != nil {
			return nil, err
		}
	}
	spec, err := mapping.Load(cfg.Mapping)
	if err != nil {
		return nil, err
	}
	dv, err := dataverse.New(dataverse.Config{URL: cfg.URL, TokenURL: cfg.TokenURL, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret.Value(),
		PageSize: cfg.PageSize, MaxConcurrency: cfg.MaxConcurrency, ThrottleBudget: cfg.ThrottleBudget, HTTPClient: opts.HTTPClient, Log: log})
	if err != nil {
		return nil, fmt.Errorf("configuring the Dataverse client: %w", err)
	}
	st, err := state.Open(ctx, cfg.Store.Override(cfg.DatabaseURL), log)
	if err != nil {
		return nil, fmt.Errorf("opening the connector's state: %w", err)
	}
	conn, err := grpcclient.Dial(cfg.OrchestratorAddr)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &Connector{cfg: cfg, log: log, progress: opts.Progress, dv: dv, orch: newOrchestrator(conn, id, secret, log), conn: conn, state: st, m: newInstruments(opts.Metrics),
		alerts: newCycleAlerts(cfg, log), scope: newScope(cfg), mapping: spec}, nil
}

// generatedCredentials reads the API client the suite generated on its first start.
func generatedCredentials(dataDir string) (id, secret string, err error) {
	path := filepath.Join(dataDir, "credentials.env")
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("MSISYNC_CLIENT_ID and MSISYNC_CLIENT_SECRET are not set and %s cannot be read (%v): set them to an msisync API client", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		switch k {
		case "MSISYNC_CLIENT_ID":
			id = v
		case "MSISYNC_CLIENT_SECRET":
			secret = v
		}
	}
	if id == "" || secret == "" {
		return "", "", fmt.Errorf("%s names no MSISYNC_CLIENT_ID and MSISYNC_CLIENT_SECRET: set them to an msisync API client", path)
	}
	return id, secret, sc.Err()
}

// Close releases the connector's connections and state.
func (c *Connector) Close() error {
	return errors.Join(c.conn.Close(), c.state.Close())
}

// Dataverse returns the connector's Dataverse client (for its statistics).
func (c *Connector) Dataverse() *dataverse.Client { return c.dv }

// Misses returns the writeback updates Dynamics refused, as recorded.
func (c *Connector) Misses(ctx context.Context) ([]state.Miss, error) { return c.state.Misses(ctx) }

// Watch runs sync cycles every SyncInterval and writeback cycles every WritebackInterval
// until ctx ends. A failed cycle is logged and tried again at the next tick; its cursors
// did not move, so nothing is skipped.
func (c *Connector) Watch(ctx context.Context) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return c.alerts.run(ctx) })
	if c.cfg.webhookEnabled() {
		g.Go(func() error { return c.nearRealTime(ctx) })
	}
	g.Go(func() error {
		return c.every(ctx, "sync", c.cfg.SyncInterval, func(ctx context.Context) (fmt.Stringer, error) { return c.SyncOnce(ctx) })
	})
	g.Go(func() error {
		return c.every(ctx, "writeback", c.cfg.WritebackInterval, func(ctx context.Context) (fmt.Stringer, error) { return c.WritebackOnce(ctx) })
	})
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// every runs cycle now and then every interval until ctx ends.
func (c *Connector) every(ctx context.Context, name string, interval time.Duration, cycle func(ctx context.Context) (fmt.Stringer, error)) error {
	for {
		rep, err := cycle(ctx)
		if ctx.Err() == nil {
			c.alerts.observe(name, err)
		}
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			c.log.ErrorContext(ctx, "Dynamics "+name+" cycle failed; it will be tried again", "error", err, "next", interval)
		default:
			c.log.InfoContext(ctx, "Dynamics "+name+" cycle done", "report", rep.String())
		}
		select {
		case <-time.After(interval):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// emit sends a progress event when someone listens.
func (c *Connector) emit(e Event) {
	if c.progress != nil {
		c.progress(e)
	}
}
