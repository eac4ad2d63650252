package window

import (
	"testing"
	"time"
)

func TestSlidingAdmitsUpToTheLimitPerSpan(t *testing.T) {
	t.Parallel()
	s := Sliding{Span: 20 * time.Second}
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		at := t0.Add(time.Duration(i) * time.Second)
		if w := s.Wait(at, 3); w != 0 {
			t.Fatalf("call %d waits %v; want it admitted", i, w)
		}
		s.Add(at)
	}
	if w := s.Wait(t0.Add(5*time.Second), 3); w != 15*time.Second {
		t.Errorf("a fourth call 5 s in waits %v; want 15s, until the first leaves the window", w)
	}
	if n := s.In(t0.Add(5 * time.Second)); n != 3 {
		t.Errorf("In = %d, want 3", n)
	}
	if w := s.Wait(t0.Add(20*time.Second), 3); w != 0 {
		t.Errorf("a call 20 s after the first waits %v; want it admitted", w)
	}
	if n := s.In(t0.Add(40 * time.Second)); n != 0 || s.Empty() {
		t.Errorf("In 40 s later = %d (want 0), Empty = %v (want false until the next Wait)", n, s.Empty())
	}
	s.Wait(t0.Add(40*time.Second), 3)
	if !s.Empty() {
		t.Error("the window is not empty after every call left it")
	}
}
