package model

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var (
	week = 7 * 24 * time.Hour
	p    = Params{HalfLife: week}
	t0   = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

func TestUrgencyDecay(t *testing.T) {
	t.Parallel()
	key := p.AddKey(0, false, 10, t0, t0)
	tests := []struct {
		name string
		at   time.Time
		want float64
	}{
		{"after 0 half-lives", t0, 10},
		{"after 1 half-life", t0.Add(week), 5},
		{"after 2 half-lives", t0.Add(2 * week), 2.5},
		{"after half a half-life", t0.Add(week / 2), 10 / math.Sqrt2},
	}
	for _, tt := range tests {
		if got := p.Urgency(key, true, tt.at); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("%s: urgency %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := p.Urgency(0, false, t0); got != 0 {
		t.Errorf("no urgency = %v, want 0", got)
	}
}

func TestUrgencyAddsDecayedChanges(t *testing.T) {
	t.Parallel()
	// +8 a half-life before +4: at the second change 4 + 4 = 8, one half-life later 4.
	key := p.AddKey(0, false, 8, t0, t0)
	key = p.AddKey(key, true, 4, t0.Add(week), t0.Add(week))
	if got := p.Urgency(key, true, t0.Add(week)); math.Abs(got-8) > 1e-6 {
		t.Errorf("urgency at the second change = %v, want 8", got)
	}
	if got := p.Urgency(key, true, t0.Add(2*week)); math.Abs(got-4) > 1e-6 {
		t.Errorf("urgency a half-life later = %v, want 4", got)
	}
	// Recorded late: a change that happened a half-life before now counts half; a future
	// event time counts as now.
	late := p.AddKey(0, false, 10, t0.Add(-week), t0)
	if got := p.Urgency(late, true, t0); math.Abs(got-5) > 1e-6 {
		t.Errorf("back-dated +10 = %v, want 5", got)
	}
	future := p.AddKey(0, false, 10, t0.Add(time.Hour), t0)
	if got := p.Urgency(future, true, t0); math.Abs(got-10) > 1e-6 {
		t.Errorf("future-dated +10 = %v, want 10", got)
	}
	// Very old urgency does not underflow the key.
	old := p.AddKey(0, false, 1, t0.Add(-100000*week), t0)
	if k := p.AddKey(old, true, 3, t0, t0); math.IsInf(k, 0) || math.IsNaN(k) || math.Abs(p.Urgency(k, true, t0)-3) > 1e-6 {
		t.Errorf("adding to an ancient urgency gave key %v", k)
	}
}

func TestApplyScore(t *testing.T) {
	t.Parallel()
	b := Empty(Percentile)
	var s State
	steps := []struct {
		value          int32
		isNew          bool
		delta, old, nw int32
		urgency        float64
	}{
		{value: 10, delta: 10, old: 0, nw: 10, urgency: 10},
		{value: 25, isNew: true, delta: 15, old: 10, nw: 25, urgency: 25},
		{value: -5, delta: -5, old: 25, nw: 20, urgency: 25}, // decreases leave urgency alone
		{value: 3, isNew: true, delta: -17, old: 20, nw: 3, urgency: 25},
	}
	for i, st := range steps {
		d, o, n, err := p.ApplyScore(&s, st.value, st.isNew, t0, t0, b)
		if err != nil || d != st.delta || o != st.old || n != st.nw {
			t.Fatalf("step %d: delta %d old %d new %d err %v; want %d %d %d", i, d, o, n, err, st.delta, st.old, st.nw)
		}
		if got := p.Urgency(s.UrgencyKey, s.HasUrgency, t0); math.Abs(got-st.urgency) > 1e-6 {
			t.Errorf("step %d: urgency %v, want %v", i, got, st.urgency)
		}
	}
	before := s
	if _, _, _, err := p.ApplyScore(&s, math.MaxInt32, false, t0, t0, b); err != ErrOutOfRange {
		t.Errorf("overflow: %v, want ErrOutOfRange", err)
	}
	if diff := cmp.Diff(before, s); diff != "" {
		t.Errorf("a refused change altered the state (-want +got):\n%s", diff)
	}
}

func TestRanks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int
		want [3]int
	}{
		{0, [3]int{0, 0, 0}},
		{1, [3]int{1, 1, 1}},
		{5, [3]int{2, 1, 1}},
		{100, [3]int{30, 10, 2}},
		{1000, [3]int{300, 100, 20}},
		{1001, [3]int{301, 101, 21}},
	}
	for _, tt := range tests {
		if got := DefaultTiers.Ranks(tt.n); got != tt.want {
			t.Errorf("Ranks(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestPercentileBoundaries(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	tests := []struct {
		name      string
		scores    []int32
		want      [3]float64
		wantStars map[int32]int32
	}{
		{
			name:      "scores 1 to 100",
			scores:    seq(1, 100),
			want:      [3]float64{71, 91, 99},
			wantStars: map[int32]int32{100: 3, 99: 3, 98: 2, 91: 2, 90: 1, 71: 1, 70: 0, 1: 0},
		},
		{
			name:      "ties share a tier",
			scores:    []int32{10, 5, 10, 10, 10},
			want:      [3]float64{10, 10, 10},
			wantStars: map[int32]int32{10: 3, 5: 0},
		},
		{
			name:      "empty population",
			scores:    nil,
			want:      [3]float64{inf, inf, inf},
			wantStars: map[int32]int32{1000: 0, 1: 0},
		},
		{
			name:      "score below 1 earns no star",
			scores:    []int32{0, 0, -3},
			want:      [3]float64{0, 0, 0},
			wantStars: map[int32]int32{0: 0, -3: 0, 1: 3},
		},
	}
	for _, tt := range tests {
		keys := make([]float64, len(tt.scores))
		has := make([]bool, len(tt.scores))
		b := DefaultTiers.FromPopulation(p, tt.scores, keys, has, t0)
		if diff := cmp.Diff(tt.want, b.Score); diff != "" {
			t.Errorf("%s: score thresholds (-want +got):\n%s", tt.name, diff)
		}
		for score, want := range tt.wantStars {
			if got := b.Stars(score); got != want {
				t.Errorf("%s: Stars(%d) = %d, want %d", tt.name, score, got, want)
			}
		}
		if b.ScoredLeads != len(tt.scores) {
			t.Errorf("%s: ScoredLeads = %d", tt.name, b.ScoredLeads)
		}
	}
}

func TestPercentileFlames(t *testing.T) {
	t.Parallel()
	// 10 scored leads; urgencies 1..4 at t0 for four of them, none for the other six.
	// Ranks for n = 10: 1 flame at rank 3, 2 at rank 1, 3 at rank 1.
	scores := make([]int32, 10)
	keys := make([]float64, 10)
	has := make([]bool, 10)
	for i := range 4 {
		keys[i], has[i] = p.KeyOf(float64(i+1), t0), true
	}
	b := DefaultTiers.FromPopulation(p, scores, keys, has, t0)
	want := [3]float64{2, 4, 4}
	if diff := cmp.Diff(want, b.UrgencyThresholds(p, t0), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("urgency thresholds (-want +got):\n%s", diff)
	}
	for u, wantFlames := range map[float64]int32{4: 3, 3: 1, 2: 1, 1: 0} {
		if got := b.Flames(p.KeyOf(u, t0), true); got != wantFlames {
			t.Errorf("urgency %v: %d flames, want %d", u, got, wantFlames)
		}
	}
	// Time passing changes nobody's flames: both sides decay alike.
	if diff := cmp.Diff([3]float64{1, 2, 2}, b.UrgencyThresholds(p, t0.Add(week)), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("thresholds a half-life later (-want +got):\n%s", diff)
	}
	if got := b.Flames(0, false); got != 0 {
		t.Errorf("urgency 0 earns %d flames", got)
	}
	// Fewer leads with urgency than the rank: every urgency above 0 reaches the tier.
	few := DefaultTiers.FromPopulation(p, make([]int32, 10), []float64{p.KeyOf(0.001, t0), 0, 0, 0, 0, 0, 0, 0, 0, 0}, []bool{true, false, false, false, false, false, false, false, false, false}, t0)
	if got := few.Flames(p.KeyOf(0.001, t0), true); got != 3 {
		t.Errorf("the only lead with urgency earns %d flames, want 3", got)
	}
	if got := few.UrgencyThresholds(p, t0); got[0] != 0 {
		t.Errorf("threshold with too few urgent leads = %v, want 0", got[0])
	}
}

func TestStaticBoundaries(t *testing.T) {
	t.Parallel()
	tiers := DefaultTiers
	tiers.Mode = Static
	b := tiers.Static(p, t0)
	for score, want := range map[int32]int32{0: 0, 19: 0, 20: 1, 49: 1, 50: 2, 99: 2, 100: 3, 5000: 3} {
		if got := b.Stars(score); got != want {
			t.Errorf("Stars(%d) = %d, want %d", score, got, want)
		}
	}
	// An urgency of 10 at t0 earns 2 flames then and still a half-life later, when the
	// reported thresholds have halved with it.
	key := p.KeyOf(10, t0)
	if got := b.Flames(key, true); got != 2 {
		t.Errorf("urgency 10: %d flames, want 2", got)
	}
	if diff := cmp.Diff([3]float64{2.5, 5, 10}, b.UrgencyThresholds(p, t0.Add(week)), cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("thresholds a half-life later (-want +got):\n%s", diff)
	}
	if b.ScoredLeads != 0 || b.Mode != Static {
		t.Errorf("static boundaries = %+v", b)
	}
}

func TestPriority(t *testing.T) {
	t.Parallel()
	tests := []struct{ stars, flames, want int32 }{
		{0, 0, 0}, {1, 0, 9}, {3, 0, 25}, {0, 1, 26}, {3, 1, 50}, {0, 3, 76}, {3, 3, 100},
	}
	for _, tt := range tests {
		if got := Priority(tt.stars, tt.flames); got != tt.want {
			t.Errorf("Priority(%d stars, %d flames) = %d, want %d", tt.stars, tt.flames, got, tt.want)
		}
	}
	// More flames always beat more stars.
	for f1 := int32(0); f1 <= 3; f1++ {
		for f2 := int32(0); f2 < f1; f2++ {
			for s1 := int32(0); s1 <= 3; s1++ {
				for s2 := int32(0); s2 <= 3; s2++ {
					if Priority(s1, f1) <= Priority(s2, f2) {
						t.Errorf("%d flames %d stars ranks below %d flames %d stars", f1, s1, f2, s2)
					}
				}
			}
		}
	}
}

func TestLastMomentAndDiff(t *testing.T) {
	t.Parallel()
	var s State
	first := Moment{ID: 1, Type: 1, Time: t0, Desc: "Opened email"}
	ApplyMoment(&s, first)
	ApplyMoment(&s, Moment{ID: 2, Type: 3, Time: t0.Add(-time.Hour), Desc: "older"})
	if s.Moment.ID != 1 {
		t.Errorf("an older moment replaced the last one: %+v", s.Moment)
	}
	before := s
	ApplyMoment(&s, Moment{ID: 3, Type: 2, Time: t0, Desc: "Opened email", Source: "REST API"})
	if s.Moment.ID != 3 {
		t.Errorf("a moment with an equal time recorded later did not win: %+v", s.Moment)
	}
	want := []int32{6, 9} // type and source changed; date and description did not
	if diff := cmp.Diff(want, Diff(before, s).Numbers()); diff != "" {
		t.Errorf("changed fields (-want +got):\n%s", diff)
	}
}

func TestValidateAndParse(t *testing.T) {
	t.Parallel()
	if err := DefaultTiers.Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	bad := []Tiers{
		{Brackets: [3]float64{50, 40, 20}, StarThresholds: [3]float64{1, 2, 3}, FlameThresholds: [3]float64{1, 2, 3}},
		{Brackets: [3]float64{0, 8, 20}, StarThresholds: [3]float64{1, 2, 3}, FlameThresholds: [3]float64{1, 2, 3}},
		{Brackets: [3]float64{2, 8, 20}, StarThresholds: [3]float64{3, 2, 1}, FlameThresholds: [3]float64{1, 2, 3}},
		{Brackets: [3]float64{2, 8, 20}, StarThresholds: [3]float64{1, 2, 3}, FlameThresholds: [3]float64{0, 2, 3}},
	}
	for i, tt := range bad {
		if err := tt.Validate(); err == nil {
			t.Errorf("bad tiers %d accepted", i)
		}
	}
	if got, err := ParseTriple("X", " 2, 8 ,20.5"); err != nil || got != [3]float64{2, 8, 20.5} {
		t.Errorf("ParseTriple = %v, %v", got, err)
	}
	for _, s := range []string{"1,2", "1,2,x", ""} {
		if _, err := ParseTriple("X", s); err == nil {
			t.Errorf("ParseTriple(%q) accepted", s)
		}
	}
}

func seq(from, to int32) []int32 {
	var out []int32
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}
