package model

import "math"

// Merge adds sub's scoring to master's, as when two leads become one: the scores add up
// (ErrOutOfRange, master unchanged, when the sum leaves the int32 range), so do the
// urgencies (both decay with the same half-life, so their keys combine like AddKey's), the
// more recent last interesting moment wins (master's on a tie), and the stars, flames and
// priority are derived again with b.
func Merge(master *State, sub State, b Boundaries) error {
	n := int64(master.Score) + int64(sub.Score)
	if n > math.MaxInt32 || n < math.MinInt32 {
		return ErrOutOfRange
	}
	master.Score = int32(n)
	master.Scored = master.Scored || sub.Scored
	switch {
	case sub.HasUrgency && master.HasUrgency:
		hi, lo := math.Max(master.UrgencyKey, sub.UrgencyKey), math.Min(master.UrgencyKey, sub.UrgencyKey)
		master.UrgencyKey = hi + math.Log2(1+math.Exp2(lo-hi))
	case sub.HasUrgency:
		master.UrgencyKey, master.HasUrgency = sub.UrgencyKey, true
	}
	if sub.Moment.ID != 0 && (master.Moment.ID == 0 || sub.Moment.Time.After(master.Moment.Time)) {
		master.Moment = sub.Moment
	}
	b.Derive(master)
	return nil
}
