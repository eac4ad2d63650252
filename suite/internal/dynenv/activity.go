package dynenv

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// Activity counts what RecordActivity recorded.
type Activity struct {
	// People is how many people were picked; ScoreChanges and Moments how many of each
	// were recorded; TierChanges how many leads the recompute moved to another tier.
	People, ScoreChanges, Moments, TierChanges int
}

// moments are the interesting moments the demo hands out, as marketing automation would.
var moments = []struct{ kind, desc, source string }{
	{"Web", "Visited the pricing page 3 times", "Website"},
	{"Web", "Downloaded the buyer's guide", "Website"},
	{"Email", "Clicked 'Book a demo' in the November newsletter", "Email"},
	{"Email", "Opened the renewal reminder", "Email"},
	{"Milestone", "Registered for the Dynamics user group webinar", "Event"},
	{"Milestone", "Requested a quote", "Sales"},
}

// RecordActivity records score changes and interesting moments for n people picked at
// random among the org's contacts and leads, through the REST API, 300 per call, then
// recomputes the star and flame tiers.
func (e *Env) RecordActivity(ctx context.Context, n int, seed uint64) (Activity, error) {
	api := e.API
	rng := rand.New(rand.NewPCG(seed, 46))
	people := append(e.Sim.IDs("contacts"), e.Sim.IDs("leads")...)
	rng.Shuffle(len(people), func(i, j int) { people[i], people[j] = people[j], people[i] })
	people = people[:min(n, len(people))]
	now := time.Now().UTC()
	var changes, moms []map[string]any
	for _, p := range people {
		for range 1 + rng.IntN(3) {
			changes = append(changes, map[string]any{"externalPersonId": p, "delta": rng.IntN(60) - 5, "reason": "Engagement program",
				"date": now.Add(-time.Duration(rng.IntN(14*24)) * time.Hour).Format(time.RFC3339)})
		}
		m := moments[rng.IntN(len(moments))]
		moms = append(moms, map[string]any{"externalPersonId": p, "type": m.kind, "description": m.desc, "source": m.source,
			"date": now.Add(-time.Duration(rng.IntN(72)) * time.Hour).Format(time.RFC3339)})
	}
	act := Activity{People: len(people)}
	var err error
	if act.ScoreChanges, err = post(ctx, api, "/v1/score-changes", "changes", changes); err != nil {
		return act, err
	}
	if act.Moments, err = post(ctx, api, "/v1/interesting-moments", "moments", moms); err != nil {
		return act, err
	}
	raw, err := api.Do(ctx, http.MethodPost, "/v1/scoring/tiers:recompute", "application/json", []byte("{}"))
	if err != nil {
		return act, fmt.Errorf("tier recompute: %w", err)
	}
	var rec struct {
		ChangedLeadCount int `json:"changedLeadCount"`
	}
	_ = json.Unmarshal(raw, &rec)
	act.TierChanges = rec.ChangedLeadCount
	return act, nil
}

// post sends items to path in batches of 300 and counts the ones recorded (people the sync
// did not store, such as those waiting for their account, are skipped with 1004).
func post(ctx context.Context, api *suiteproc.Client, path, field string, items []map[string]any) (int, error) {
	recorded := 0
	for start := 0; start < len(items); start += suiteproc.BatchSize {
		body, _ := json.Marshal(map[string]any{field: items[start:min(start+suiteproc.BatchSize, len(items))]})
		raw, err := api.Do(ctx, http.MethodPost, path, "application/json", body)
		if err != nil {
			return recorded, fmt.Errorf("%s: %w", path, err)
		}
		var resp struct {
			Results []struct {
				Reasons []any `json:"reasons"`
			} `json:"results"`
		}
		if err := json.Unmarshal(raw, &resp); err != nil {
			return recorded, fmt.Errorf("%s: %w", path, err)
		}
		for _, r := range resp.Results {
			if len(r.Reasons) == 0 {
				recorded++
			}
		}
	}
	return recorded, nil
}
