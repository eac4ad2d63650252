package model

import "time"

// Reported is a lead's MSI values as an upstream Marketo computed them (upstream mode,
// MSISYNC_SCORING_SOURCE=marketo): msisync stores them as they are instead of deriving its
// own.
type Reported struct {
	// Score is leadScore.
	Score int32
	// Urgency is urgency, shown as it is (no decay) until the next report.
	Urgency float64
	// Stars, Flames and Priority are relativeScore, relativeUrgency and priority.
	Stars, Flames, Priority int32
	// Moment is the last interesting moment; ID is 0 (it is no msisync activity) and Type 0
	// when Marketo has none.
	Moment Moment
}

// ApplyReported replaces s's derived values with r. It returns the fields whose shown
// values differ from before: urgency compares s's urgency at now (p) with r's, so a
// repeated report of the same values changes no field.
func (p Params) ApplyReported(s *State, r Reported, now time.Time) Field {
	before := *s
	s.Scored = true
	s.Score = r.Score
	s.UrgencyKey, s.HasUrgency = 0, false
	s.Reported, s.ReportedUrgency = true, r.Urgency
	s.Stars, s.Flames, s.Priority = r.Stars, r.Flames, r.Priority
	s.Moment = r.Moment
	f := Diff(before, *s) &^ FieldUrgency
	if p.Shown(before, now) != r.Urgency {
		f |= FieldUrgency
	}
	return f
}

// Shown returns the urgency s shows at at: the reported one as it is, or u(at) from the
// urgency key.
func (p Params) Shown(s State, at time.Time) float64 {
	if s.Reported {
		return s.ReportedUrgency
	}
	return p.Urgency(s.UrgencyKey, s.HasUrgency, at)
}
