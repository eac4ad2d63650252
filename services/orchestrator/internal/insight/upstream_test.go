package insight

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// upstreamRefusal is what the scoring service answers in upstream mode
// (MSISYNC_SCORING_SOURCE=marketo).
var upstreamRefusal = status.Error(codes.FailedPrecondition,
	"msisync forwards to your Marketo instance (MSISYNC_MARKETO_URL), which owns scoring: record score changes and interesting moments in Marketo")

// upstreamScoring refuses every scoring input, as the scoring service does in upstream mode.
type upstreamScoring struct {
	scoringv1.ScoringServiceClient
}

func (upstreamScoring) RecordScoreChanges(context.Context, *scoringv1.RecordScoreChangesRequest, ...grpc.CallOption) (*scoringv1.RecordScoreChangesResponse, error) {
	return nil, upstreamRefusal
}

func (upstreamScoring) RecordInterestingMoments(context.Context, *scoringv1.RecordInterestingMomentsRequest, ...grpc.CallOption) (*scoringv1.RecordInterestingMomentsResponse, error) {
	return nil, upstreamRefusal
}

func (upstreamScoring) RecomputeTiers(context.Context, *scoringv1.RecomputeTiersRequest, ...grpc.CallOption) (*scoringv1.RecomputeTiersResponse, error) {
	return nil, upstreamRefusal
}

// TestScoringRefusalsPassThroughUnchanged: the scoring service's FAILED_PRECONDITION in
// upstream mode reaches the caller with its code and sentence.
func TestScoringRefusalsPassThroughUnchanged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := New(links.Clients{}, upstreamScoring{}, DefaultColumns, nil, []byte("page-key-for-tests-0123456789abc"))
	calls := map[string]func() error{
		"RecordScoreChanges": func() error {
			_, err := srv.RecordScoreChanges(ctx, &orchestratorv1.RecordScoreChangesRequest{Changes: []*orchestratorv1.ScoreChangeInput{{
				Person: &orchestratorv1.ScoreChangeInput_LeadId{LeadId: 1}, Change: &orchestratorv1.ScoreChangeInput_Delta{Delta: 5},
			}}})
			return err
		},
		"RecordInterestingMoments": func() error {
			_, err := srv.RecordInterestingMoments(ctx, &orchestratorv1.RecordInterestingMomentsRequest{Moments: []*orchestratorv1.InterestingMomentInput{{
				Person: &orchestratorv1.InterestingMomentInput_LeadId{LeadId: 1}, Type: "Web", Description: "Visited pricing",
			}}})
			return err
		},
		"RecomputeTiers": func() error {
			_, err := srv.RecomputeTiers(ctx, &orchestratorv1.RecomputeTiersRequest{})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		if status.Code(err) != codes.FailedPrecondition || status.Convert(err).Message() != status.Convert(upstreamRefusal).Message() {
			t.Errorf("%s: %v, want the scoring service's refusal unchanged", name, err)
		}
	}
}
