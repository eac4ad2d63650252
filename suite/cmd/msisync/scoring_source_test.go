package main

import (
	"testing"

	"github.com/msisync/msisync/services/scoring"
)

func TestDefaultScoringSource(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no Marketo", map[string]string{}, scoring.SourceMsisync},
		{"Marketo URL", map[string]string{"MSISYNC_MARKETO_URL": "https://123-ABC-456.mktorest.com"}, scoring.SourceMarketo},
		{"blank Marketo URL", map[string]string{"MSISYNC_MARKETO_URL": " "}, scoring.SourceMsisync},
		{"source set", map[string]string{"MSISYNC_MARKETO_URL": "https://123-ABC-456.mktorest.com", "MSISYNC_SCORING_SOURCE": "msisync"}, scoring.SourceMsisync},
	}
	for _, tt := range tests {
		cfg := scoring.Config{Source: tt.env["MSISYNC_SCORING_SOURCE"]}
		if cfg.Source == "" {
			cfg.Source = scoring.SourceMsisync // as config.Load fills the default
		}
		defaultScoringSource(&cfg, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
		if cfg.Source != tt.want {
			t.Errorf("%s: source %q, want %q", tt.name, cfg.Source, tt.want)
		}
	}
}
