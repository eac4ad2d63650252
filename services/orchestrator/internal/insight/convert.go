// Package insight implements msisync.orchestrator.v1.InsightService: MSI insight in and out
// — interesting moments and score changes recorded by CRM id, tier recomputation, Best
// Bets with the people's details, diagnostics that explain in words whether every link MSI
// needs is in place, and the writeback feed in the CRM's column names.
package insight

import (
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// toInsight converts the scoring service's view of a lead to the public one.
func toInsight(in *scoringv1.LeadInsight) *orchestratorv1.LeadInsight {
	if in == nil {
		return nil
	}
	return &orchestratorv1.LeadInsight{
		LeadId:                         in.GetLeadId(),
		ExternalPersonId:               in.GetExternalPersonId(),
		LeadScore:                      in.GetLeadScore(),
		Urgency:                        in.GetUrgency(),
		RelativeScore:                  in.GetRelativeScore(),
		RelativeUrgency:                in.GetRelativeUrgency(),
		Priority:                       in.GetPriority(),
		MsiLastInterestingMomentType:   objects.MomentTypeName(in.GetLastInterestingMomentType()),
		MsiLastInterestingMomentDate:   in.GetLastInterestingMomentTime(),
		MsiLastInterestingMomentDesc:   in.GetLastInterestingMomentDesc(),
		MsiLastInterestingMomentSource: in.GetLastInterestingMomentSource(),
	}
}

func toInsights(in []*scoringv1.LeadInsight) []*orchestratorv1.LeadInsight {
	out := make([]*orchestratorv1.LeadInsight, len(in))
	for i, x := range in {
		out[i] = toInsight(x)
	}
	return out
}

func toBoundaries(b *scoringv1.TierBoundaries) *orchestratorv1.TierBoundaries {
	if b == nil {
		return nil
	}
	return &orchestratorv1.TierBoundaries{
		Mode:              orchestratorv1.TierBoundariesMode(b.GetMode()),
		ScoreThresholds:   b.GetScoreThresholds(),
		UrgencyThresholds: b.GetUrgencyThresholds(),
		ScoredLeadCount:   b.GetScoredLeadCount(),
		ComputeTime:       b.GetComputeTime(),
	}
}
