package orchestrator

import (
	"fmt"
	"strings"
	"time"
)

// DefaultSyncRunRetention is how long completed sync runs are kept when
// MSISYNC_SYNC_RUN_RETENTION is unset.
const DefaultSyncRunRetention = 30 * 24 * time.Hour

// parseRetention reads MSISYNC_SYNC_RUN_RETENTION: a duration ("720h", "90m", or days as
// "30d"), at least one second; "0" or "off" keeps sync runs for ever (0); "" is the
// default.
func parseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return DefaultSyncRunRetention, nil
	case "0", "off":
		return 0, nil
	}
	d, err := parseDays(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("MSISYNC_SYNC_RUN_RETENTION %q is not a duration: use e.g. 720h or 30d, or off to keep sync runs for ever", s)
	case d < time.Second:
		return 0, fmt.Errorf("MSISYNC_SYNC_RUN_RETENTION %q is out of range: use 1s or more, or off to keep sync runs for ever", s)
	}
	return d, nil
}
