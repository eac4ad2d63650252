package model

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mode says how tier boundaries are obtained.
type Mode int

const (
	// Percentile derives the thresholds from percentile brackets over the scored leads.
	Percentile Mode = iota + 1
	// Static uses configured thresholds.
	Static
)

// String implements fmt.Stringer.
func (m Mode) String() string {
	if m == Static {
		return "static"
	}
	return "percentile"
}

// None is the threshold of a tier nobody reaches (no boundaries).
var None = math.Inf(1)

// AnyUrgency is the urgency-key threshold that every lead with urgency > 0 reaches.
const AnyUrgency = -math.MaxFloat64

// Tiers configures the boundaries.
type Tiers struct {
	// Mode is Percentile or Static.
	Mode Mode
	// Brackets are the percentages for 3, 2 and 1 (top 2 %, next 8 %, next 20 %).
	Brackets [3]float64
	// StarThresholds are the static minimum scores for 1, 2 and 3 stars.
	StarThresholds [3]float64
	// FlameThresholds are the static minimum urgencies for 1, 2 and 3 flames.
	FlameThresholds [3]float64
}

// DefaultTiers are the defaults: percentile brackets 2, 8, 20; static 20/50/100 and 5/10/20.
var DefaultTiers = Tiers{Mode: Percentile, Brackets: [3]float64{2, 8, 20}, StarThresholds: [3]float64{20, 50, 100}, FlameThresholds: [3]float64{5, 10, 20}}

// Validate reports settings that cannot work, naming their variables.
func (t Tiers) Validate() error {
	var sum float64
	for _, b := range t.Brackets {
		if !(b > 0) || math.IsInf(b, 0) {
			return fmt.Errorf("MSISYNC_SCORING_BRACKETS %v: each bracket must be a percentage above 0", t.Brackets)
		}
		sum += b
	}
	if sum > 100 {
		return fmt.Errorf("MSISYNC_SCORING_BRACKETS %v: the brackets add up to %g %%, above 100 %%", t.Brackets, sum)
	}
	if err := ascending("MSISYNC_SCORING_STAR_THRESHOLDS", t.StarThresholds, false); err != nil {
		return err
	}
	return ascending("MSISYNC_SCORING_FLAME_THRESHOLDS", t.FlameThresholds, true)
}

func ascending(name string, v [3]float64, positive bool) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) || (positive && x <= 0) {
			return fmt.Errorf("%s %v: thresholds must be finite numbers%s", name, v, map[bool]string{true: " above 0", false: ""}[positive])
		}
		if i > 0 && x < v[i-1] {
			return fmt.Errorf("%s %v: thresholds for 1, 2 and 3 must be ascending", name, v)
		}
	}
	return nil
}

// ParseTriple parses "a,b,c" into three numbers.
func ParseTriple(name, s string) ([3]float64, error) {
	var out [3]float64
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return out, fmt.Errorf("%s %q: want three comma-separated numbers", name, s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return out, fmt.Errorf("%s %q: %q is not a number", name, s, strings.TrimSpace(p))
		}
		out[i] = v
	}
	return out, nil
}

// Fingerprint identifies the configuration boundaries were computed with, so that a changed
// configuration is noticed and recomputed at once.
func (t Tiers) Fingerprint(p Params) string {
	if t.Mode == Static {
		return fmt.Sprintf("static stars=%v flames=%v h=%s", t.StarThresholds, t.FlameThresholds, p.HalfLife)
	}
	return fmt.Sprintf("percentile brackets=%v h=%s", t.Brackets, p.HalfLife)
}

// Ranks returns, for n scored leads, the 1-based descending rank whose value is the
// threshold for 1, 2 and 3: ceil(n·cumulative%/100). All are 0 when n is 0.
func (t Tiers) Ranks(n int) [3]int {
	var r [3]int
	if n <= 0 {
		return r
	}
	cum := 0.0
	for i := 2; i >= 0; i-- { // brackets are listed top first: 3, 2, 1
		cum += t.Brackets[2-i]
		k := int(math.Ceil(float64(n)*cum/100 - 1e-9))
		r[i] = max(1, min(k, n))
	}
	return r
}

// Boundaries are the thresholds in force.
type Boundaries struct {
	// Mode is how they were obtained.
	Mode Mode
	// Score holds the minimum score for 1, 2 and 3 stars (None: unreachable).
	Score [3]float64
	// UrgencyKey holds the minimum urgency key for 1, 2 and 3 flames (None: unreachable,
	// AnyUrgency: any urgency > 0).
	UrgencyKey [3]float64
	// ScoredLeads is the population size (0 in static mode).
	ScoredLeads int
	// ComputedAt is when they were computed (zero: never).
	ComputedAt time.Time
	// Fingerprint is the configuration they were computed with.
	Fingerprint string
}

// Empty returns the boundaries of an empty population: nobody earns stars or flames.
func Empty(m Mode) Boundaries {
	return Boundaries{Mode: m, Score: [3]float64{None, None, None}, UrgencyKey: [3]float64{None, None, None}}
}

// Static returns the static boundaries computed at time at.
func (t Tiers) Static(p Params, at time.Time) Boundaries {
	b := Boundaries{Mode: Static, Score: t.StarThresholds, ComputedAt: at, Fingerprint: t.Fingerprint(p)}
	for i, u := range t.FlameThresholds {
		b.UrgencyKey[i] = p.KeyOf(u, at)
	}
	return b
}

// FromPopulation computes percentile boundaries from every scored lead's score and urgency
// key (hasUrgency false: urgency 0). It is the reference the SQL store's computation must
// match; the store selects the same ranks with indexed queries instead of sorting in memory.
func (t Tiers) FromPopulation(p Params, scores []int32, keys []float64, hasUrgency []bool, at time.Time) Boundaries {
	n := len(scores)
	if n == 0 {
		b := Empty(Percentile)
		b.ComputedAt, b.Fingerprint = at, t.Fingerprint(p)
		return b
	}
	s := slices.Clone(scores)
	slices.Sort(s)
	slices.Reverse(s)
	var u []float64
	for i, k := range keys {
		if hasUrgency[i] {
			u = append(u, k)
		}
	}
	slices.Sort(u)
	slices.Reverse(u)
	b := Boundaries{Mode: Percentile, ScoredLeads: n, ComputedAt: at, Fingerprint: t.Fingerprint(p)}
	for i, k := range t.Ranks(n) {
		b.Score[i] = float64(s[k-1])
		b.UrgencyKey[i] = AnyUrgency
		if k <= len(u) {
			b.UrgencyKey[i] = u[k-1]
		}
	}
	return b
}

// Stars returns the stars a score earns.
func (b Boundaries) Stars(score int32) int32 {
	if score < 1 {
		return 0
	}
	for i := 2; i >= 0; i-- {
		if float64(score) >= b.Score[i] {
			return int32(i + 1)
		}
	}
	return 0
}

// Flames returns the flames an urgency key earns.
func (b Boundaries) Flames(key float64, has bool) int32 {
	if !has {
		return 0
	}
	for i := 2; i >= 0; i-- {
		if key >= b.UrgencyKey[i] {
			return int32(i + 1)
		}
	}
	return 0
}

// Derive sets s's stars, flames and priority from the boundaries.
func (b Boundaries) Derive(s *State) {
	s.Stars = b.Stars(s.Score)
	s.Flames = b.Flames(s.UrgencyKey, s.HasUrgency)
	s.Priority = Priority(s.Stars, s.Flames)
}

// UrgencyThresholds returns the flame thresholds as urgencies at time at, comparable with
// urgencies evaluated at the same time (+Inf: unreachable; 0: any urgency above 0).
func (b Boundaries) UrgencyThresholds(p Params, at time.Time) [3]float64 {
	var out [3]float64
	for i, k := range b.UrgencyKey {
		switch k {
		case None:
			out[i] = None
		case AnyUrgency:
			out[i] = 0
		default:
			out[i] = math.Exp2(k - seconds(at)/p.h())
		}
	}
	return out
}
