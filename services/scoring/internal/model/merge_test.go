package model

import (
	"math"
	"testing"
	"time"
)

func TestMerge(t *testing.T) {
	p := Params{HalfLife: 24 * time.Hour}
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	b := Empty(Percentile)
	var a, s State
	if _, _, _, err := p.ApplyScore(&a, 10, false, now, now, b); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := p.ApplyScore(&s, 30, false, now, now, b); err != nil {
		t.Fatal(err)
	}
	s.Moment = Moment{ID: 7, Type: 1, Time: now, Desc: "Opened email"}
	a.Moment = Moment{ID: 3, Type: 2, Time: now.Add(-time.Hour), Desc: "Milestone"}
	if err := Merge(&a, s, b); err != nil {
		t.Fatal(err)
	}
	if a.Score != 40 || !a.Scored || a.Moment.ID != 7 {
		t.Fatalf("merged = %+v", a)
	}
	if u := p.Urgency(a.UrgencyKey, a.HasUrgency, now); math.Abs(u-40) > 1e-6 {
		t.Fatalf("urgency = %v, want 40 (10 + 30 at the same time)", u)
	}
	big := State{Score: math.MaxInt32}
	if err := Merge(&big, State{Score: 1}, b); err != ErrOutOfRange || big.Score != math.MaxInt32 {
		t.Fatalf("overflow: err %v, score %d", err, big.Score)
	}
	var empty State
	if err := Merge(&empty, State{}, b); err != nil || empty.Scored || empty.HasUrgency || empty.Moment.ID != 0 {
		t.Fatalf("empty merge = %+v, %v", empty, err)
	}
}
