package orchestrator

import (
	"strings"
	"testing"
	"time"
)

func TestParseDeadLetterRetry(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		schedule, maxAge string
		delays           []time.Duration
		age              time.Duration
	}{
		{"", "", []time.Duration{time.Hour, 6 * time.Hour, 24 * time.Hour}, 7 * 24 * time.Hour},
		{"30m, 2h,1d", "off", []time.Duration{30 * time.Minute, 2 * time.Hour, 24 * time.Hour}, 0},
		{"1s", "36h", []time.Duration{time.Second}, 36 * time.Hour},
		{"OFF", "7d", nil, 7 * 24 * time.Hour},
	} {
		got, err := parseDeadLetterRetry(tt.schedule, tt.maxAge)
		if err != nil || len(got.Delays) != len(tt.delays) || got.MaxAge != tt.age && len(tt.delays) > 0 {
			t.Errorf("parseDeadLetterRetry(%q, %q) = %+v, %v; want %v, %v", tt.schedule, tt.maxAge, got, err, tt.delays, tt.age)
			continue
		}
		for i := range got.Delays {
			if got.Delays[i] != tt.delays[i] {
				t.Errorf("parseDeadLetterRetry(%q) delay %d = %v, want %v", tt.schedule, i, got.Delays[i], tt.delays[i])
			}
		}
	}
	for _, tt := range []struct{ schedule, maxAge, variable string }{
		{"1h,,6h", "", "MSISYNC_DEAD_LETTER_RETRY "},
		{"soon", "", "MSISYNC_DEAD_LETTER_RETRY "},
		{"10ms", "", "MSISYNC_DEAD_LETTER_RETRY "},
		{"1h", "a week", "MSISYNC_DEAD_LETTER_RETRY_MAX_AGE"},
	} {
		if _, err := parseDeadLetterRetry(tt.schedule, tt.maxAge); err == nil || !strings.Contains(err.Error(), tt.variable) {
			t.Errorf("parseDeadLetterRetry(%q, %q) = %v, want an error naming %s", tt.schedule, tt.maxAge, err, tt.variable)
		}
	}
}
