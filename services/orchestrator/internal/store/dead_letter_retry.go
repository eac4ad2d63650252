package store

import (
	"context"
	"time"
)

// RetrySchedule says when dead letters are retried automatically. The zero schedule
// retries nothing.
type RetrySchedule struct {
	// Delays are the waits after each death: a record is retried Delays[0] after it was
	// dead-lettered, and Delays[n] after it was dead-lettered again following its n-th
	// automatic retry; the last delay repeats.
	Delays []time.Duration
	// MaxAge ends the automatic retries of a record: none is due later than MaxAge after it
	// was first dead-lettered. 0 means no end.
	MaxAge time.Duration
}

// Off reports whether the schedule retries nothing.
func (s RetrySchedule) Off() bool { return len(s.Delays) == 0 }

// Next returns when a record is retried next that was first dead-lettered at first and
// again (or for the first time) at died, after retries automatic retries; false when it is
// not retried any more.
func (s RetrySchedule) Next(retries int, first, died time.Time) (time.Time, bool) {
	if s.Off() {
		return time.Time{}, false
	}
	due := died.Add(s.Delays[min(max(retries, 0), len(s.Delays)-1)])
	if s.MaxAge > 0 && due.Sub(first) > s.MaxAge {
		return time.Time{}, false
	}
	return due, true
}

// AutoRetry is where a dead letter stands in its automatic retries.
type AutoRetry struct {
	// Count is how many automatic retries were made.
	Count int
	// Next is when the next one is due; zero when none is scheduled (not dead-lettered, the
	// retries are off or over, or the schedule is not made yet).
	Next time.Time
}

// DeadLetterRetryStore schedules and claims the automatic retries of dead letters.
type DeadLetterRetryStore interface {
	// ScheduleDeadLetters gives up to limit dead-lettered records that have no schedule for
	// their latest death one, by sched, and returns how many it gave one. A record that
	// leaves the dead-letter list (retried, revived, dropped) and comes back is scheduled
	// anew, its retry count kept.
	ScheduleDeadLetters(ctx context.Context, sched RetrySchedule, limit int) (int, error)
	// ClaimDueDeadLetters claims up to limit dead-lettered records whose automatic retry is
	// due at now, the earliest first, and returns their ids: each counts one more
	// automatic retry and is not due again before until (so that one whose retry was
	// interrupted is tried again then). Two callers, on any replicas, never claim one record
	// for the same retry.
	ClaimDueDeadLetters(ctx context.Context, now, until time.Time, limit int) ([]int64, error)
}
