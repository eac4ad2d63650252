package dataverse

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Defaults and limits of Config.
const (
	DefaultAPIVersion     = "v9.2"
	DefaultPageSize       = 1000
	MaxPageSize           = 5000 // Dataverse's own maximum page size
	DefaultMaxConcurrency = 8
	// ConcurrencyLimit is Dataverse's per-user limit of concurrent requests
	// (service protection, error 0x80072326); MaxConcurrency must stay below it.
	ConcurrencyLimit   = 52
	DefaultMaxAttempts = 8
	DefaultBaseBackoff = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	// MaxRetryAfter caps one Retry-After wait.
	MaxRetryAfter = 5 * time.Minute
	// DefaultThrottleBudget is how long one request may wait on throttling in total.
	DefaultThrottleBudget = 15 * time.Minute
	// DefaultTimeout is the timeout of the default HTTP client; Dataverse operations
	// time out at about 2 minutes on the server.
	DefaultTimeout = 2 * time.Minute
	// MaxBatch is the most requests one $batch may hold.
	MaxBatch = 1000
)

// Config configures a Client.
type Config struct {
	URL            string        // environment URL, e.g. https://org.crm.dynamics.com or http://127.0.0.1:8090 (no trailing path); required
	TokenURL       string        // OAuth2 token endpoint, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token; required
	ClientID       string        // required
	ClientSecret   string        // required; never logged
	APIVersion     string        // default "v9.2"
	PageSize       int           // odata.maxpagesize, default 1000, 1..5000
	MaxConcurrency int           // requests in flight at once, default 8, must be < 52
	MaxAttempts    int           // attempts per request including the first, default 8
	BaseBackoff    time.Duration // first backoff for 5xx / network errors, default 500ms, doubled each time with full jitter
	MaxBackoff     time.Duration // cap for one backoff wait, default 30s (a Retry-After is honoured in full, even above this cap, up to 5 minutes)
	ThrottleBudget time.Duration // total wait of one request on throttling (429, 503 with Retry-After), which uses no attempts; default 15m
	HTTPClient     *http.Client  // default: timeout 2 minutes, no cookie jar (no server affinity: docs/dataverse-facts.md)
	Log            *slog.Logger  // default: discard
}

var apiVersionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+$`)

// withDefaults validates cfg and fills in the defaults. Every problem is reported,
// each naming the field and what to do.
func (cfg Config) withDefaults() (Config, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("dataverse: config: "+format, args...))
	}

	cfg.URL = strings.TrimRight(strings.TrimSpace(cfg.URL), "/")
	if cfg.URL == "" {
		bad("URL is required: set it to the environment URL, e.g. https://org.crm.dynamics.com")
	} else if u, err := url.Parse(cfg.URL); err != nil {
		bad("URL %q does not parse (%v): set it to the environment URL, e.g. https://org.crm.dynamics.com", cfg.URL, err)
	} else {
		switch {
		case u.Scheme != "http" && u.Scheme != "https":
			bad("URL %q must use https:// (or http:// for a local simulator)", cfg.URL)
		case u.Host == "":
			bad("URL %q has no host: set it to the environment URL, e.g. https://org.crm.dynamics.com", cfg.URL)
		case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			bad("URL %q must be the bare environment URL (scheme and host only, no /api/data/... path, query or credentials)", cfg.URL)
		}
	}

	cfg.TokenURL = strings.TrimSpace(cfg.TokenURL)
	if cfg.TokenURL == "" {
		bad("TokenURL is required: set it to the OAuth2 token endpoint, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token")
	} else if u, err := url.Parse(cfg.TokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("TokenURL %q must be an http(s) URL with a host, e.g. https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token", cfg.TokenURL)
	}
	if strings.TrimSpace(cfg.ClientID) == "" {
		bad("ClientID is required: set it to the application (client) id of the Entra app registration")
	}
	if cfg.ClientSecret == "" {
		bad("ClientSecret is required: set it to a client secret of the Entra app registration")
	}

	if cfg.APIVersion == "" {
		cfg.APIVersion = DefaultAPIVersion
	} else if !apiVersionRE.MatchString(cfg.APIVersion) {
		bad("APIVersion %q must look like v9.2 (or leave it empty for %s)", cfg.APIVersion, DefaultAPIVersion)
	}

	switch {
	case cfg.PageSize == 0:
		cfg.PageSize = DefaultPageSize
	case cfg.PageSize < 1 || cfg.PageSize > MaxPageSize:
		bad("PageSize %d is out of range: use 1..%d (or 0 for %d)", cfg.PageSize, MaxPageSize, DefaultPageSize)
	}
	switch {
	case cfg.MaxConcurrency == 0:
		cfg.MaxConcurrency = DefaultMaxConcurrency
	case cfg.MaxConcurrency < 0 || cfg.MaxConcurrency >= ConcurrencyLimit:
		bad("MaxConcurrency %d is out of range: use 1..%d, below Dataverse's limit of %d concurrent requests (or 0 for %d)",
			cfg.MaxConcurrency, ConcurrencyLimit-1, ConcurrencyLimit, DefaultMaxConcurrency)
	}
	switch {
	case cfg.MaxAttempts == 0:
		cfg.MaxAttempts = DefaultMaxAttempts
	case cfg.MaxAttempts < 0:
		bad("MaxAttempts %d must be at least 1 (or 0 for %d)", cfg.MaxAttempts, DefaultMaxAttempts)
	}
	switch {
	case cfg.BaseBackoff == 0:
		cfg.BaseBackoff = DefaultBaseBackoff
	case cfg.BaseBackoff < 0:
		bad("BaseBackoff %v must be positive (or 0 for %v)", cfg.BaseBackoff, DefaultBaseBackoff)
	}
	switch {
	case cfg.MaxBackoff == 0:
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.BaseBackoff)
	case cfg.MaxBackoff < 0:
		bad("MaxBackoff %v must be positive (or 0 for %v)", cfg.MaxBackoff, DefaultMaxBackoff)
	case cfg.BaseBackoff > 0 && cfg.MaxBackoff < cfg.BaseBackoff:
		bad("MaxBackoff %v is below BaseBackoff %v: raise MaxBackoff or lower BaseBackoff", cfg.MaxBackoff, cfg.BaseBackoff)
	}
	switch {
	case cfg.ThrottleBudget == 0:
		cfg.ThrottleBudget = DefaultThrottleBudget
	case cfg.ThrottleBudget < 0:
		bad("ThrottleBudget %v must be positive (or 0 for %v)", cfg.ThrottleBudget, DefaultThrottleBudget)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultTimeout} // no Jar: no affinity cookie
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg, errors.Join(errs...)
}
