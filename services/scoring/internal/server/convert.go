package server

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/services/scoring/internal/model"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

func insightProto(in store.Insight) *scoringv1.LeadInsight {
	out := &scoringv1.LeadInsight{
		LeadId:           in.LeadID,
		ExternalPersonId: in.PersonID,
		LeadScore:        in.Score,
		Urgency:          in.Urgency,
		RelativeScore:    in.Stars,
		RelativeUrgency:  in.Flames,
		Priority:         in.Priority,
	}
	// Each value on its own: a moment msisync recorded has them all, one Marketo reported
	// may lack some (no date, say).
	out.LastInterestingMomentType = scoringv1.InterestingMomentType(in.Moment.Type)
	if !in.Moment.Time.IsZero() {
		out.LastInterestingMomentTime = timestamppb.New(in.Moment.Time)
	}
	out.LastInterestingMomentDesc = in.Moment.Desc
	out.LastInterestingMomentSource = in.Moment.Source
	if !in.UpdatedAt.IsZero() {
		out.UpdateTime = timestamppb.New(in.UpdatedAt)
	}
	return out
}

func insightsProto(ins []store.Insight) []*scoringv1.LeadInsight {
	out := make([]*scoringv1.LeadInsight, len(ins))
	for i, in := range ins {
		out[i] = insightProto(in)
	}
	return out
}

func boundariesProto(b model.Boundaries, p model.Params, now time.Time) *scoringv1.TierBoundaries {
	mode := scoringv1.TierBoundariesMode_TIER_BOUNDARIES_MODE_DYNAMIC
	if b.Mode == model.Static {
		mode = scoringv1.TierBoundariesMode_TIER_BOUNDARIES_MODE_STATIC
	}
	u := b.UrgencyThresholds(p, now)
	out := &scoringv1.TierBoundaries{
		Mode:              mode,
		ScoreThresholds:   b.Score[:],
		UrgencyThresholds: u[:],
		ScoredLeadCount:   int32(b.ScoredLeads),
	}
	if !b.ComputedAt.IsZero() {
		out.ComputeTime = timestamppb.New(b.ComputedAt)
	}
	return out
}

func activityProto(a store.Activity) *scoringv1.ScoringActivity {
	if a.Kind == store.KindMoment {
		return &scoringv1.ScoringActivity{Activity: &scoringv1.ScoringActivity_InterestingMoment{InterestingMoment: &scoringv1.InterestingMoment{
			Id: a.ID, LeadId: a.LeadID, Type: scoringv1.InterestingMomentType(a.MomentType),
			Description: a.Description, Source: a.Source, EventTime: timestamppb.New(a.EventTime),
		}}}
	}
	return &scoringv1.ScoringActivity{Activity: &scoringv1.ScoringActivity_ScoreChange{ScoreChange: &scoringv1.ScoreChange{
		Id: a.ID, LeadId: a.LeadID, ChangeValue: a.Delta, NewValue: a.NewValue, OldValue: a.OldValue,
		Reason: a.Reason, EventTime: timestamppb.New(a.EventTime),
	}}}
}
