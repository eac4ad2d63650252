package server

import (
	"context"
	"math"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// Source says who computes the leads' MSI values (MSISYNC_SCORING_SOURCE).
type Source int

// The sources.
const (
	// SourceMsisync: msisync computes them from the score changes and interesting moments
	// recorded through it; PutInsights is refused.
	SourceMsisync Source = iota
	// SourceMarketo: the customer's Marketo computes them and PutInsights stores them;
	// RecordScoreChanges, RecordInterestingMoments and RecomputeTiers are refused.
	SourceMarketo
)

// The refusals that keep the two sources from mixing.
var (
	errMarketoScores = status.Error(codes.FailedPrecondition,
		"msisync forwards to your Marketo instance (MSISYNC_MARKETO_URL), which owns scoring: record score changes and interesting moments in Marketo")
	errMarketoTiers = status.Error(codes.FailedPrecondition,
		"msisync forwards to your Marketo instance (MSISYNC_MARKETO_URL), which owns scoring: Marketo computes the stars, flames and priority, so there are no msisync tiers to recompute")
	errMsisyncPut = status.Error(codes.FailedPrecondition,
		"scoring is computed by msisync (MSISYNC_SCORING_SOURCE=msisync); PutInsights is for upstream mode")
)

// Reported value ranges.
const (
	maxTier     = 3
	maxPriority = 100
)

// GetScoringSource implements scoringv1.ScoringServiceServer.
func (s *Server) GetScoringSource(context.Context, *scoringv1.GetScoringSourceRequest) (*scoringv1.GetScoringSourceResponse, error) {
	src := scoringv1.ScoringSource_SCORING_SOURCE_MSISYNC
	if s.source == SourceMarketo {
		src = scoringv1.ScoringSource_SCORING_SOURCE_MARKETO
	}
	return &scoringv1.GetScoringSourceResponse{Source: src}, nil
}

// PutInsights implements scoringv1.ScoringServiceServer.
func (s *Server) PutInsights(ctx context.Context, req *scoringv1.PutInsightsRequest) (*scoringv1.PutInsightsResponse, error) {
	if s.source != SourceMarketo {
		return nil, errMsisyncPut
	}
	if err := records.CheckBatch(len(req.GetInsights())); err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(req.GetInsights()))
	var put []store.Reported
	var idx []int
	for i, in := range req.GetInsights() {
		if in.GetLeadId() <= 0 {
			return nil, status.Errorf(codes.InvalidArgument, "insight %d: lead_id %d is not a positive id", i, in.GetLeadId())
		}
		if t := in.GetLastInterestingMomentType(); t < scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_UNSPECIFIED || t > scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_WEB {
			return nil, status.Errorf(codes.InvalidArgument, "insight %d: last_interesting_moment_type %d is not an InterestingMomentType", i, int32(t))
		}
		r, why := reported(in)
		if why != nil {
			results[i] = records.Skipped(i, 0, why)
			continue
		}
		put, idx = append(put, store.Reported{LeadID: in.GetLeadId(), Values: r}), append(idx, i)
	}
	resp := &scoringv1.PutInsightsResponse{Results: results}
	if len(put) == 0 {
		return resp, nil
	}
	out, changed, err := s.store.PutInsights(ctx, put)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	for n, r := range out {
		i := idx[n]
		if r.Outcome == store.Recorded {
			results[i] = records.Result(i, records.Updated, r.LeadID, "")
		} else {
			results[i] = records.Skipped(i, 0, records.Reason(marketo.CodeLeadNotFound, "Lead not found: leadId %d has no lead link in the scoring service", put[n].LeadID))
		}
	}
	resp.ChangedLeadCount = int32(changed)
	return resp, nil
}

// reported checks one entry's values, or says why it is skipped.
func reported(in *scoringv1.ReportedInsight) (model.Reported, *commonv1.Reason) {
	r := model.Reported{
		Score: in.GetLeadScore(), Urgency: in.GetUrgency(),
		Stars: in.GetRelativeScore(), Flames: in.GetRelativeUrgency(), Priority: in.GetPriority(),
		Moment: model.Moment{Type: int32(in.GetLastInterestingMomentType())},
	}
	switch {
	case math.IsNaN(r.Urgency) || math.IsInf(r.Urgency, 0) || r.Urgency < 0:
		return r, records.Reason(marketo.CodeInvalidValue, "Invalid value '%v' for 'urgency': required a number of 0 or more", r.Urgency)
	case r.Stars < 0 || r.Stars > maxTier:
		return r, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d' for 'relativeScore': required 0 to %d", r.Stars, maxTier)
	case r.Flames < 0 || r.Flames > maxTier:
		return r, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d' for 'relativeUrgency': required 0 to %d", r.Flames, maxTier)
	case r.Priority < 0 || r.Priority > maxPriority:
		return r, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d' for 'priority': required 0 to %d", r.Priority, maxPriority)
	}
	if ts := in.GetLastInterestingMomentTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return r, records.Reason(marketo.CodeInvalidValue, "Invalid value for 'msiLastInterestingMomentDate': %v", err)
		}
		// The store keeps microseconds: truncating here makes a repeated put compare equal.
		r.Moment.Time = ts.AsTime().UTC().Truncate(time.Microsecond)
	}
	var why *commonv1.Reason
	if r.Moment.Desc, why = records.Text("msiLastInterestingMomentDesc", in.GetLastInterestingMomentDesc(), maxDescription); why != nil {
		return r, why
	}
	if r.Moment.Source, why = records.Text("msiLastInterestingMomentSource", in.GetLastInterestingMomentSource(), records.MaxTextLength); why != nil {
		return r, why
	}
	return r, nil
}
