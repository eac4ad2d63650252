package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

func put(t *testing.T, s store.Store, in ...store.Reported) ([]store.Result, int) {
	t.Helper()
	res, n, err := s.PutInsights(context.Background(), in)
	if err != nil {
		t.Fatalf("PutInsights: %v", err)
	}
	if len(res) != len(in) {
		t.Fatalf("%d results for %d insights", len(res), len(in))
	}
	return res, n
}

// marketoValues are values as an upstream Marketo reports them.
func marketoValues(score int32, urgency float64, stars, flames, priority int32) model.Reported {
	return model.Reported{
		Score: score, Urgency: urgency, Stars: stars, Flames: flames, Priority: priority,
		Moment: model.Moment{Type: 3, Time: time.Date(2026, 3, 4, 5, 6, 7, 8000, time.UTC), Desc: "Visited pricing", Source: "Web"},
	}
}

// testPutInsights stores Marketo's values: reads show them as they are (urgency without
// decay), the feed gets an entry only when a value changed, Best Bets order by the stored
// priority, and unknown leads are skipped.
func testPutInsights(t *testing.T, s store.Store) {
	ctx := context.Background()
	syncLinks(t, s, link(1, "p-1", "rep-a"), link(2, "p-2", "rep-a"))
	record(t, s, delta(2, 30)) // msisync's own values before the switch to upstream mode
	after := lastSeq(t, s)

	v1 := marketoValues(40, 12.5, 2, 1, 42)
	res, n := put(t, s, store.Reported{LeadID: 1, Values: v1}, store.Reported{LeadID: 3, Values: v1},
		store.Reported{LeadID: 2, Values: model.Reported{Score: 30, Urgency: 31, Priority: 80, Flames: 3}})
	if diff := cmp.Diff([]store.Outcome{store.Recorded, store.UnknownLead, store.Recorded}, outcomes(res)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if res[0].LeadID != 1 || res[2].LeadID != 2 || n != 2 {
		t.Errorf("results = %+v, changed = %d; want leads 1 and 2, 2 changed", res, n)
	}
	got := insights(t, s, 1, 2, 3)
	if diff := cmp.Diff(values{40, 12.5, 2, 1, 42}, valuesOf(got[1])); diff != "" {
		t.Errorf("lead 1 (-want +got):\n%s", diff)
	}
	if !got[1].Moment.Time.Equal(v1.Moment.Time) || got[1].Moment.Type != 3 || got[1].Moment.Desc != "Visited pricing" || got[1].Moment.Source != "Web" {
		t.Errorf("lead 1 moment = %+v, want %+v", got[1].Moment, v1.Moment)
	}
	if got[3].Score != 0 || !got[3].UpdatedAt.IsZero() {
		t.Errorf("unknown lead 3 = %+v, want nothing stored", got[3])
	}
	feed := changes(t, s, after)
	if len(feed) != 2 {
		t.Fatalf("feed after the first put = %+v, want entries for leads 1 and 2", feed)
	}
	all := model.FieldLeadScore | model.FieldUrgency | model.FieldRelativeScore | model.FieldRelativeUrgency | model.FieldPriority |
		model.FieldMomentType | model.FieldMomentDate | model.FieldMomentDesc | model.FieldMomentSource
	if f := feed[0].Fields; feed[0].Insight.LeadID != 1 || f != all || feed[0].Insight.PersonID != "p-1" || feed[0].Insight.Urgency != 12.5 {
		t.Errorf("lead 1's entry = %+v, want all fields and urgency 12.5", feed[0])
	}
	// Lead 2 kept its score: its urgency, flames and priority changed (stars were 0 before too).
	if f := feed[1].Fields; feed[1].Insight.LeadID != 2 || f != model.FieldUrgency|model.FieldRelativeUrgency|model.FieldPriority {
		t.Errorf("lead 2's entry lists %v (%+v), want urgency, relative urgency and priority", f.Numbers(), feed[1])
	}

	// The same values again append nothing; one changed value appends an entry with it alone.
	after = lastSeq(t, s)
	if _, n := put(t, s, store.Reported{LeadID: 1, Values: v1}); n != 0 {
		t.Errorf("a repeated put changed %d leads", n)
	}
	if feed := changes(t, s, after); len(feed) != 0 {
		t.Errorf("a repeated put appended %+v", feed)
	}
	v2 := v1
	v2.Priority = 90
	if _, n := put(t, s, store.Reported{LeadID: 1, Values: v2}); n != 1 {
		t.Errorf("a changed priority changed %d leads, want 1", n)
	}
	feed = changes(t, s, after)
	if len(feed) != 1 || feed[0].Fields != model.FieldPriority || feed[0].Insight.Priority != 90 {
		t.Errorf("feed after a changed priority = %+v, want one entry listing priority", feed)
	}
	// A lead put twice in one batch that ends as it began appends nothing.
	after = lastSeq(t, s)
	if _, n := put(t, s, store.Reported{LeadID: 1, Values: v1}, store.Reported{LeadID: 1, Values: v2}); n != 0 {
		t.Errorf("a batch ending with the current values changed %d leads", n)
	}
	if feed := changes(t, s, after); len(feed) != 0 {
		t.Errorf("a batch ending with the current values appended %+v", feed)
	}

	// Best Bets order by the stored priority: lead 1 (90) before lead 2 (80).
	bets, err := s.BestBets(ctx, "rep-a", nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	var order []int32
	for _, b := range bets {
		order = append(order, b.LeadID)
	}
	if diff := cmp.Diff([]int32{1, 2}, order); diff != "" {
		t.Errorf("best bets (-want +got):\n%s", diff)
	}

	// A lead id that is not positive is refused and nothing is written.
	after = lastSeq(t, s)
	if _, _, err := s.PutInsights(ctx, []store.Reported{{LeadID: 2, Values: v1}, {LeadID: 0}}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("lead id 0: %v, want ErrInvalid", err)
	}
	big := make([]store.Reported, store.MaxBatch+1)
	for i := range big {
		big[i] = store.Reported{LeadID: 1, Values: v1}
	}
	if _, _, err := s.PutInsights(ctx, big); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("too many insights: %v, want ErrInvalid", err)
	}
	if got := insights(t, s, 2)[2]; got.Priority != 80 {
		t.Errorf("lead 2 after invalid puts = %+v", got)
	}
	if feed := changes(t, s, after); len(feed) != 0 {
		t.Errorf("invalid puts appended %+v", feed)
	}
}
