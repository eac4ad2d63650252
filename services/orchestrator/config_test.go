package orchestrator

import (
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

func validConfig() Config {
	return Config{
		Addr: "127.0.0.1:9100", HTTPAddr: "127.0.0.1:8080", IdentityAddr: "127.0.0.1:9101",
		AccountAddr: "127.0.0.1:9102", PersonAddr: "127.0.0.1:9103", OpportunityAddr: "127.0.0.1:9104",
		ScoringAddr: "127.0.0.1:9105", Store: config.Store{DataDir: "./data", SQLiteSynchronous: "NORMAL"},
		TokenTTL: time.Hour, ParkTTL: 24 * time.Hour,
		HTTP:           HTTPConfig{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, MaxConnections: 1000},
		RateLimitCalls: 100, RateLimitWindow: 20 * time.Second, MaxConcurrency: 10, DailyQuota: 50000,
		Marketo:            marketoclient.Defaults,
		MarketoBatchLinger: 2 * time.Second, MarketoPollInterval: time.Minute, MarketoMSIRefresh: 24 * time.Hour,
	}
}

func TestParseClients(t *testing.T) {
	t.Parallel()
	got, err := parseClients(" reader:reader-secret-0123456:read_only, writer:has:colons-0123456789 ,rw:rw-secret-0123456789:read_write, boss:boss-secret-0123456789:admin, eye:eye-secret-0123456789:auditor")
	if err != nil {
		t.Fatal(err)
	}
	want := []clientSpec{
		{"reader", "reader-secret-0123456", store.RoleReadOnly},
		{"writer", "has:colons-0123456789", store.RoleReadWrite},
		{"rw", "rw-secret-0123456789", store.RoleReadWrite},
		{"boss", "boss-secret-0123456789", store.RoleAdmin},
		{"eye", "eye-secret-0123456789", store.RoleAuditor},
	}
	if len(got) != len(want) {
		t.Fatalf("parseClients = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("client %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"nosecret", ":secret-0123456789abc", "a:short", "a:short:read_only", "a:secret-0123456789abc,a:secret-0123456789abc"} {
		_, err := parseClients(bad)
		if err == nil {
			t.Errorf("parseClients(%q) succeeded", bad)
			continue
		}
		if strings.Contains(err.Error(), "short") && strings.Contains(err.Error(), ":short") {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}

func TestValidateLimitsAndClients(t *testing.T) {
	t.Parallel()
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	off := validConfig()
	off.RateLimitCalls, off.RateLimitWindow, off.MaxConcurrency, off.DailyQuota = 0, 0, 0, 0
	if err := off.Validate(); err != nil {
		t.Errorf("every limit off: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"MSISYNC_RATE_LIMIT_CALLS":  func(c *Config) { c.RateLimitCalls = -1 },
		"MSISYNC_RATE_LIMIT_WINDOW": func(c *Config) { c.RateLimitWindow = 0 },
		"MSISYNC_MAX_CONCURRENCY":   func(c *Config) { c.MaxConcurrency = -1 },
		"MSISYNC_DAILY_QUOTA":       func(c *Config) { c.DailyQuota = -1 },
		"MSISYNC_CLIENTS":           func(c *Config) { c.Clients = "a:tooshort" },
		"MSISYNC_CLIENT_ID": func(c *Config) {
			c.ClientID, c.ClientSecret, c.Clients = "a", "secret-0123456789", "a:secret-0123456789"
		},
	} {
		c := validConfig()
		mutate(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("bad %s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "tooshort") {
			t.Errorf("the error quotes a secret: %v", err)
		}
	}
}

func TestValidateCustomFields(t *testing.T) {
	c := validConfig()
	c.CustomFields = "leads:favouriteColour:string,leads:tier:integer"
	if err := c.Validate(); err != nil {
		t.Errorf("declared custom fields: %v", err)
	}
	c.CustomFields = "leads:tier:date,companies:x:string"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "MSISYNC_CUSTOM_FIELDS") || !strings.Contains(err.Error(), "leads:tier:date") || !strings.Contains(err.Error(), "only leads") {
		t.Errorf("bad custom fields: %v", err)
	}
}
