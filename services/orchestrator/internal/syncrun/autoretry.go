package syncrun

import (
	"context"
	"time"
)

// autoRetryBatch is how many dead letters one step schedules or retries.
const autoRetryBatch = BatchSize

// autoRetryBatches bounds the batches one sweep retries, so that a large backlog of due dead
// letters does not hold up the worker's runs: the rest wait for the next sweep.
const autoRetryBatches = 10

// autoScheduleBatches bounds the batches of dead letters one sweep gives a schedule; the
// rest get theirs in the next sweep.
const autoScheduleBatches = 10 * autoRetryBatches

// autoRetryHold is how long a claimed dead letter is not due again: a retry interrupted
// (the process stopped, the store failed) is made again after it.
const autoRetryHold = 10 * time.Minute

// RetryDueDeadLetters gives the dead letters without a schedule one (Options.DeadLetterRetry)
// and retries those whose retry is due, as a manual retry does (see Retry): a record whose
// parent exists by now is applied, one that parks or is refused again comes back to the
// dead-letter list later and gets the next retry of its schedule. It returns how many it
// retried (at most autoRetryBatches batches); with the schedule off it does nothing.
// Replicas sharing the store never retry one record twice for the same due time.
func (e *Engine) RetryDueDeadLetters(ctx context.Context) (int, error) {
	sched := e.opts.DeadLetterRetry
	if sched.Off() {
		return 0, nil
	}
	for range autoScheduleBatches {
		n, err := e.st.ScheduleDeadLetters(ctx, sched, autoRetryBatch)
		if err != nil {
			return 0, err
		}
		if n < autoRetryBatch {
			break
		}
	}
	retried := 0
	for batch := 0; batch < autoRetryBatches && ctx.Err() == nil; batch++ {
		now := e.opts.Now()
		ids, err := e.st.ClaimDueDeadLetters(ctx, now, now.Add(autoRetryHold), autoRetryBatch)
		if err != nil {
			return retried, err
		}
		if len(ids) == 0 {
			break
		}
		if _, _, err := e.Retry(ctx, ids); err != nil {
			return retried, err
		}
		retried += len(ids)
		e.opts.Log.InfoContext(ctx, "dead letters retried automatically", "count", len(ids))
		if len(ids) < autoRetryBatch {
			break
		}
	}
	return retried, nil
}
