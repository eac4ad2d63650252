package marketoapi

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// msiValue reads one MSI field of a lead's insight, as Marketo shows it.
var msiValue = map[string]func(*scoringv1.LeadInsight) *structpb.Value{
	"leadScore":       func(in *scoringv1.LeadInsight) *structpb.Value { return number(in.GetLeadScore()) },
	"urgency":         func(in *scoringv1.LeadInsight) *structpb.Value { return structpb.NewNumberValue(in.GetUrgency()) },
	"relativeScore":   func(in *scoringv1.LeadInsight) *structpb.Value { return number(in.GetRelativeScore()) },
	"relativeScoring": func(in *scoringv1.LeadInsight) *structpb.Value { return number(in.GetRelativeScore()) },
	"relativeUrgency": func(in *scoringv1.LeadInsight) *structpb.Value { return number(in.GetRelativeUrgency()) },
	"priority":        func(in *scoringv1.LeadInsight) *structpb.Value { return number(in.GetPriority()) },
	"msiLastInterestingMomentType": func(in *scoringv1.LeadInsight) *structpb.Value {
		return text(objects.MomentTypeName(in.GetLastInterestingMomentType()))
	},
	"msiLastInterestingMomentDate": func(in *scoringv1.LeadInsight) *structpb.Value {
		if in.GetLastInterestingMomentTime() == nil {
			return structpb.NewNullValue()
		}
		return structpb.NewStringValue(in.GetLastInterestingMomentTime().AsTime().UTC().Format(time.RFC3339))
	},
	"msiLastInterestingMomentDesc":   func(in *scoringv1.LeadInsight) *structpb.Value { return text(in.GetLastInterestingMomentDesc()) },
	"msiLastInterestingMomentSource": func(in *scoringv1.LeadInsight) *structpb.Value { return text(in.GetLastInterestingMomentSource()) },
}

func number(n int32) *structpb.Value { return structpb.NewNumberValue(float64(n)) }

func text(s string) *structpb.Value {
	if s == "" {
		return structpb.NewNullValue()
	}
	return structpb.NewStringValue(s)
}

// msiFields returns the requested fields that are MSI fields.
func msiFields(fields []string) []string {
	var out []string
	for _, f := range fields {
		if _, ok := msiValue[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

// addInsight fills the requested MSI fields of a page of lead records from the scoring
// service: one batched call for the whole page, none when no MSI field is asked for.
func addInsight(ctx context.Context, scoring scoringv1.ScoringServiceClient, leads []*personv1.Lead, recs []*structpb.Struct, fields []string) error {
	want := msiFields(fields)
	if len(want) == 0 || len(leads) == 0 {
		return nil
	}
	ids := make([]int32, len(leads))
	for i, l := range leads {
		ids[i] = l.GetId()
	}
	got, err := scoring.BatchGetInsights(ctx, &scoringv1.BatchGetInsightsRequest{LeadIds: ids})
	if err != nil {
		return fmt.Errorf("reading MSI fields: %w", err)
	}
	byID := make(map[int32]*scoringv1.LeadInsight, len(got.GetInsights()))
	for _, in := range got.GetInsights() {
		byID[in.GetLeadId()] = in
	}
	for i, l := range leads {
		in := byID[l.GetId()]
		if in == nil {
			in = &scoringv1.LeadInsight{LeadId: l.GetId()}
		}
		for _, f := range want {
			recs[i].GetFields()[f] = msiValue[f](in)
		}
	}
	return nil
}

// leadScores takes leadScore out of lead sync records — the one MSI field lead sync may
// set; it goes to the scoring service as a new score — and returns the records without it,
// the scores by record position, and the reasons for records whose leadScore is not an
// integer.
func leadScores(recs []*structpb.Struct) ([]*structpb.Struct, map[int]int32, map[int]*commonv1.Reason) {
	scores := map[int]int32{}
	refused := map[int]*commonv1.Reason{}
	out := append([]*structpb.Struct(nil), recs...)
	for i, r := range recs {
		v, ok := r.GetFields()["leadScore"]
		if !ok {
			continue
		}
		stripped := proto.Clone(r).(*structpb.Struct)
		delete(stripped.GetFields(), "leadScore")
		out[i] = stripped
		if _, null := v.GetKind().(*structpb.Value_NullValue); null {
			continue
		}
		n, why := int32Value("leadScore", v)
		if why != nil {
			refused[i] = why
			continue
		}
		scores[i] = n
	}
	return out, scores, refused
}

// setScores sends the leadScores of the records the lead sync wrote to the scoring service
// as new values, in one call. A score the scoring service refuses turns that record's
// result into a skipped one with the reason.
func setScores(ctx context.Context, scoring scoringv1.ScoringServiceClient, scores map[int]int32, pos []int, outs []apply.Outcome) error {
	if len(scores) == 0 {
		return nil
	}
	var changes []*scoringv1.ScoreChangeInput
	var at []int
	for k, o := range outs {
		score, ok := scores[pos[k]]
		if !ok || o.Result == nil {
			continue
		}
		switch o.Result.GetStatus() {
		case commonv1.RecordStatus_RECORD_STATUS_CREATED, commonv1.RecordStatus_RECORD_STATUS_UPDATED:
			changes = append(changes, &scoringv1.ScoreChangeInput{
				Person: &scoringv1.ScoreChangeInput_LeadId{LeadId: o.Result.GetId()},
				Change: &scoringv1.ScoreChangeInput_NewValue{NewValue: score},
				Reason: "Lead sync",
			})
			at = append(at, k)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	resp, err := scoring.RecordScoreChanges(ctx, &scoringv1.RecordScoreChangesRequest{Changes: changes})
	if err != nil {
		return fmt.Errorf("setting lead scores: %w", err)
	}
	for n, r := range resp.GetResults() {
		if n < len(at) && r.GetStatus() == commonv1.RecordStatus_RECORD_STATUS_SKIPPED {
			res := outs[at[n]].Result
			res.Status = commonv1.RecordStatus_RECORD_STATUS_SKIPPED
			res.Reasons = append(res.Reasons, r.GetReasons()...)
		}
	}
	return nil
}
