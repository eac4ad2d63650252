package alert

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/msisync/msisync/platform/config"
)

// MinSecretLength is the shortest webhook secret accepted.
const MinSecretLength = 16

// Config is where alerts go (MSISYNC_ALERT_WEBHOOK_URL, MSISYNC_ALERT_WEBHOOK_SECRET). With
// no URL, alerts are only logged.
type Config struct {
	// WebhookURL receives each alert as a POST (MSISYNC_ALERT_WEBHOOK_URL, http or https);
	// empty turns the webhook off. Kept secret: chat webhook URLs carry their credential.
	WebhookURL config.Secret `env:"ALERT_WEBHOOK_URL"`
	// WebhookSecret signs each body (MSISYNC_ALERT_WEBHOOK_SECRET, at least 16 characters,
	// required with a URL); never logged.
	WebhookSecret config.Secret `env:"ALERT_WEBHOOK_SECRET"`
}

// Enabled reports whether alerts are posted.
func (c Config) Enabled() bool { return strings.TrimSpace(c.WebhookURL.Value()) != "" }

// Validate reports a setting that cannot work, naming its variable.
func (c Config) Validate() error {
	if !c.Enabled() {
		if c.WebhookSecret != "" {
			return fmt.Errorf("MSISYNC_ALERT_WEBHOOK_SECRET is set but MSISYNC_ALERT_WEBHOOK_URL is not: set the URL the alerts go to, or unset the secret")
		}
		return nil
	}
	u, err := url.Parse(strings.TrimSpace(c.WebhookURL.Value()))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("MSISYNC_ALERT_WEBHOOK_URL is not an http or https URL: use e.g. https://alerts.example.com/msisync")
	}
	if len(c.WebhookSecret.Value()) < MinSecretLength {
		return fmt.Errorf("MSISYNC_ALERT_WEBHOOK_SECRET must be set with MSISYNC_ALERT_WEBHOOK_URL, at least %d characters: the receiver checks each alert's signature with it", MinSecretLength)
	}
	return nil
}
