package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/scoring/internal/store"
)

// testMerge checks MergeLeads: the subordinate's activities, score, urgency and newer moment
// move to the master, the subordinate is forgotten, the master gets one feed entry, and a
// repeated merge changes nothing.
func testMerge(t *testing.T, s store.Store) {
	ctx := context.Background()
	syncLinks(t, s, link(1, "p-1", "rep"), link(2, "p-2", "rep"), link(3, "p-3", "rep"))
	record(t, s, delta(1, 10), delta(2, 30))
	if _, _, err := s.RecordMoments(ctx, []store.Moment{{Person: byID(2), Type: 1, Description: "Opened the pricing email"}}); err != nil {
		t.Fatal(err)
	}
	seq := lastSeq(t, s)
	res, err := s.MergeLeads(ctx, []store.LeadMerge{{Subordinate: 2, Master: 1}, {Subordinate: 3, Master: 99}, {Subordinate: 42, Master: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Outcome{store.Recorded, store.UnknownLead, store.Recorded}, outcomes(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	got := insights(t, s, 1, 2)
	if got[1].Score != 40 || got[1].Moment.Desc != "Opened the pricing email" || got[1].Urgency <= 30 {
		t.Errorf("master after merge = %+v", got[1])
	}
	if diff := cmp.Diff(store.Insight{LeadID: 2}, got[2]); diff != "" {
		t.Errorf("subordinate after merge (-want +got):\n%s", diff)
	}
	feed := changes(t, s, seq)
	if len(feed) != 1 || feed[0].Insight.LeadID != 1 || feed[0].Insight.PersonID != "p-1" {
		t.Errorf("feed after merge = %+v", feed)
	}
	acts, err := s.Activities(ctx, store.ActivityFilter{Since: time.Unix(0, 0), Kinds: []store.ActivityKind{store.KindScoreChange, store.KindMoment}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 3 {
		t.Fatalf("activities = %+v", acts)
	}
	for _, a := range acts {
		if a.LeadID != 1 {
			t.Errorf("activity %d still on lead %d", a.ID, a.LeadID)
		}
	}
	// Repeated (a caller retrying after a crash): nothing moves, nothing is fed.
	seq = lastSeq(t, s)
	if res, err := s.MergeLeads(ctx, []store.LeadMerge{{Subordinate: 2, Master: 1}}); err != nil || res[0].Outcome != store.Recorded {
		t.Fatalf("repeated merge = %+v, %v", res, err)
	}
	if feed := changes(t, s, seq); len(feed) != 0 || insights(t, s, 1)[1].Score != 40 {
		t.Errorf("a repeated merge changed something: feed %+v", feed)
	}
	for name, m := range map[string]store.LeadMerge{"into itself": {Subordinate: 1, Master: 1}, "zero id": {Master: 1}} {
		if _, err := s.MergeLeads(ctx, []store.LeadMerge{m}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

// testMergeChain checks a batch that merges lead 1 into 2 and then 2 into 3: all the scoring
// ends on lead 3, leads 1 and 2 are both forgotten, and only lead 3 is fed.
func testMergeChain(t *testing.T, s store.Store) {
	ctx := context.Background()
	syncLinks(t, s, link(1, "p-1", "rep"), link(2, "p-2", "rep"), link(3, "p-3", "rep"))
	record(t, s, delta(1, 10), delta(2, 20), delta(3, 30))
	seq := lastSeq(t, s)
	res, err := s.MergeLeads(ctx, []store.LeadMerge{{Subordinate: 1, Master: 2}, {Subordinate: 2, Master: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Outcome{store.Recorded, store.Recorded}, outcomes(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	got := insights(t, s, 1, 2, 3)
	if got[3].Score != 60 {
		t.Errorf("lead 3 after the merges = %+v, want score 60", got[3])
	}
	for _, id := range []int32{1, 2} {
		if diff := cmp.Diff(store.Insight{LeadID: id}, got[id]); diff != "" {
			t.Errorf("merged lead %d (-want +got):\n%s", id, diff)
		}
	}
	feed := changes(t, s, seq)
	if len(feed) != 1 || feed[0].Insight.LeadID != 3 {
		t.Errorf("feed after the merges = %+v, want one entry for lead 3", feed)
	}
}

// testRelinkFeeds checks that a scored lead whose CRM id changes (a qualified lead) gets a
// feed entry under its new id, and that a link with the same id, or a lead without values,
// gets none.
func testRelinkFeeds(t *testing.T, s store.Store) {
	syncLinks(t, s, link(1, "lead-1", "rep"), link(2, "lead-2", "rep"))
	record(t, s, delta(1, 25))
	seq := lastSeq(t, s)
	syncLinks(t, s, link(1, "contact-1", "rep"), link(2, "contact-2", "rep"))
	feed := changes(t, s, seq)
	if len(feed) != 1 || feed[0].Insight.LeadID != 1 || feed[0].Insight.PersonID != "contact-1" || feed[0].Insight.Score != 25 {
		t.Fatalf("feed after the CRM id changed = %+v, want one entry for lead 1 under contact-1", feed)
	}
	seq = lastSeq(t, s)
	syncLinks(t, s, link(1, "contact-1", "other-rep"))
	if feed := changes(t, s, seq); len(feed) != 0 {
		t.Errorf("an owner change fed %+v", feed)
	}
}
