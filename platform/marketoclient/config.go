package marketoclient

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/msisync/msisync/platform/config"
)

// Config is how msisync reaches the customer's Marketo instance and how hard it may use it.
// Upstream mode is on when URL is set.
type Config struct {
	// URL is the instance's REST endpoint, e.g. https://123-ABC-456.mktorest.com; empty
	// means embedded mode (msisync is the Marketo).
	URL string `env:"MARKETO_URL"`
	// IdentityURL is where access tokens come from; empty means URL + "/identity".
	IdentityURL string `env:"MARKETO_IDENTITY_URL"`
	// ClientID and ClientSecret are the LaunchPoint custom service's credentials.
	ClientID     string        `env:"MARKETO_CLIENT_ID"`
	ClientSecret config.Secret `env:"MARKETO_CLIENT_SECRET"`
	// RateLimitCalls is how many calls may start per RateLimitWindow (Marketo: 100 / 20 s).
	RateLimitCalls  int           `env:"MARKETO_RATE_LIMIT_CALLS" envDefault:"100"`
	RateLimitWindow time.Duration `env:"MARKETO_RATE_LIMIT_WINDOW" envDefault:"20s"`
	// MaxConcurrency is how many calls may run at once (Marketo: 10).
	MaxConcurrency int `env:"MARKETO_MAX_CONCURRENCY" envDefault:"10"`
	// DailyQuota is the instance's calls per day, reset at midnight America/Chicago
	// (Marketo: 50,000 unless the subscription says more).
	DailyQuota int64 `env:"MARKETO_DAILY_QUOTA" envDefault:"50000"`
	// QuotaReserve is the percentage of DailyQuota msisync leaves for the customer's other
	// integrations.
	QuotaReserve float64 `env:"MARKETO_QUOTA_RESERVE" envDefault:"10"`
	// Timeout bounds one HTTP attempt.
	Timeout time.Duration `env:"MARKETO_TIMEOUT" envDefault:"60s"`
}

// Defaults are Marketo's documented limits, as the envDefault tags say.
var Defaults = Config{
	RateLimitCalls: 100, RateLimitWindow: 20 * time.Second, MaxConcurrency: 10,
	DailyQuota: 50000, QuotaReserve: 10, Timeout: 60 * time.Second,
}

// Upstream reports whether a Marketo instance is configured.
func (c Config) Upstream() bool { return c.URL != "" }

// Validate reports a setting that cannot work, naming its variable. In embedded mode (no
// URL) only the limits are checked.
func (c Config) Validate() error {
	var errs []error
	if c.URL != "" {
		if err := checkURL("MSISYNC_MARKETO_URL", c.URL); err != nil {
			errs = append(errs, err)
		}
		if c.IdentityURL != "" {
			if err := checkURL("MSISYNC_MARKETO_IDENTITY_URL", c.IdentityURL); err != nil {
				errs = append(errs, err)
			}
		}
		if strings.TrimSpace(c.ClientID) == "" {
			errs = append(errs, errors.New("MSISYNC_MARKETO_CLIENT_ID is empty: set it to the Client ID of the LaunchPoint custom service (Admin → LaunchPoint → View Details)"))
		}
		if c.ClientSecret == "" {
			errs = append(errs, errors.New("MSISYNC_MARKETO_CLIENT_SECRET is empty: set it to the Client Secret of the LaunchPoint custom service"))
		}
	} else if c.ClientID != "" || c.ClientSecret != "" || c.IdentityURL != "" {
		errs = append(errs, errors.New("MSISYNC_MARKETO_URL is empty but Marketo credentials are set: set it to the instance's REST endpoint (Admin → Web Services), e.g. https://123-ABC-456.mktorest.com"))
	}
	if c.RateLimitCalls < 1 {
		errs = append(errs, fmt.Errorf("MSISYNC_MARKETO_RATE_LIMIT_CALLS is %d; it must be at least 1", c.RateLimitCalls))
	}
	if c.RateLimitWindow <= 0 {
		errs = append(errs, fmt.Errorf("MSISYNC_MARKETO_RATE_LIMIT_WINDOW is %v; it must be a positive duration such as 20s", c.RateLimitWindow))
	}
	if c.MaxConcurrency < 1 {
		errs = append(errs, fmt.Errorf("MSISYNC_MARKETO_MAX_CONCURRENCY is %d; it must be at least 1", c.MaxConcurrency))
	}
	if c.DailyQuota < 1 {
		errs = append(errs, fmt.Errorf("MSISYNC_MARKETO_DAILY_QUOTA is %d; it must be at least 1", c.DailyQuota))
	}
	if c.QuotaReserve < 0 || c.QuotaReserve >= 100 {
		errs = append(errs, fmt.Errorf("MSISYNC_MARKETO_QUOTA_RESERVE is %v; it is a percentage from 0 to below 100", c.QuotaReserve))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("MSISYNC_MARKETO_TIMEOUT is %v; it must be a positive duration such as 60s", c.Timeout))
	}
	return errors.Join(errs...)
}

// identityURL returns where tokens come from.
func (c Config) identityURL() string {
	if c.IdentityURL != "" {
		return strings.TrimRight(c.IdentityURL, "/")
	}
	return strings.TrimRight(c.URL, "/") + "/identity"
}

// usable returns the calls msisync may make per day: the quota less the reserve.
func (c Config) usable() int64 {
	return c.DailyQuota - int64(float64(c.DailyQuota)*c.QuotaReserve/100)
}

func checkURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%s is %q; it must be an http(s) URL such as https://123-ABC-456.mktorest.com", name, raw)
	}
	if u.Path != "" && u.Path != "/" && name == "MSISYNC_MARKETO_URL" {
		return fmt.Errorf("%s is %q; give the instance's REST endpoint without a path (no /rest)", name, raw)
	}
	return nil
}
