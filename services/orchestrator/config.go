package orchestrator

import (
	"errors"
	"fmt"
	"time"

	"github.com/msisync/msisync/platform/alert"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/platform/mtls"
	"github.com/msisync/msisync/services/orchestrator/internal/insight"
	"github.com/msisync/msisync/services/orchestrator/internal/limits"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// Config is the orchestrator's configuration, read from MSISYNC_* variables.
type Config struct {
	// Addr is where the orchestrator's gRPC server listens (MSISYNC_ORCHESTRATOR_ADDR).
	Addr string `env:"ORCHESTRATOR_ADDR" envDefault:"127.0.0.1:9100"`
	// HTTPAddr is where the REST gateway listens (MSISYNC_HTTP_ADDR).
	HTTPAddr string `env:"HTTP_ADDR" envDefault:"127.0.0.1:8080"`
	// IdentityAddr is the identity service's gRPC address (MSISYNC_IDENTITY_ADDR).
	IdentityAddr string `env:"IDENTITY_ADDR" envDefault:"127.0.0.1:9101"`
	// AccountAddr is the account service's gRPC address (MSISYNC_ACCOUNT_ADDR).
	AccountAddr string `env:"ACCOUNT_ADDR" envDefault:"127.0.0.1:9102"`
	// PersonAddr is the person service's gRPC address (MSISYNC_PERSON_ADDR).
	PersonAddr string `env:"PERSON_ADDR" envDefault:"127.0.0.1:9103"`
	// OpportunityAddr is the opportunity service's gRPC address (MSISYNC_OPPORTUNITY_ADDR).
	OpportunityAddr string `env:"OPPORTUNITY_ADDR" envDefault:"127.0.0.1:9104"`
	// ScoringAddr is the scoring service's gRPC address (MSISYNC_SCORING_ADDR).
	ScoringAddr string `env:"SCORING_ADDR" envDefault:"127.0.0.1:9105"`
	// HTTP bounds the REST gateway's connections (MSISYNC_HTTP_*, see HTTPConfig).
	HTTP HTTPConfig
	// DatabaseURL, when set, overrides MSISYNC_DATABASE_URL for this service
	// (MSISYNC_ORCHESTRATOR_DATABASE_URL).
	DatabaseURL config.Secret `env:"ORCHESTRATOR_DATABASE_URL"`
	// Store is the shared storage configuration.
	Store config.Store
	// TLS is the client certificate the orchestrator presents to the internal services and
	// the CA it verifies them with (MSISYNC_INTERNAL_TLS, MSISYNC_TLS_CA, MSISYNC_TLS_CERT,
	// MSISYNC_TLS_KEY). Its own public API keeps bearer tokens and needs no certificate.
	TLS mtls.Config
	// ClientID and ClientSecret define an API client, created or updated at start-up
	// (MSISYNC_CLIENT_ID, MSISYNC_CLIENT_SECRET). When both are unset and no client exists
	// yet, one is generated, printed once and saved to <data dir>/credentials.env.
	ClientID string `env:"CLIENT_ID"`
	// ClientSecret is the API client's secret; only its hash is stored.
	ClientSecret config.Secret `env:"CLIENT_SECRET"`
	// Clients adds more API clients (MSISYNC_CLIENTS): comma-separated "id:secret" (read-write),
	// "id:secret:read_only" (may only read: an RPC that writes gets 603), "id:secret:admin"
	// (read-write, and sees and manages every client's sync runs, parked and dead-lettered
	// records; the others only their own) or "id:secret:auditor" (sees all of them like an
	// admin, but may only read, 603 like read_only), each secret at least 16 characters and without
	// commas. They are created or updated at start-up,
	// besides MSISYNC_CLIENT_ID; only the secrets' hashes are stored, and the value is never
	// logged.
	Clients config.Secret `env:"CLIENTS"`
	// TokenTTL is how long an access token lives (MSISYNC_TOKEN_TTL, Marketo: 1h).
	TokenTTL time.Duration `env:"TOKEN_TTL" envDefault:"1h"`
	// ParkTTL is how long a sync-run record whose parent is missing stays parked (on
	// GET /v1/pending) before it expires to the dead-letter list (MSISYNC_PARK_TTL, 1s to
	// 90 days; parked records are checked every minute, or every ParkTTL when shorter).
	ParkTTL time.Duration `env:"PARK_TTL" envDefault:"24h"`
	// SyncRunRetention is how long a sync run is kept after it completed before it is
	// pruned (MSISYNC_SYNC_RUN_RETENTION, e.g. 720h or 30d; "off" or 0 keeps runs for ever):
	// its applied, rejected and dropped records are deleted, and the run with them unless it
	// still holds dead letters. Parked and dead-lettered records are never pruned.
	SyncRunRetention string `env:"SYNC_RUN_RETENTION" envDefault:"720h"`
	// DeadLetterRetry is when dead letters are retried automatically
	// (MSISYNC_DEAD_LETTER_RETRY): comma-separated delays, the first counted from when a
	// record was dead-lettered, each next one from when it was dead-lettered again, the last
	// repeating; "off" leaves them to the manual retry. See parseDeadLetterRetry.
	DeadLetterRetry string `env:"DEAD_LETTER_RETRY" envDefault:"1h,6h,24h"`
	// DeadLetterRetryMaxAge ends the automatic retries of a record that long after it was
	// first dead-lettered (MSISYNC_DEAD_LETTER_RETRY_MAX_AGE, e.g. 7d; "off": never).
	DeadLetterRetryMaxAge string `env:"DEAD_LETTER_RETRY_MAX_AGE" envDefault:"7d"`
	// Alert is where alerts go (MSISYNC_ALERT_WEBHOOK_URL, MSISYNC_ALERT_WEBHOOK_SECRET; see
	// package alert); unset, none is sent.
	Alert alert.Config
	// AlertDeadLetterThreshold: the dead-letter alert fires while more sync records than
	// this are dead-lettered (MSISYNC_ALERT_DEAD_LETTER_THRESHOLD, 0 or more).
	AlertDeadLetterThreshold int64 `env:"ALERT_DEAD_LETTER_THRESHOLD" envDefault:"100"`
	// AlertCheckInterval is how often the alert conditions are checked
	// (MSISYNC_ALERT_CHECK_INTERVAL, 1s to 1h).
	AlertCheckInterval time.Duration `env:"ALERT_CHECK_INTERVAL" envDefault:"1m"`
	// WritebackColumns maps MSI fields to the CRM columns the writeback feed names
	// (MSISYNC_WRITEBACK_COLUMNS, "field:column,field:column"; default: the Dynamics mkt_*
	// columns of docs/msi-contract.md, Writeback). Fields left out are not written back.
	WritebackColumns insight.Columns `env:"WRITEBACK_COLUMNS" envKeyValSeparator:":"`
	// AllowAccessTokenParam accepts the deprecated access_token query parameter besides
	// the Authorization header (MSISYNC_ALLOW_ACCESS_TOKEN_PARAM).
	AllowAccessTokenParam bool `env:"ALLOW_ACCESS_TOKEN_PARAM" envDefault:"false"`
	// RateLimitCalls is how many calls one API client may make per RateLimitWindow before
	// it gets 606 (MSISYNC_RATE_LIMIT_CALLS, Marketo: 100; 0 disables the limit). Counted
	// per orchestrator replica; token calls do not count.
	RateLimitCalls int `env:"RATE_LIMIT_CALLS" envDefault:"100"`
	// RateLimitWindow is the rate limit's sliding window (MSISYNC_RATE_LIMIT_WINDOW,
	// Marketo: 20s; 1s to 24h).
	RateLimitWindow time.Duration `env:"RATE_LIMIT_WINDOW" envDefault:"20s"`
	// MaxConcurrency is how many calls one API client may have running at once before it
	// gets 615 (MSISYNC_MAX_CONCURRENCY, Marketo: 10; 0 disables the limit). Counted per
	// orchestrator replica.
	MaxConcurrency int `env:"MAX_CONCURRENCY" envDefault:"10"`
	// DailyQuota is how many calls one API client may make per day before it gets 607
	// (MSISYNC_DAILY_QUOTA, Marketo: 50000; 0 disables the quota). The day ends at midnight
	// America/Chicago, as Marketo's quota resets at 12:00 AM CST; the count is kept in the
	// orchestrator store, shared by replicas and kept across restarts. Calls refused with
	// 601, 602, 606, 607 or 615 and token calls do not count.
	DailyQuota int64 `env:"DAILY_QUOTA" envDefault:"50000"`
	// CustomFields declares the custom fields leads have (MSISYNC_CUSTOM_FIELDS,
	// "leads:name:type,…", type string, integer, float or boolean). As in Marketo, a custom
	// field exists only once declared: it appears in the describe endpoints with its type,
	// and any other unknown name in a sync or a query's fields answers 1006.
	CustomFields string `env:"CUSTOM_FIELDS"`
	// Marketo is the customer's Marketo instance (MSISYNC_MARKETO_URL, _CLIENT_ID,
	// _CLIENT_SECRET, _IDENTITY_URL and its limits, see marketoclient.Config). With
	// MSISYNC_MARKETO_URL set, msisync runs in upstream mode: it delivers what it accepted
	// to that instance and takes the MSI fields back from it (docs/upstream.md).
	Marketo marketoclient.Config
	// MarketoBatchLinger is how long a partial batch waits for more records before it is
	// sent to Marketo (MSISYNC_MARKETO_BATCH_LINGER, 0s to 1m): longer fills calls better.
	MarketoBatchLinger time.Duration `env:"MARKETO_BATCH_LINGER" envDefault:"2s"`
	// MarketoPollInterval is how often Marketo's activities are read for changed MSI fields
	// (MSISYNC_MARKETO_POLL_INTERVAL, 1s to 24h).
	MarketoPollInterval time.Duration `env:"MARKETO_POLL_INTERVAL" envDefault:"1m"`
	// MarketoMSIRefresh is how often every delivered lead's MSI fields are read again, for
	// the changes that leave no activity (the nightly star and flame recalculation)
	// (MSISYNC_MARKETO_MSI_REFRESH, e.g. 24h; 0s: only at the first start and on
	// POST /v1/upstream/backfill).
	MarketoMSIRefresh time.Duration `env:"MARKETO_MSI_REFRESH" envDefault:"24h"`
}

// minSecretLength is the shortest client secret accepted.
const minSecretLength = 16

// Validate reports a setting that cannot work.
func (c Config) Validate() error {
	var errs []error
	addrs := map[string]string{
		"MSISYNC_ORCHESTRATOR_ADDR": c.Addr, "MSISYNC_HTTP_ADDR": c.HTTPAddr,
		"MSISYNC_IDENTITY_ADDR": c.IdentityAddr, "MSISYNC_ACCOUNT_ADDR": c.AccountAddr,
		"MSISYNC_PERSON_ADDR": c.PersonAddr, "MSISYNC_OPPORTUNITY_ADDR": c.OpportunityAddr,
		"MSISYNC_SCORING_ADDR": c.ScoringAddr,
	}
	for name, addr := range addrs {
		errs = append(errs, config.CheckAddr(name, addr))
	}
	if (c.ClientID == "") != (c.ClientSecret == "") {
		errs = append(errs, errors.New("set both MSISYNC_CLIENT_ID and MSISYNC_CLIENT_SECRET, or neither"))
	}
	if c.ClientSecret != "" && len(c.ClientSecret.Value()) < minSecretLength {
		errs = append(errs, fmt.Errorf("MSISYNC_CLIENT_SECRET is too short: use at least %d characters", minSecretLength))
	}
	if c.TokenTTL < time.Second || c.TokenTTL > 24*time.Hour {
		errs = append(errs, fmt.Errorf("MSISYNC_TOKEN_TTL %v is out of range: use 1s to 24h", c.TokenTTL))
	}
	if c.ParkTTL < time.Second || c.ParkTTL > 90*24*time.Hour {
		errs = append(errs, fmt.Errorf("MSISYNC_PARK_TTL %v is out of range: use 1s to 2160h (90 days)", c.ParkTTL))
	}
	if _, err := parseRetention(c.SyncRunRetention); err != nil {
		errs = append(errs, err)
	}
	if _, err := parseDeadLetterRetry(c.DeadLetterRetry, c.DeadLetterRetryMaxAge); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.validateAlerts())
	if clients, err := parseClients(c.Clients.Value()); err != nil {
		errs = append(errs, err)
	} else {
		for _, cl := range clients {
			if cl.id == c.ClientID {
				errs = append(errs, fmt.Errorf("MSISYNC_CLIENTS names client %q, which MSISYNC_CLIENT_ID already defines", cl.id))
			}
		}
	}
	if c.RateLimitCalls < 0 || c.RateLimitCalls > 1_000_000 {
		errs = append(errs, fmt.Errorf("MSISYNC_RATE_LIMIT_CALLS %d is out of range: use 0 (no limit) to 1000000", c.RateLimitCalls))
	}
	if c.RateLimitCalls > 0 && (c.RateLimitWindow < time.Second || c.RateLimitWindow > 24*time.Hour) {
		errs = append(errs, fmt.Errorf("MSISYNC_RATE_LIMIT_WINDOW %v is out of range: use 1s to 24h", c.RateLimitWindow))
	}
	if c.MaxConcurrency < 0 || c.MaxConcurrency > 100_000 {
		errs = append(errs, fmt.Errorf("MSISYNC_MAX_CONCURRENCY %d is out of range: use 0 (no limit) to 100000", c.MaxConcurrency))
	}
	if c.DailyQuota < 0 {
		errs = append(errs, fmt.Errorf("MSISYNC_DAILY_QUOTA %d is negative: use 0 (no quota) or more", c.DailyQuota))
	}
	if _, err := objects.ParseCustomFields(c.CustomFields); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Marketo.Validate())
	if c.MarketoBatchLinger < 0 || c.MarketoBatchLinger > time.Minute {
		errs = append(errs, fmt.Errorf("MSISYNC_MARKETO_BATCH_LINGER %v is out of range: use 0s to 1m", c.MarketoBatchLinger))
	}
	if c.MarketoPollInterval < time.Second || c.MarketoPollInterval > 24*time.Hour {
		errs = append(errs, fmt.Errorf("MSISYNC_MARKETO_POLL_INTERVAL %v is out of range: use 1s to 24h", c.MarketoPollInterval))
	}
	if c.MarketoMSIRefresh < 0 {
		errs = append(errs, fmt.Errorf("MSISYNC_MARKETO_MSI_REFRESH %v is negative: use 0 (off) or a duration such as 24h", c.MarketoMSIRefresh))
	}
	errs = append(errs, c.HTTP.Validate())
	errs = append(errs, c.WritebackColumns.Validate())
	errs = append(errs, c.Store.Override(c.DatabaseURL).Validate())
	errs = append(errs, c.TLS.Validate(c.Store.DataDir))
	return errors.Join(errs...)
}

// limits returns the API limits the configuration sets.
func (c Config) limits() limits.Config {
	return limits.Config{Calls: c.RateLimitCalls, Window: c.RateLimitWindow, MaxConcurrency: c.MaxConcurrency, DailyQuota: c.DailyQuota}
}

// downstream maps each downstream service to its address.
func (c Config) downstream() map[string]string {
	return map[string]string{
		"identity":    c.IdentityAddr,
		"account":     c.AccountAddr,
		"person":      c.PersonAddr,
		"opportunity": c.OpportunityAddr,
		"scoring":     c.ScoringAddr,
	}
}
