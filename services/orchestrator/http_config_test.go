package orchestrator

import (
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
)

func TestHTTPConfigDefaultsAndVariables(t *testing.T) {
	t.Setenv("MSISYNC_HTTP_READ_TIMEOUT", "90s")
	t.Setenv("MSISYNC_HTTP_MAX_CONNECTIONS", "50")
	var cfg Config
	if err := config.Load(&cfg); err != nil {
		t.Fatal(err)
	}
	want := HTTPConfig{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 90 * time.Second, WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, MaxConnections: 50}
	if cfg.HTTP != want {
		t.Errorf("HTTP settings = %+v, want %+v", cfg.HTTP, want)
	}
	if err := cfg.HTTP.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestHTTPConfigValidateNamesTheVariable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*HTTPConfig)
		want   string
	}{
		{"no header timeout", func(c *HTTPConfig) { c.ReadHeaderTimeout = 0 }, "MSISYNC_HTTP_READ_HEADER_TIMEOUT"},
		{"no read timeout", func(c *HTTPConfig) { c.ReadTimeout = 0 }, "MSISYNC_HTTP_READ_TIMEOUT"},
		{"write timeout too long", func(c *HTTPConfig) { c.WriteTimeout = 2 * time.Hour }, "MSISYNC_HTTP_WRITE_TIMEOUT"},
		{"write timeout under read timeout", func(c *HTTPConfig) { c.WriteTimeout = time.Minute }, "shorter than MSISYNC_HTTP_READ_TIMEOUT"},
		{"no idle timeout", func(c *HTTPConfig) { c.IdleTimeout = 0 }, "MSISYNC_HTTP_IDLE_TIMEOUT"},
		{"headers smaller than the URI limit", func(c *HTTPConfig) { c.MaxHeaderBytes = 8 << 10 }, "MSISYNC_HTTP_MAX_HEADER_BYTES"},
		{"negative connection cap", func(c *HTTPConfig) { c.MaxConnections = -1 }, "MSISYNC_HTTP_MAX_CONNECTIONS"},
	}
	for _, tt := range tests {
		cfg := validConfig()
		tt.change(&cfg.HTTP)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate = %v, want an error naming %s", tt.name, err, tt.want)
		}
	}
	off := validConfig()
	off.HTTP.MaxConnections = 0
	if err := off.Validate(); err != nil {
		t.Errorf("no connection cap: %v", err)
	}
}
