package scoring

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/config"
)

func reportedInsight(id, score int32, urgency float64, stars, flames, priority int32) *scoringv1.ReportedInsight {
	return &scoringv1.ReportedInsight{
		LeadId: id, LeadScore: score, Urgency: urgency, RelativeScore: stars, RelativeUrgency: flames, Priority: priority,
		LastInterestingMomentType:   scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_EMAIL,
		LastInterestingMomentTime:   timestamppb.New(time.Date(2026, 2, 3, 4, 5, 6, 7_000_123, time.UTC)),
		LastInterestingMomentDesc:   "Opened email: Spring offer",
		LastInterestingMomentSource: "Marketo",
	}
}

// TestUpstreamModeStoresMarketoValues: with MSISYNC_SCORING_SOURCE=marketo, PutInsights
// stores Marketo's values, which lead queries, Best Bets and the change feed show, and the
// calls that make msisync compute scoring are refused.
func TestUpstreamModeStoresMarketoValues(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := startService(t, Config{Source: "Marketo"})
	src, err := c.GetScoringSource(ctx, &scoringv1.GetScoringSourceRequest{})
	if err != nil || src.GetSource() != scoringv1.ScoringSource_SCORING_SOURCE_MARKETO {
		t.Fatalf("GetScoringSource = %v, %v; want MARKETO", src, err)
	}
	mustSync(t, c, link(1, "P-1", "rep"), link(2, "P-2", "rep"))
	bad := reportedInsight(2, 5, 1, 4, 0, 10) // 4 stars
	req := &scoringv1.PutInsightsRequest{Insights: []*scoringv1.ReportedInsight{
		reportedInsight(1, 40, 12.5, 2, 1, 42), reportedInsight(2, 90, 3.25, 3, 3, 100), reportedInsight(7, 1, 1, 0, 0, 0), bad,
	}}
	res, err := c.PutInsights(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"UPDATED", "UPDATED", "SKIPPED 1004", "SKIPPED 1001"}, statuses(res.GetResults())); diff != "" || res.GetChangedLeadCount() != 2 {
		t.Errorf("results (-want +got):\n%s\nchanged = %d, want 2", diff, res.GetChangedLeadCount())
	}
	if res.GetResults()[0].GetId() != 1 {
		t.Errorf("result 0 id = %d, want lead 1", res.GetResults()[0].GetId())
	}
	// Repeating the put changes nothing.
	again, err := c.PutInsights(ctx, req)
	if err != nil || again.GetChangedLeadCount() != 0 {
		t.Errorf("repeated put: changed %d, %v; want 0", again.GetChangedLeadCount(), err)
	}

	got, err := c.BatchGetInsights(ctx, &scoringv1.BatchGetInsightsRequest{LeadIds: []int32{1}})
	if err != nil {
		t.Fatal(err)
	}
	in := got.GetInsights()[0]
	want := reportedInsight(1, 40, 12.5, 2, 1, 42)
	if in.GetLeadScore() != 40 || in.GetUrgency() != 12.5 || in.GetRelativeScore() != 2 || in.GetRelativeUrgency() != 1 || in.GetPriority() != 42 ||
		in.GetLastInterestingMomentType() != want.GetLastInterestingMomentType() || in.GetLastInterestingMomentDesc() != want.GetLastInterestingMomentDesc() ||
		in.GetLastInterestingMomentSource() != "Marketo" || !in.GetLastInterestingMomentTime().AsTime().Equal(time.Date(2026, 2, 3, 4, 5, 6, 7_000_000, time.UTC)) {
		t.Errorf("lead 1 = %v, want Marketo's values (moment time to the microsecond)", in)
	}
	bets, err := c.ListBestBets(ctx, &scoringv1.ListBestBetsRequest{ExternalSalesPersonId: "rep"})
	if err != nil {
		t.Fatal(err)
	}
	if len(bets.GetBestBets()) != 2 || bets.GetBestBets()[0].GetLeadId() != 2 || bets.GetBestBets()[0].GetInsight().GetPriority() != 100 {
		t.Errorf("best bets = %v, want lead 2 (priority 100) first", bets)
	}
	feed, err := c.ListChanges(ctx, &scoringv1.ListChangesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.GetChanges()) != 2 || feed.GetChanges()[0].GetExternalPersonId() != "P-1" || feed.GetChanges()[0].GetInsight().GetUrgency() != 12.5 ||
		len(feed.GetChanges()[0].GetChangedFields()) != 9 {
		t.Errorf("change feed = %v, want one entry per lead with all nine fields", feed)
	}

	for name, call := range map[string]func() error{
		"RecordScoreChanges": func() error {
			_, err := c.RecordScoreChanges(ctx, &scoringv1.RecordScoreChangesRequest{Changes: []*scoringv1.ScoreChangeInput{byLead(1, 5)}})
			return err
		},
		"RecordInterestingMoments": func() error {
			_, err := c.RecordInterestingMoments(ctx, &scoringv1.RecordInterestingMomentsRequest{Moments: []*scoringv1.InterestingMomentInput{{
				Person: &scoringv1.InterestingMomentInput_LeadId{LeadId: 1}, Type: scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_WEB, Description: "x",
			}}})
			return err
		},
		"RecomputeTiers": func() error {
			_, err := c.RecomputeTiers(ctx, &scoringv1.RecomputeTiersRequest{})
			return err
		},
	} {
		err := call()
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), "msisync forwards to your Marketo instance (MSISYNC_MARKETO_URL), which owns scoring") {
			t.Errorf("%s in upstream mode: %v, want FailedPrecondition naming Marketo", name, err)
		}
	}
	_, err = c.RecordScoreChanges(ctx, &scoringv1.RecordScoreChangesRequest{Changes: []*scoringv1.ScoreChangeInput{byLead(1, 5)}})
	if msg := status.Convert(err).Message(); msg != "msisync forwards to your Marketo instance (MSISYNC_MARKETO_URL), which owns scoring: record score changes and interesting moments in Marketo" {
		t.Errorf("RecordScoreChanges message = %q", msg)
	}
}

// TestPutInsightsValidation: the batch limit and lead ids are INVALID_ARGUMENT.
func TestPutInsightsValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := startService(t, Config{Source: SourceMarketo})
	big := make([]*scoringv1.ReportedInsight, 301)
	for i := range big {
		big[i] = reportedInsight(int32(i+1), 1, 1, 0, 0, 0)
	}
	for name, in := range map[string][]*scoringv1.ReportedInsight{
		"301 entries": big,
		"lead id 0":   {reportedInsight(1, 1, 1, 0, 0, 0), reportedInsight(0, 1, 1, 0, 0, 0)},
		"lead id -3":  {reportedInsight(-3, 1, 1, 0, 0, 0)},
		"moment type": {{LeadId: 1, LastInterestingMomentType: 9}},
	} {
		_, err := c.PutInsights(ctx, &scoringv1.PutInsightsRequest{Insights: in})
		if status.Code(err) != codes.InvalidArgument || status.Convert(err).Message() == "" {
			t.Errorf("%s: %v, want InvalidArgument with a sentence", name, err)
		}
	}
}

// TestMsisyncModeRefusesPutInsights: by default msisync computes scoring and PutInsights
// is refused, so the two sources never mix.
func TestMsisyncModeRefusesPutInsights(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, _ := startService(t, Config{})
	src, err := c.GetScoringSource(ctx, &scoringv1.GetScoringSourceRequest{})
	if err != nil || src.GetSource() != scoringv1.ScoringSource_SCORING_SOURCE_MSISYNC {
		t.Fatalf("GetScoringSource = %v, %v; want MSISYNC", src, err)
	}
	mustSync(t, c, link(1, "", ""))
	_, err = c.PutInsights(ctx, &scoringv1.PutInsightsRequest{Insights: []*scoringv1.ReportedInsight{reportedInsight(1, 1, 1, 0, 0, 0)}})
	want := "scoring is computed by msisync (MSISYNC_SCORING_SOURCE=msisync); PutInsights is for upstream mode"
	if status.Code(err) != codes.FailedPrecondition || status.Convert(err).Message() != want {
		t.Errorf("PutInsights in msisync mode: %v, want FailedPrecondition %q", err, want)
	}
	if _, err := c.RecomputeTiers(ctx, &scoringv1.RecomputeTiersRequest{}); err != nil {
		t.Errorf("RecomputeTiers in msisync mode: %v", err)
	}
	mustRecord(t, c, byLead(1, 5))
}

// TestSourceSetting: the setting is validated with an error naming it, and only msisync
// mode recomputes the tiers on schedule.
func TestSourceSetting(t *testing.T) {
	t.Parallel()
	st := config.Store{DataDir: "x", SQLiteSynchronous: "NORMAL"}
	err := Config{Addr: "127.0.0.1:9105", Store: st, Source: "crm"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "MSISYNC_SCORING_SOURCE") {
		t.Errorf("source crm: %v, want an error naming MSISYNC_SCORING_SOURCE", err)
	}
	for source, want := range map[string]bool{"": true, "msisync": true, "marketo": false} {
		svc, err := New(context.Background(), Config{Addr: "127.0.0.1:0", Store: config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}, Source: source}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		if got := svc.scheduled(); got != want {
			t.Errorf("source %q: scheduled recomputation = %v, want %v", source, got, want)
		}
		svc.Close()
	}
}
