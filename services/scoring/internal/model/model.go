package model

import (
	"fmt"
	"math"
	"time"
)

// DefaultHalfLife is the default urgency half-life: 7 days.
const DefaultHalfLife = 7 * 24 * time.Hour

// Params are the knobs of the urgency decay.
type Params struct {
	// HalfLife is the time after which a score increase counts half; it must be positive.
	HalfLife time.Duration
}

// seconds returns t in seconds since the Unix epoch, at microsecond precision.
func seconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func (p Params) h() float64 { return p.HalfLife.Seconds() }

// ChangeKey returns the urgency key of a single increase of delta (> 0) at time t.
func (p Params) ChangeKey(delta float64, t time.Time) float64 {
	return math.Log2(delta) + seconds(t)/p.h()
}

// AddKey returns the urgency key after adding an increase of delta (> 0) at time t (clamped
// to now) to a lead whose key is key (has false: no urgency yet).
func (p Params) AddKey(key float64, has bool, delta float64, t, now time.Time) float64 {
	if t.After(now) {
		t = now
	}
	c := p.ChangeKey(delta, t)
	if !has {
		return c
	}
	hi, lo := math.Max(key, c), math.Min(key, c)
	return hi + math.Log2(1+math.Exp2(lo-hi))
}

// Urgency returns u(at) = 2^(key − at/h) rounded to 6 decimals, or 0 when has is false.
func (p Params) Urgency(key float64, has bool, at time.Time) float64 {
	if !has {
		return 0
	}
	return math.Round(math.Exp2(key-seconds(at)/p.h())*1e6) / 1e6
}

// KeyOf returns the urgency key of an urgency u > 0 at time at (for thresholds).
func (p Params) KeyOf(u float64, at time.Time) float64 {
	return math.Log2(u) + seconds(at)/p.h()
}

// Field is a bit set of MSI fields; bit i stands for msisync.scoring.v1.MsiField i+1.
type Field uint16

// The fields a feed entry can list.
const (
	FieldLeadScore Field = 1 << iota
	FieldUrgency
	FieldRelativeScore
	FieldRelativeUrgency
	FieldPriority
	FieldMomentType
	FieldMomentDate
	FieldMomentDesc
	FieldMomentSource
)

// Numbers returns the MsiField numbers of the set bits, ascending.
func (f Field) Numbers() []int32 {
	var out []int32
	for i := range 9 {
		if f&(1<<i) != 0 {
			out = append(out, int32(i+1))
		}
	}
	return out
}

// Moment is an interesting moment as a lead's last one.
type Moment struct {
	// ID is the moment's activity id (0 when the lead has none).
	ID int32
	// Type is 1 Email, 2 Milestone, 3 Web (the proto's InterestingMomentType).
	Type int32
	// Time is the event time.
	Time time.Time
	// Desc and Source are its description and source.
	Desc, Source string
}

// State is a lead's stored derived values.
type State struct {
	// Scored is true once a score change was recorded.
	Scored bool
	// Score is leadScore.
	Score int32
	// UrgencyKey is L (see the package doc); meaningful only when HasUrgency.
	UrgencyKey float64
	// HasUrgency is false while no positive change was recorded.
	HasUrgency bool
	// Reported is true while the values are those an upstream Marketo reported (see
	// Reported): ReportedUrgency is then the urgency, as it is, without decay, and
	// UrgencyKey is not used.
	Reported bool
	// ReportedUrgency is the reported urgency; meaningful only when Reported.
	ReportedUrgency float64
	// Stars, Flames and Priority are derived with the boundaries in force.
	Stars, Flames, Priority int32
	// Moment is the last interesting moment (ID 0 when none).
	Moment Moment
	// UpdatedAt is when any derived value last changed (zero when never).
	UpdatedAt time.Time
}

// ErrOutOfRange is returned for a change that would take the score out of the int32 range.
var ErrOutOfRange = fmt.Errorf("the score would leave the range %d to %d", math.MinInt32, math.MaxInt32)

// ApplyScore records a score change on s: a delta, or when isNew a new value. It returns the
// delta applied and the old and new score; s is unchanged on error.
func (p Params) ApplyScore(s *State, value int32, isNew bool, eventTime, now time.Time, b Boundaries) (delta, oldScore, newScore int32, err error) {
	d := int64(value)
	if isNew {
		d = int64(value) - int64(s.Score)
	}
	n := int64(s.Score) + d
	if d > math.MaxInt32 || d < math.MinInt32 || n > math.MaxInt32 || n < math.MinInt32 {
		return 0, 0, 0, ErrOutOfRange
	}
	oldScore = s.Score
	s.Scored = true
	s.Reported, s.ReportedUrgency = false, 0 // msisync computes the values again
	s.Score = int32(n)
	if d > 0 {
		s.UrgencyKey = p.AddKey(s.UrgencyKey, s.HasUrgency, float64(d), eventTime, now)
		s.HasUrgency = true
	}
	b.Derive(s)
	return int32(d), oldScore, s.Score, nil
}

// ApplyMoment makes m the lead's last moment when it is at least as recent as the current
// one (moments are applied in recording order, so a tie goes to the later one).
func ApplyMoment(s *State, m Moment) {
	if s.Moment.ID == 0 || !m.Time.Before(s.Moment.Time) {
		s.Moment = m
	}
}

// Priority combines flames and stars: 25·flames + 8·stars, plus 1 when either is non-zero.
func Priority(stars, flames int32) int32 {
	p := 25*flames + 8*stars
	if p > 0 {
		p++
	}
	return p
}

// Diff returns the fields whose values differ between before and after.
func Diff(before, after State) Field {
	var f Field
	if before.Score != after.Score {
		f |= FieldLeadScore
	}
	if before.HasUrgency != after.HasUrgency || before.UrgencyKey != after.UrgencyKey ||
		before.Reported != after.Reported || before.ReportedUrgency != after.ReportedUrgency {
		f |= FieldUrgency
	}
	if before.Stars != after.Stars {
		f |= FieldRelativeScore
	}
	if before.Flames != after.Flames {
		f |= FieldRelativeUrgency
	}
	if before.Priority != after.Priority {
		f |= FieldPriority
	}
	bm, am := before.Moment, after.Moment
	if bm.Type != am.Type {
		f |= FieldMomentType
	}
	if !bm.Time.Equal(am.Time) {
		f |= FieldMomentDate
	}
	if bm.Desc != am.Desc {
		f |= FieldMomentDesc
	}
	if bm.Source != am.Source {
		f |= FieldMomentSource
	}
	return f
}
