package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/suite/internal/dynenv"
	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// nearRealTimeGoal is the most time, at p95, between a change in Dynamics and msisync's
// lead query showing it, with the webhook on.
const nearRealTimeGoal = 5 * time.Second

// timeNearRealTime turns the connector's webhook on (the scheduled cycle an hour apart, so
// that only notifications bring changes), runs it in watch mode, changes n contacts one at a
// time through the simulator's admin API and returns how long each change took to show in
// the REST lead query.
func timeNearRealTime(ctx context.Context, env *dynenv.Env, n int, debounce time.Duration) (suiteproc.Latencies, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	key := make([]byte, 18)
	_, _ = rand.Read(key)
	if err := env.Reconfigure(ctx, func(c *connector.Config) {
		c.SyncInterval, c.WritebackInterval = time.Hour, time.Hour
		c.WebhookAddr, c.WebhookURL, c.WebhookDebounce, c.WebhookSecret = addr, "http://"+addr+"/dynamics/webhook", debounce, config.Secret(hex.EncodeToString(key))
	}); err != nil {
		return nil, err
	}
	wctx, stop := context.WithCancel(ctx)
	watched := make(chan error, 1)
	go func() { watched <- env.Conn.Watch(wctx) }()
	defer func() { stop(); <-watched }()

	// Wait for the registration and for the watch's first cycles (and the notifications
	// they cause) to be over.
	for env.Sim.Count("sdkmessageprocessingsteps") < 18 {
		if err := pause(ctx, watched, 100*time.Millisecond); err != nil {
			return nil, fmt.Errorf("waiting for the webhook's registration: %w", err)
		}
	}
	if err := pause(ctx, watched, 5*time.Second); err != nil {
		return nil, err
	}

	contacts := env.Sim.IDs(mapping.Contacts)
	hc := &http.Client{Timeout: 30 * time.Second}
	var out suiteproc.Latencies
	for i, next := 0, 0; i < n; i++ {
		// A contact msisync holds (not one held for its owner, say).
		var id string
		for ; id == "" && next < len(contacts); next++ {
			candidate := contacts[(next*37)%len(contacts)]
			if _, found, err := leadTitle(ctx, env.API, candidate); err != nil {
				return nil, err
			} else if found {
				id = candidate
			}
		}
		if id == "" {
			return nil, fmt.Errorf("msisync holds fewer than %d of the org's contacts", n)
		}
		title := fmt.Sprintf("Near real time %d", i)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, env.SimURL+"/_sim/rows/contacts/"+id, strings.NewReader(`{"jobtitle":"`+title+`"}`))
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return nil, fmt.Errorf("changing contact %s through the simulator: %s", id, resp.Status)
		}
		for {
			got, _, err := leadTitle(ctx, env.API, id)
			if err != nil {
				return nil, err
			}
			if got == title {
				out = append(out, time.Since(start))
				break
			}
			if time.Since(start) > 2*time.Minute {
				return nil, fmt.Errorf("contact %s's new title never reached msisync's lead query", id)
			}
			if err := pause(ctx, watched, 25*time.Millisecond); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// leadTitle reads a person's title through the REST lead query; found is false when msisync
// does not hold the person.
func leadTitle(ctx context.Context, api *suiteproc.Client, id string) (title string, found bool, err error) {
	b, err := api.Query(ctx, "/rest/v1/leads.json", url.Values{"filterType": {"externalPersonId"}, "filterValues": {id}, "fields": {"title"}})
	if err != nil {
		return "", false, err
	}
	var r struct {
		Success bool `json:"success"`
		Result  []struct {
			Title string `json:"title"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &r); err != nil || !r.Success || len(r.Result) > 1 {
		return "", false, fmt.Errorf("the lead query for %s answered %s", id, suiteproc.Snippet(b))
	}
	if len(r.Result) == 0 {
		return "", false, nil
	}
	return r.Result[0].Title, true, nil
}

// pause waits d, unless ctx ends or the watch stopped.
func pause(ctx context.Context, watched chan error, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case err := <-watched:
		watched <- err
		return fmt.Errorf("the connector's watch stopped: %v", err)
	case <-time.After(d):
		return nil
	}
}

// reportNearRealTime prints the change-to-query latencies against the goal.
func reportNearRealTime(debounce time.Duration, l suiteproc.Latencies) {
	fmt.Printf("near real time: %d contacts changed one at a time in Dynamics (webhook on, debounce %s), visible in the lead query after p50 %.2f s, p95 %.2f s, max %.2f s\n  → goal p95 ≤ %.0f s: %s\n",
		len(l), debounce, l.Percentile(50).Seconds(), l.Percentile(95).Seconds(), l.Max().Seconds(), nearRealTimeGoal.Seconds(), goal(l.Percentile(95) <= nearRealTimeGoal))
}
