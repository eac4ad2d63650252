package orchestrator

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// The automatic retries of dead letters when MSISYNC_DEAD_LETTER_RETRY and
// MSISYNC_DEAD_LETTER_RETRY_MAX_AGE are unset.
const (
	DefaultDeadLetterRetry       = "1h,6h,24h"
	DefaultDeadLetterRetryMaxAge = "7d"
)

// parseDeadLetterRetry reads MSISYNC_DEAD_LETTER_RETRY and MSISYNC_DEAD_LETTER_RETRY_MAX_AGE:
// schedule is a comma-separated list of delays ("1h,6h,24h"; days as "1d"), each at least one
// second — a dead letter is retried the first delay after it was dead-lettered, the second
// after it was dead-lettered again, and so on, the last one repeating — or "off" ("": the default); maxAge is
// how long after its first death a record is still retried ("7d"; "0" or "off": for ever).
func parseDeadLetterRetry(schedule, maxAge string) (store.RetrySchedule, error) {
	var out store.RetrySchedule
	schedule = strings.TrimSpace(schedule)
	if schedule == "" {
		schedule = DefaultDeadLetterRetry
	}
	if strings.TrimSpace(maxAge) == "" {
		maxAge = DefaultDeadLetterRetryMaxAge
	}
	if strings.EqualFold(schedule, "off") {
		return out, nil
	}
	for _, part := range strings.Split(schedule, ",") {
		d, err := parseDays(part)
		if err != nil || d < time.Second {
			return store.RetrySchedule{}, fmt.Errorf("MSISYNC_DEAD_LETTER_RETRY %q is not a list of delays: use e.g. 1h,6h,24h (each at least 1s; days as 1d), or off", schedule)
		}
		out.Delays = append(out.Delays, d)
	}
	switch s := strings.TrimSpace(maxAge); strings.ToLower(s) {
	case "0", "off":
	default:
		d, err := parseDays(s)
		if err != nil || d < time.Second {
			return store.RetrySchedule{}, fmt.Errorf("MSISYNC_DEAD_LETTER_RETRY_MAX_AGE %q is not a duration: use e.g. 7d or 168h (at least 1s), or off to retry for ever", maxAge)
		}
		out.MaxAge = d
	}
	return out, nil
}

// parseDays parses a Go duration, or a number of days as "7d" (fewer than 100 years; a
// negative one is left for the caller's range check).
func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok && err != nil {
		n, perr := strconv.ParseFloat(days, 64)
		if perr == nil && n < 100*365 {
			return time.Duration(n * 24 * float64(time.Hour)), nil
		}
	}
	return d, err
}
