package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// syncRun is the part of a sync run answer the bench reads.
type syncRun struct {
	SyncRun struct {
		SyncID string `json:"syncId"`
		State  string `json:"state"`
	} `json:"syncRun"`
}

// submitRuns posts the change sets one after another and returns their ids and when the
// first was accepted.
func submitRuns(ctx context.Context, c *suiteproc.Client, bodies [][]byte) ([]string, time.Time, error) {
	ids := make([]string, len(bodies))
	var first time.Time
	for k, b := range bodies {
		raw, err := c.Do(ctx, http.MethodPost, "/v1/syncs", "application/json", b)
		if err != nil {
			return nil, first, fmt.Errorf("POST /v1/syncs (run %d of %d): %w", k+1, len(bodies), err)
		}
		if k == 0 {
			first = time.Now()
		}
		var r syncRun
		if err := json.Unmarshal(raw, &r); err != nil || r.SyncRun.SyncID == "" {
			return nil, first, fmt.Errorf("POST /v1/syncs: no syncRun.syncId in %s", suiteproc.Snippet(raw))
		}
		ids[k] = r.SyncRun.SyncID
	}
	return ids, first, nil
}

// waitApplied polls each run until it is completed and returns when the last one was seen
// so. A failed run is an error.
func waitApplied(ctx context.Context, c *suiteproc.Client, ids []string) (time.Time, error) {
	for _, id := range ids {
		for {
			raw, err := c.Do(ctx, http.MethodGet, "/v1/syncs/"+id+"?pageSize=1", "", nil)
			if err != nil {
				return time.Time{}, fmt.Errorf("GET /v1/syncs/%s: %w", id, err)
			}
			var r syncRun
			if err := json.Unmarshal(raw, &r); err != nil {
				return time.Time{}, fmt.Errorf("GET /v1/syncs/%s: %v: %s", id, err, suiteproc.Snippet(raw))
			}
			if r.SyncRun.State == "SYNC_RUN_STATE_COMPLETED" {
				break
			}
			if r.SyncRun.State == "SYNC_RUN_STATE_FAILED" {
				return time.Time{}, fmt.Errorf("sync run %s failed: %s", id, suiteproc.Snippet(raw))
			}
			select {
			case <-ctx.Done():
				return time.Time{}, fmt.Errorf("%w waiting for sync run %s (last state %s): %s", ctx.Err(), id, r.SyncRun.State, suiteproc.Snippet(raw))
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return time.Now(), nil
}
