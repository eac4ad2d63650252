package connector

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestConfigNamesEveryBadSetting(t *testing.T) {
	t.Setenv("MSISYNC_DYNAMICS_URL", "https://org.crm.dynamics.com")
	t.Setenv("MSISYNC_DYNAMICS_TOKEN_URL", "https://login.microsoftonline.com/t/oauth2/v2.0/token")
	t.Setenv("MSISYNC_DYNAMICS_CLIENT_ID", "app")
	t.Setenv("MSISYNC_DYNAMICS_CLIENT_SECRET", "s3cret")
	t.Setenv("MSISYNC_DYNAMICS_WRITEBACK_COLUMNS", "mkt_priority:new_priority")
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatalf("LoadConfig with every required setting: %v", err)
	}
	if cfg.SyncInterval != 5*time.Minute || cfg.BatchSize != 100 || cfg.ThrottleBudget != 15*time.Minute || cfg.OrchestratorAddr != "127.0.0.1:9100" || cfg.WritebackColumns["mkt_priority"] != "new_priority" {
		t.Errorf("defaults and mapping = %+v", cfg)
	}
	if printed := fmt.Sprintf("%+v", cfg); strings.Contains(printed, "s3cret") {
		t.Errorf("the configuration prints its secret: %s", printed)
	}

	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no URL", func(c *Config) { c.URL = "" }, "MSISYNC_DYNAMICS_URL is not set"},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, "MSISYNC_DYNAMICS_CLIENT_SECRET is not set"},
		{"zero interval", func(c *Config) { c.SyncInterval = 0 }, "MSISYNC_DYNAMICS_SYNC_INTERVAL"},
		{"no throttle budget", func(c *Config) { c.ThrottleBudget = 0 }, "MSISYNC_DYNAMICS_THROTTLE_BUDGET"},
		{"fallback owner not a GUID", func(c *Config) { c.FallbackOwner = "jane@contoso.com" }, "MSISYNC_DYNAMICS_FALLBACK_OWNER"},
		{"huge batch", func(c *Config) { c.BatchSize = 5000 }, "MSISYNC_DYNAMICS_BATCH_SIZE is 5000; use 1 to 1000"},
		{"bad address", func(c *Config) { c.OrchestratorAddr = "nowhere" }, "MSISYNC_ORCHESTRATOR_ADDR"},
		{"filter with an open quote", func(c *Config) { c.FilterAccounts = "name eq 'x" }, "MSISYNC_DYNAMICS_FILTER_ACCOUNTS is \"name eq 'x\": a quoted string is not closed"},
		{"filter without a column", func(c *Config) { c.FilterLeads = "true" }, "MSISYNC_DYNAMICS_FILTER_LEADS is \"true\": it names no column"},
		{"sync column not a name", func(c *Config) { c.SyncColumn = "new sync" }, "MSISYNC_DYNAMICS_SYNC_COLUMN is \"new sync\""},
		{"unknown delete mode", func(c *Config) { c.DeleteMode = "soft" }, "MSISYNC_DELETE_MODE is \"soft\"; use hard"},
		{"remove without a scope", func(c *Config) { c.SyncColumnRemove = true }, "MSISYNC_DYNAMICS_SYNC_COLUMN_REMOVE is true but no scope is set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			tc.change(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
