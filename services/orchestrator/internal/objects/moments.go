package objects

import (
	"strings"

	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
)

// momentTypeNames are the Marketo names of the interesting moment types.
var momentTypeNames = map[scoringv1.InterestingMomentType]string{
	scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_EMAIL:     "Email",
	scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_MILESTONE: "Milestone",
	scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_WEB:       "Web",
}

// MomentTypeName returns the Marketo name of an interesting moment type ("" when unset).
func MomentTypeName(t scoringv1.InterestingMomentType) string { return momentTypeNames[t] }

// MomentType parses a Marketo moment type name (case-insensitive).
func MomentType(name string) (scoringv1.InterestingMomentType, bool) {
	for t, n := range momentTypeNames {
		if strings.EqualFold(n, strings.TrimSpace(name)) {
			return t, true
		}
	}
	return scoringv1.InterestingMomentType_INTERESTING_MOMENT_TYPE_UNSPECIFIED, false
}
