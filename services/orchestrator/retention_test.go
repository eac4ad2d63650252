package orchestrator

import (
	"strings"
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{
		"": DefaultSyncRunRetention, "720h": 720 * time.Hour, "30d": 30 * 24 * time.Hour, "1.5d": 36 * time.Hour,
		"1s": time.Second, " 90m ": 90 * time.Minute, "0": 0, "off": 0, "OFF": 0,
	} {
		if got, err := parseRetention(in); err != nil || got != want {
			t.Errorf("parseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1h", "500ms", "soon", "30days", "d", "-2d", "1e9d"} {
		if _, err := parseRetention(bad); err == nil || !strings.Contains(err.Error(), "MSISYNC_SYNC_RUN_RETENTION") {
			t.Errorf("parseRetention(%q) = %v; want an error naming MSISYNC_SYNC_RUN_RETENTION", bad, err)
		}
	}
	c := validConfig()
	c.SyncRunRetention = "forever"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "MSISYNC_SYNC_RUN_RETENTION") {
		t.Errorf("Validate with MSISYNC_SYNC_RUN_RETENTION=forever = %v; want an error naming it", err)
	}
}
