// Package storetest is the conformance suite every scoring store implementation passes.
// Each backend's test calls Run with a function that opens a fresh, empty store whose
// urgency half-life is HalfLife.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// HalfLife is the urgency half-life the stores under test must use.
const HalfLife = 7 * 24 * time.Hour

var params = model.Params{HalfLife: HalfLife}

// Run runs the conformance suite; open returns a fresh, empty store for one subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"LinksResolvePersons", testLinks},
		{"ScoreChangesDeriveValues", testScoreChanges},
		{"UrgencyDecaysFromTheEventTime", testUrgency},
		{"MomentsKeepTheMostRecent", testMoments},
		{"InsightsOfUnknownLeadsAreZero", testUnknownInsights},
		{"PercentileRecomputeMatchesTheModel", testPercentile},
		{"RecomputeChangesStarsAndFeedsThem", testRecomputeFeed},
		{"StaticRecompute", testStatic},
		{"BestBetsPageByPriority", testBestBets},
		{"FeedNeverSkipsOrRepeatsUnderConcurrentWriters", testFeedConcurrent},
		{"ActivitiesPageInRecordingOrder", testActivities},
		{"DeleteForgetsLeads", testDelete},
		{"MergeMovesScoringToTheMaster", testMerge},
		{"ChainedMergeForgetsTheMiddleLead", testMergeChain},
		{"NewCRMIDFeedsAllValues", testRelinkFeeds},
		{"PutInsightsStoresMarketoValues", testPutInsights},
		{"InvalidCallsChangeNothing", testInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

func link(id int32, person, owner string) store.Link {
	return store.Link{LeadID: id, PersonID: person, PersonKey: person, OwnerID: owner, OwnerKey: owner}
}

func syncLinks(t *testing.T, s store.Store, links ...store.Link) {
	t.Helper()
	if err := s.SyncLinks(context.Background(), links); err != nil {
		t.Fatalf("SyncLinks: %v", err)
	}
}

func byID(id int32) store.Person { return store.Person{LeadID: id} }

func delta(id int32, d int32) store.ScoreChange {
	return store.ScoreChange{Person: byID(id), Value: d, Reason: "test"}
}

func record(t *testing.T, s store.Store, changes ...store.ScoreChange) ([]store.Result, []store.Insight) {
	t.Helper()
	res, ins, err := s.RecordScoreChanges(context.Background(), changes)
	if err != nil {
		t.Fatalf("RecordScoreChanges: %v", err)
	}
	if len(res) != len(changes) {
		t.Fatalf("%d results for %d changes", len(res), len(changes))
	}
	return res, ins
}

func insights(t *testing.T, s store.Store, ids ...int32) map[int32]store.Insight {
	t.Helper()
	got, err := s.Insights(context.Background(), ids)
	if err != nil {
		t.Fatalf("Insights: %v", err)
	}
	out := map[int32]store.Insight{}
	for _, in := range got {
		out[in.LeadID] = in
	}
	return out
}

// changes reads the whole feed after seq.
func changes(t *testing.T, s store.Store, after int64) []store.Change {
	t.Helper()
	var out []store.Change
	for {
		page, err := s.Changes(context.Background(), after, 50)
		if err != nil {
			t.Fatalf("Changes: %v", err)
		}
		out = append(out, page...)
		if len(page) < 50 {
			return out
		}
		after = page[len(page)-1].Seq
	}
}

func lastSeq(t *testing.T, s store.Store) int64 {
	t.Helper()
	all := changes(t, s, 0)
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Seq
}

func outcomes(res []store.Result) []store.Outcome {
	out := make([]store.Outcome, len(res))
	for i, r := range res {
		out[i] = r.Outcome
	}
	return out
}

// values is the comparable part of an insight.
type values struct {
	Score                   int32
	Urgency                 float64
	Stars, Flames, Priority int32
}

func valuesOf(in store.Insight) values {
	return values{in.Score, in.Urgency, in.Stars, in.Flames, in.Priority}
}

var approx = cmpopts.EquateApprox(0, 1e-5)

func testLinks(t *testing.T, s store.Store) {
	syncLinks(t, s, link(1, "p-1", "rep-a"), link(2, "p-2", "rep-a"), link(1, "p-1b", "rep-b"), link(3, "dup", ""), link(4, "dup", ""))
	res, _ := record(t, s,
		store.ScoreChange{Person: store.Person{PersonKey: "p-1b"}, Value: 5},
		store.ScoreChange{Person: store.Person{PersonKey: "p-1"}, Value: 5},
		store.ScoreChange{Person: store.Person{PersonKey: "dup"}, Value: 5},
		store.ScoreChange{Person: byID(99), Value: 5},
		store.ScoreChange{Person: byID(2), Value: 7},
	)
	want := []store.Outcome{store.Recorded, store.UnknownLead, store.AmbiguousLead, store.UnknownLead, store.Recorded}
	if diff := cmp.Diff(want, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if res[0].LeadID != 1 || res[4].LeadID != 2 || res[0].ActivityID == 0 || res[4].ActivityID <= res[0].ActivityID {
		t.Errorf("results = %+v", res)
	}
	got := insights(t, s, 1, 2)
	if got[1].PersonID != "p-1b" || got[1].Score != 5 || got[2].Score != 7 {
		t.Errorf("insights = %+v", got)
	}
	// Re-linking keeps the scores and moves the lead to its new owner's Best Bets.
	syncLinks(t, s, link(2, "p-2", "rep-b"))
	if got := insights(t, s, 2)[2]; got.Score != 7 {
		t.Errorf("score after re-link = %d, want 7", got.Score)
	}
}

func testScoreChanges(t *testing.T, s store.Store) {
	syncLinks(t, s, link(1, "p-1", ""), link(2, "p-2", ""))
	start := time.Now().Add(-time.Second)
	res, ins := record(t, s,
		delta(1, 10),
		store.ScoreChange{Person: byID(1), Value: 25, IsNew: true},
		delta(1, -5),
		delta(2, 0),
		delta(1, math.MaxInt32),
	)
	if diff := cmp.Diff([]store.Outcome{store.Recorded, store.Recorded, store.Recorded, store.Recorded, store.OutOfRange}, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	// Lead 1: 10, then 25 (+15), then 20; urgency 10 + 15 = 25 (decreases do not count).
	// No boundaries yet: no stars, no flames.
	want := []values{{Score: 20, Urgency: 25}, {}}
	got := []values{valuesOf(ins[0]), valuesOf(ins[1])}
	if diff := cmp.Diff(want, got, approx); diff != "" {
		t.Errorf("insights after the batch (-want +got):\n%s", diff)
	}
	if ins[0].LeadID != 1 || ins[1].LeadID != 2 || ins[0].UpdatedAt.Before(start) || !ins[1].UpdatedAt.IsZero() {
		t.Errorf("insight identity/times = %+v", ins)
	}
	// One feed entry for lead 1 (its score and urgency changed); none for lead 2, whose
	// zero change changed nothing.
	feed := changes(t, s, 0)
	if len(feed) != 1 || feed[0].Insight.LeadID != 1 || feed[0].Insight.PersonID != "p-1" {
		t.Fatalf("feed = %+v", feed)
	}
	if diff := cmp.Diff([]int32{1, 2}, feed[0].Fields.Numbers()); diff != "" {
		t.Errorf("changed fields (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(values{Score: 20, Urgency: 25}, valuesOf(feed[0].Insight), approx); diff != "" {
		t.Errorf("feed values (-want +got):\n%s", diff)
	}
	// The activities carry delta, old and new score.
	acts, err := s.Activities(context.Background(), store.ActivityFilter{Since: start, Kinds: []store.ActivityKind{store.KindScoreChange}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	type sc struct{ Lead, Delta, Old, New int32 }
	var gotActs []sc
	for _, a := range acts {
		gotActs = append(gotActs, sc{a.LeadID, a.Delta, a.OldValue, a.NewValue})
	}
	wantActs := []sc{{1, 10, 0, 10}, {1, 15, 10, 25}, {1, -5, 25, 20}, {2, 0, 0, 0}}
	if diff := cmp.Diff(wantActs, gotActs); diff != "" {
		t.Errorf("activities (-want +got):\n%s", diff)
	}
}

func testUrgency(t *testing.T, s store.Store) {
	syncLinks(t, s, link(1, "", ""), link(2, "", ""), link(3, "", ""))
	now := time.Now()
	_, ins := record(t, s,
		store.ScoreChange{Person: byID(1), Value: 10, EventTime: now},
		store.ScoreChange{Person: byID(2), Value: 10, EventTime: now.Add(-HalfLife)},
		store.ScoreChange{Person: byID(3), Value: 10, EventTime: now.Add(-2 * HalfLife)},
		store.ScoreChange{Person: byID(3), Value: 5, EventTime: now.Add(-HalfLife)},
	)
	got := []float64{ins[0].Urgency, ins[1].Urgency, ins[2].Urgency}
	if diff := cmp.Diff([]float64{10, 5, 2.5 + 2.5}, got, approx); diff != "" {
		t.Errorf("urgency after 0, 1, 2 half-lives (-want +got):\n%s", diff)
	}
	read := insights(t, s, 1, 2, 3)
	if diff := cmp.Diff([]float64{10, 5, 5}, []float64{read[1].Urgency, read[2].Urgency, read[3].Urgency}, approx); diff != "" {
		t.Errorf("urgency read back (-want +got):\n%s", diff)
	}
}

func testMoments(t *testing.T, s store.Store) {
	syncLinks(t, s, link(1, "p-1", ""), link(2, "p-2", ""))
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ctx := context.Background()
	res, ins, err := s.RecordMoments(ctx, []store.Moment{
		{Person: byID(1), Type: 1, Description: "Opened email", Source: "flow", EventTime: t0},
		{Person: byID(1), Type: 3, Description: "Visited pricing", Source: "REST API", EventTime: t0.Add(-time.Hour)},
		{Person: store.Person{PersonKey: "p-2"}, Type: 2, Description: "MQL", Source: "REST API", EventTime: t0},
		{Person: byID(7), Type: 2, Description: "x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Outcome{store.Recorded, store.Recorded, store.Recorded, store.UnknownLead}, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if len(ins) != 2 || ins[0].Moment.Desc != "Opened email" || !ins[0].Moment.Time.Equal(t0) || ins[0].Moment.ID != res[0].ActivityID || ins[1].Moment.Type != 2 {
		t.Fatalf("insights = %+v", ins)
	}
	// An equal event time recorded later wins; an older one does not.
	_, _, err = s.RecordMoments(ctx, []store.Moment{
		{Person: byID(1), Type: 2, Description: "Opened email", Source: "flow", EventTime: t0},
		{Person: byID(2), Type: 1, Description: "older", EventTime: t0.Add(-time.Minute)},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := insights(t, s, 1, 2)
	if got[1].Moment.Type != 2 || got[2].Moment.Desc != "MQL" {
		t.Errorf("last moments = %+v", got)
	}
	feed := changes(t, s, 0)
	var fields [][]int32
	for _, c := range feed {
		fields = append(fields, c.Fields.Numbers())
	}
	// Batch 1: both leads got their first moment; batch 2: only lead 1's type changed.
	want := [][]int32{{6, 7, 8, 9}, {6, 7, 8, 9}, {6}}
	if diff := cmp.Diff(want, fields); diff != "" {
		t.Errorf("feed fields (-want +got):\n%s", diff)
	}
}

func testUnknownInsights(t *testing.T, s store.Store) {
	syncLinks(t, s, link(5, "p-5", ""))
	got, err := s.Insights(context.Background(), []int32{5, 6, 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Insight{{LeadID: 5, PersonID: "p-5"}, {LeadID: 6}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("insights (-want +got):\n%s", diff)
	}
}

// seedPopulation links n leads and gives lead i (1-based) a score of i and, for every
// third lead, an increase of i at the given time.
func seedPopulation(t *testing.T, s store.Store, n int, at time.Time) {
	t.Helper()
	var links []store.Link
	var chs []store.ScoreChange
	for i := 1; i <= n; i++ {
		links = append(links, link(int32(i), fmt.Sprintf("p-%d", i), "rep"))
		if i%3 == 0 {
			chs = append(chs, store.ScoreChange{Person: byID(int32(i)), Value: int32(i), EventTime: at})
		} else {
			chs = append(chs, store.ScoreChange{Person: byID(int32(i)), Value: int32(2 * i)}, store.ScoreChange{Person: byID(int32(i)), Value: int32(-i)})
		}
	}
	for len(links) > 0 {
		k := min(len(links), store.MaxBatch)
		syncLinks(t, s, links[:k]...)
		links = links[k:]
	}
	for len(chs) > 0 {
		k := min(len(chs), store.MaxBatch)
		record(t, s, chs[:k]...)
		chs = chs[k:]
	}
}

func testPercentile(t *testing.T, s store.Store) {
	ctx := context.Background()
	b, err := s.Boundaries(ctx, model.Percentile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(model.Empty(model.Percentile), b); diff != "" {
		t.Errorf("boundaries before the first computation (-want +got):\n%s", diff)
	}
	at := time.Now().Add(-time.Hour)
	seedPopulation(t, s, 100, at)
	syncLinks(t, s, link(500, "unscored", "rep")) // linked but never scored: not counted
	rc, err := s.RecomputeTiers(ctx, model.DefaultTiers, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([3]float64{71, 91, 99}, rc.Boundaries.Score); diff != "" {
		t.Errorf("score thresholds (-want +got):\n%s", diff)
	}
	if rc.Boundaries.ScoredLeads != 100 || rc.Boundaries.Mode != model.Percentile {
		t.Errorf("boundaries = %+v", rc.Boundaries)
	}
	counts := checkAgainstModel(t, s, 100, rc.Boundaries)
	if diff := cmp.Diff(map[int32]int{3: 2, 2: 8, 1: 20, 0: 70}, counts); diff != "" {
		t.Errorf("stars per tier (-want +got):\n%s", diff)
	}
	if rc.Changed == 0 {
		t.Error("recompute reported no changed lead")
	}
	got, err := s.Boundaries(ctx, model.Percentile)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rc.Boundaries, got, cmpopts.EquateApproxTime(time.Microsecond)); diff != "" {
		t.Errorf("stored boundaries (-want +got):\n%s", diff)
	}
	// Recomputing an unchanged population changes nobody; a due time in the past skips.
	again, err := s.RecomputeTiers(ctx, model.DefaultTiers, time.Time{})
	if err != nil || again.Changed != 0 || again.Skipped {
		t.Errorf("second recompute = %+v, %v; want no change", again, err)
	}
	skipped, err := s.RecomputeTiers(ctx, model.DefaultTiers, time.Now().Add(-time.Hour))
	if err != nil || !skipped.Skipped {
		t.Errorf("recompute not due = %+v, %v; want skipped", skipped, err)
	}
	// Shift the population (leads 1–10 jump to the top, some urgency ages out of the top)
	// and recompute with the same configuration: only leads between old and new thresholds
	// are examined, and every lead must still match the model.
	var jumps []store.ScoreChange
	for i := int32(1); i <= 10; i++ {
		jumps = append(jumps, delta(i, 200))
	}
	record(t, s, jumps...)
	shifted, err := s.RecomputeTiers(ctx, model.DefaultTiers, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if shifted.Changed == 0 {
		t.Error("the shifted recompute changed nobody")
	}
	checkAgainstModel(t, s, 100, shifted.Boundaries)
	other := model.DefaultTiers
	other.Brackets = [3]float64{5, 5, 5}
	changedCfg, err := s.RecomputeTiers(ctx, other, time.Now().Add(-time.Hour))
	if err != nil || changedCfg.Skipped {
		t.Errorf("recompute with a new configuration = %+v, %v; want it done", changedCfg, err)
	}
}

// checkAgainstModel checks leads 1..n against the model's boundaries over the same
// population and against got, and returns how many leads have each number of stars.
func checkAgainstModel(t *testing.T, s store.Store, n int, got model.Boundaries) map[int32]int {
	t.Helper()
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(i + 1)
	}
	all := insights(t, s, ids...)
	scores := make([]int32, n)
	keys := make([]float64, n)
	has := make([]bool, n)
	now := time.Now()
	for i, id := range ids {
		scores[i] = all[id].Score
		keys[i], has[i] = params.KeyOf(all[id].Urgency, now), all[id].Urgency > 0
	}
	want := model.DefaultTiers.FromPopulation(params, scores, keys, has, now)
	if diff := cmp.Diff(want.Score, got.Score); diff != "" {
		t.Errorf("score thresholds vs the model (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.UrgencyThresholds(params, now), got.UrgencyThresholds(params, now), cmpopts.EquateApprox(1e-6, 0)); diff != "" {
		t.Errorf("urgency thresholds vs the model (-want +got):\n%s", diff)
	}
	counts := map[int32]int{}
	for i, id := range ids {
		in := all[id]
		if wantStars := want.Stars(scores[i]); in.Stars != wantStars {
			t.Errorf("lead %d (score %d): %d stars, want %d", id, scores[i], in.Stars, wantStars)
		}
		if wantFlames := want.Flames(keys[i], has[i]); in.Flames != wantFlames {
			t.Errorf("lead %d (urgency %v): %d flames, want %d", id, in.Urgency, in.Flames, wantFlames)
		}
		if in.Priority != model.Priority(in.Stars, in.Flames) {
			t.Errorf("lead %d: priority %d", id, in.Priority)
		}
		counts[in.Stars]++
	}
	return counts
}

func testRecomputeFeed(t *testing.T, s store.Store) {
	ctx := context.Background()
	syncLinks(t, s, link(1, "p-1", "rep"), link(2, "p-2", "rep"), link(3, "p-3", "rep"))
	record(t, s, delta(1, 10), delta(2, 20), delta(3, 30))
	seq := lastSeq(t, s)
	rc, err := s.RecomputeTiers(ctx, model.DefaultTiers, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// n = 3: ranks 1, 1, 1: only the top lead (30) reaches every tier, the others none.
	if diff := cmp.Diff([3]float64{30, 30, 30}, rc.Boundaries.Score); diff != "" {
		t.Errorf("score thresholds (-want +got):\n%s", diff)
	}
	if rc.Changed != 1 {
		t.Errorf("changed = %d, want 1", rc.Changed)
	}
	feed := changes(t, s, seq)
	if len(feed) != 1 || feed[0].Insight.LeadID != 3 {
		t.Fatalf("feed after recompute = %+v", feed)
	}
	if diff := cmp.Diff([]int32{3, 4, 5}, feed[0].Fields.Numbers()); diff != "" {
		t.Errorf("changed fields (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(values{Score: 30, Urgency: 30, Stars: 3, Flames: 3, Priority: 100}, valuesOf(feed[0].Insight), approx); diff != "" {
		t.Errorf("feed values (-want +got):\n%s", diff)
	}
	// A lead's own values follow the boundaries in force at once: lead 1 reaches 30.
	seq = feed[0].Seq
	_, ins := record(t, s, delta(1, 20))
	if diff := cmp.Diff(values{Score: 30, Urgency: 30, Stars: 3, Flames: 3, Priority: 100}, valuesOf(ins[0]), approx); diff != "" {
		t.Errorf("lead 1 after +20 (-want +got):\n%s", diff)
	}
	feed = changes(t, s, seq)
	if len(feed) != 1 || len(feed[0].Fields.Numbers()) != 5 {
		t.Errorf("feed after +20 = %+v", feed)
	}
}

func testStatic(t *testing.T, s store.Store) {
	ctx := context.Background()
	syncLinks(t, s, link(1, "", ""), link(2, "", ""), link(3, "", ""))
	record(t, s, delta(1, 19), delta(2, 50), store.ScoreChange{Person: byID(3), Value: 120, EventTime: time.Now().Add(-3 * HalfLife)})
	tiers := model.DefaultTiers
	tiers.Mode = model.Static
	rc, err := s.RecomputeTiers(ctx, tiers, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if rc.Boundaries.Mode != model.Static || rc.Boundaries.ScoredLeads != 0 {
		t.Errorf("boundaries = %+v", rc.Boundaries)
	}
	got := insights(t, s, 1, 2, 3)
	// Urgencies 19, 50 and 120/8 = 15 against 5/10/20; scores against 20/50/100.
	want := []values{{19, 19, 0, 2, 51}, {50, 50, 2, 3, 92}, {120, 15, 3, 2, 75}}
	if diff := cmp.Diff(want, []values{valuesOf(got[1]), valuesOf(got[2]), valuesOf(got[3])}, approx); diff != "" {
		t.Errorf("static tiers (-want +got):\n%s", diff)
	}
}

func testBestBets(t *testing.T, s store.Store) {
	ctx := context.Background()
	var links []store.Link
	for i := int32(1); i <= 12; i++ {
		owner := "rep-a"
		if i > 10 {
			owner = "rep-b"
		}
		links = append(links, link(i, "", owner))
	}
	syncLinks(t, s, links...)
	// Scores 10..100 for leads 1..10, all now; lead 1 is later set to 0.
	var chs []store.ScoreChange
	for i := int32(1); i <= 12; i++ {
		chs = append(chs, delta(i, 10*i))
	}
	record(t, s, chs...)
	tiers := model.DefaultTiers
	tiers.Mode = model.Static
	tiers.StarThresholds = [3]float64{30, 60, 90}
	tiers.FlameThresholds = [3]float64{1000, 2000, 3000} // no flames: order by stars
	if _, err := s.RecomputeTiers(ctx, tiers, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var got []int32
	var after *store.BestBetsCursor
	for page := 0; page < 10; page++ {
		bets, err := s.BestBets(ctx, "rep-a", after, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bets {
			got = append(got, b.LeadID)
		}
		if len(bets) < 3 {
			break
		}
		last := bets[len(bets)-1]
		after = &store.BestBetsCursor{Priority: last.Priority, LeadID: last.LeadID}
	}
	// 3 stars: 9, 10; 2 stars: 6, 7, 8; 1 star: 3, 4, 5; leads 1, 2 have priority 0.
	want := []int32{9, 10, 6, 7, 8, 3, 4, 5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("best bets of rep-a (-want +got):\n%s", diff)
	}
	// A new owner takes the lead at once.
	syncLinks(t, s, link(10, "", "rep-b"))
	bets, err := s.BestBets(ctx, "rep-b", nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for _, b := range bets {
		ids = append(ids, b.LeadID)
	}
	if diff := cmp.Diff([]int32{10, 11, 12}, ids); diff != "" {
		t.Errorf("best bets of rep-b (-want +got):\n%s", diff)
	}
}

func testFeedConcurrent(t *testing.T, s store.Store) {
	const writers, batches, leadsPer = 4, 8, 5
	var links []store.Link
	for w := range writers {
		for l := range leadsPer {
			links = append(links, link(int32(w*100+l+1), "", ""))
		}
	}
	syncLinks(t, s, links...)
	ctx := context.Background()
	done := make(chan struct{})
	var seen []store.Change
	var readErr error
	var reader sync.WaitGroup
	reader.Add(1)
	go func() { // polls while the writers write
		defer reader.Done()
		var after int64
		for {
			page, err := s.Changes(ctx, after, 7)
			if err != nil {
				readErr = err
				return
			}
			seen = append(seen, page...)
			if len(page) > 0 {
				after = page[len(page)-1].Seq
				continue
			}
			select {
			case <-done:
				if page, err = s.Changes(ctx, after, 1000); err == nil {
					seen = append(seen, page...)
				}
				readErr = err
				return
			default:
				time.Sleep(time.Millisecond)
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range batches {
				var chs []store.ScoreChange
				for l := range leadsPer {
					chs = append(chs, delta(int32(w*100+l+1), 1))
				}
				if _, _, err := s.RecordScoreChanges(ctx, chs); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	reader.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if readErr != nil {
		t.Fatal(readErr)
	}
	// Every (lead, score) pair exactly once, seqs strictly increasing.
	got := map[string]int{}
	for i, c := range seen {
		if i > 0 && c.Seq <= seen[i-1].Seq {
			t.Fatalf("seq %d after %d", c.Seq, seen[i-1].Seq)
		}
		got[fmt.Sprintf("%d:%d", c.Insight.LeadID, c.Insight.Score)]++
	}
	for _, l := range links {
		for score := 1; score <= batches; score++ {
			if n := got[fmt.Sprintf("%d:%d", l.LeadID, score)]; n != 1 {
				t.Errorf("lead %d score %d seen %d times", l.LeadID, score, n)
			}
		}
	}
	if len(seen) != writers*batches*leadsPer {
		t.Errorf("read %d entries, want %d", len(seen), writers*batches*leadsPer)
	}
}

func testActivities(t *testing.T, s store.Store) {
	ctx := context.Background()
	syncLinks(t, s, link(1, "", ""), link(2, "", ""))
	start := time.Now().Add(-time.Second)
	record(t, s, delta(1, 1), delta(2, 2))
	if _, _, err := s.RecordMoments(ctx, []store.Moment{{Person: byID(1), Type: 3, Description: "web"}, {Person: byID(2), Type: 1, Description: "mail", Source: "flow"}}); err != nil {
		t.Fatal(err)
	}
	record(t, s, delta(1, 3))
	both := []store.ActivityKind{store.KindScoreChange, store.KindMoment}
	page := func(f store.ActivityFilter) []string {
		t.Helper()
		var out []string
		for n := 0; n < 20; n++ {
			acts, err := s.Activities(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range acts {
				if i > 0 && a.ID <= acts[i-1].ID {
					t.Errorf("activities out of order: %+v", acts)
				}
				if a.Kind == store.KindScoreChange {
					out = append(out, fmt.Sprintf("%d:score%+d", a.LeadID, a.Delta))
				} else {
					out = append(out, fmt.Sprintf("%d:%s/%d/%s", a.LeadID, a.Description, a.MomentType, a.Source))
				}
			}
			if len(acts) < f.Limit {
				return out
			}
			f.AfterID = acts[len(acts)-1].ID
		}
		return out
	}
	tests := []struct {
		name string
		f    store.ActivityFilter
		want []string
	}{
		{"all, pages of 2", store.ActivityFilter{Since: start, Kinds: both, Limit: 2}, []string{"1:score+1", "2:score+2", "1:web/3/", "2:mail/1/flow", "1:score+3"}},
		{"moments", store.ActivityFilter{Since: start, Kinds: both[1:], Limit: 1}, []string{"1:web/3/", "2:mail/1/flow"}},
		{"lead 1 score changes", store.ActivityFilter{Since: start, Kinds: both[:1], LeadIDs: []int32{1}, Limit: 300}, []string{"1:score+1", "1:score+3"}},
		{"since the future", store.ActivityFilter{Since: time.Now().Add(time.Hour), Kinds: both, Limit: 10}, nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, page(tt.f)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	syncLinks(t, s, link(1, "p-1", "rep"), link(2, "p-2", "rep"))
	res, _ := record(t, s, delta(1, 50), delta(2, 60))
	if _, err := s.RecomputeTiers(ctx, model.DefaultTiers, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLeads(ctx, []int32{2, 77}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Insight{LeadID: 2}, insights(t, s, 2)[2]); diff != "" {
		t.Errorf("deleted lead's insight (-want +got):\n%s", diff)
	}
	bets, err := s.BestBets(ctx, "rep", nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bets {
		if b.LeadID == 2 {
			t.Error("deleted lead still in best bets")
		}
	}
	acts, err := s.Activities(ctx, store.ActivityFilter{Since: time.Unix(0, 0), Kinds: []store.ActivityKind{store.KindScoreChange}, Limit: 10})
	if err != nil || len(acts) != 1 || acts[0].LeadID != 1 {
		t.Errorf("activities after delete = %+v, %v", acts, err)
	}
	// The lead is unknown now; re-linked it starts from nothing, with new activity ids.
	again, _ := record(t, s, delta(2, 1))
	if again[0].Outcome != store.UnknownLead {
		t.Errorf("recording for a deleted lead = %+v", again[0])
	}
	syncLinks(t, s, link(2, "p-2", "rep"))
	again, ins := record(t, s, delta(2, 1))
	if again[0].ActivityID <= res[1].ActivityID || ins[0].Score != 1 {
		t.Errorf("after re-link: %+v %+v (old activity id %d)", again, ins, res[1].ActivityID)
	}
}

func testInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	syncLinks(t, s, link(1, "", ""))
	big := make([]store.ScoreChange, store.MaxBatch+1)
	for i := range big {
		big[i] = delta(1, 1)
	}
	checks := map[string]error{}
	_, _, checks["too many changes"] = s.RecordScoreChanges(ctx, big)
	_, _, checks["bad moment type"] = s.RecordMoments(ctx, []store.Moment{{Person: byID(1), Type: 9, Description: "x"}})
	checks["lead id 0"] = s.SyncLinks(ctx, []store.Link{link(2, "", ""), {LeadID: 0}})
	_, checks["best bets limit"] = s.BestBets(ctx, "rep", nil, 0)
	_, checks["best bets owner"] = s.BestBets(ctx, "", nil, 10)
	_, checks["changes limit"] = s.Changes(ctx, 0, 0)
	_, checks["activities without kinds"] = s.Activities(ctx, store.ActivityFilter{Limit: 10})
	_, checks["bad tiers"] = s.RecomputeTiers(ctx, model.Tiers{Mode: model.Percentile, Brackets: [3]float64{60, 60, 60}}, time.Time{})
	for name, err := range checks {
		if !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	got := insights(t, s, 1, 2)
	if diff := cmp.Diff(map[int32]store.Insight{1: {LeadID: 1}, 2: {LeadID: 2}}, got); diff != "" {
		t.Errorf("state after invalid calls (-want +got):\n%s", diff)
	}
	if feed := changes(t, s, 0); len(feed) != 0 {
		t.Errorf("feed after invalid calls = %+v", feed)
	}
	if _, err := s.Boundaries(ctx, model.Static); err != nil {
		t.Error(err)
	}
}
