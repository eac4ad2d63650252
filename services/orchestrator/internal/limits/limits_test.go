package limits

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/marketo"
)

// memStore is an in-memory QuotaStore.
type memStore struct {
	mu     sync.Mutex
	counts map[dayClient]int64
	fail   bool
}

func newMemStore() *memStore { return &memStore{counts: map[dayClient]int64{}} }

func (m *memStore) AddQuotaUsage(_ context.Context, clientID, day string, delta int64) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return 0, errors.New("store down")
	}
	m.counts[dayClient{day, clientID}] += delta
	return m.counts[dayClient{day, clientID}], nil
}

func (m *memStore) QuotaUsage(_ context.Context, day string) (map[string]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int64{}
	for k, n := range m.counts {
		if k.day == day {
			out[k.client] = n
		}
	}
	return out, nil
}

func (m *memStore) DeleteQuotaUsageBefore(_ context.Context, day string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k := range m.counts {
		if k.day < day {
			delete(m.counts, k)
			n++
		}
	}
	return n, nil
}

func (m *memStore) get(day, client string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[dayClient{day, client}]
}

// newLimiter returns a limiter over st with a fake clock starting at *now.
func newLimiter(cfg Config, st QuotaStore, now *time.Time) *Limiter {
	l := New(cfg, st, nil)
	l.now = func() time.Time { return *now }
	return l
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	c, _ := marketo.FromError(err)
	return c
}

func TestRateLimitSlidingWindow(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	l := newLimiter(Config{Calls: 3, Window: 20 * time.Second}, nil, &now)
	for i := range 3 {
		release, err := l.Acquire("a")
		if err != nil {
			t.Fatalf("call %d: %v", i+1, err)
		}
		release()
		now = now.Add(5 * time.Second)
	}
	// Calls at 0, 5 and 10 s; at 15 s all three are in the window.
	_, err := l.Acquire("a")
	if codeOf(err) != "606" {
		t.Fatalf("4th call in the window: %v, want 606", err)
	}
	if _, msg := marketo.FromError(err); msg != "Max rate limit '3' exceeded with in '20' secs" {
		t.Errorf("606 message = %q", msg)
	}
	if _, err := l.Acquire("b"); err != nil {
		t.Errorf("another client is limited on its own: %v", err)
	}
	now = now.Add(5 * time.Second) // 20 s: the call at 0 s has left the window
	if _, err := l.Acquire("a"); err != nil {
		t.Errorf("after the oldest call left the window: %v", err)
	}
	if _, err := l.Acquire("a"); codeOf(err) != "606" {
		t.Errorf("window full again: %v, want 606", err)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	l := newLimiter(Config{MaxConcurrency: 2}, nil, &now)
	r1, err1 := l.Acquire("a")
	r2, err2 := l.Acquire("a")
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	_, err := l.Acquire("a")
	if codeOf(err) != "615" {
		t.Fatalf("3rd concurrent call: %v, want 615", err)
	}
	if _, msg := marketo.FromError(err); msg != "Concurrent access limit '2' reached" {
		t.Errorf("615 message = %q", msg)
	}
	r1()
	r1() // releasing twice releases once
	r3, err := l.Acquire("a")
	if err != nil {
		t.Fatalf("after a call ended: %v", err)
	}
	if _, err := l.Acquire("a"); codeOf(err) != "615" {
		t.Errorf("a double release freed two slots: %v", err)
	}
	r2()
	r3()
}

func TestDailyQuotaResetsAtChicagoMidnight(t *testing.T) {
	t.Parallel()
	chi := chicago()
	// 23:59 in Chicago on 29 November (05:59 UTC on the 30th).
	now := time.Date(2026, 11, 29, 23, 59, 0, 0, chi)
	st := newMemStore()
	l := newLimiter(Config{DailyQuota: 2}, st, &now)
	for range 2 {
		release, err := l.Acquire("a")
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	_, err := l.Acquire("a")
	if codeOf(err) != "607" {
		t.Fatalf("over the quota: %v, want 607", err)
	}
	if _, msg := marketo.FromError(err); msg != "Daily quota reached" {
		t.Errorf("607 message = %q", msg)
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := st.get("2026-11-29", "a"); got != 2 {
		t.Errorf("stored count = %d, want 2 (the refused call does not count)", got)
	}
	now = now.Add(2 * time.Minute) // 00:01 Chicago, 30 November
	if _, err := l.Acquire("a"); err != nil {
		t.Errorf("after midnight in Chicago: %v", err)
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := st.get("2026-11-30", "a"); got != 1 {
		t.Errorf("new day's stored count = %d, want 1", got)
	}
	// Midnight UTC is not the reset: 18:00 Chicago.
	if d := l.Day(time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC)); d != "2026-11-30" {
		t.Errorf("Day(00:30 UTC on 1 December) = %s, want 2026-11-30", d)
	}
}

func TestRefusedCallsDoNotCount(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := newMemStore()
	l := newLimiter(Config{Calls: 1, Window: time.Minute, MaxConcurrency: 1, DailyQuota: 100}, st, &now)
	release, err := l.Acquire("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Acquire("a"); codeOf(err) != "606" {
		t.Fatalf("second call: %v, want 606", err)
	}
	release()
	now = now.Add(time.Minute)
	held, err := l.Acquire("a")
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	if _, err := l.Acquire("a"); codeOf(err) != "615" {
		t.Fatalf("concurrent call: %v, want 615", err)
	}
	held()
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := st.get(l.Day(now), "a"); got != 2 {
		t.Errorf("counted %d calls, want 2 (606 and 615 are not counted)", got)
	}
}

func TestQuotaSurvivesRestartAndIsShared(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := newMemStore()
	cfg := Config{DailyQuota: 5}
	first := newLimiter(cfg, st, &now)
	for range 3 {
		release, err := first.Acquire("a")
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	if err := first.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A restarted (or second) replica loads the count.
	second := newLimiter(cfg, st, &now)
	if err := second.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := second.Acquire("a"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := second.Acquire("a"); codeOf(err) != "607" {
		t.Errorf("after 3 + 2 calls on a quota of 5: %v, want 607", err)
	}
	if err := second.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The first replica learns of the second one's calls at its next flush.
	if _, err := first.Acquire("a"); err != nil {
		t.Fatalf("first replica, 4th call: %v", err)
	}
	if err := first.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Acquire("a"); codeOf(err) != "607" {
		t.Errorf("first replica after a flush: %v, want 607", err)
	}
}

func TestFailedFlushKeepsCounts(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	st := newMemStore()
	l := newLimiter(Config{DailyQuota: 10}, st, &now)
	if _, err := l.Acquire("a"); err != nil {
		t.Fatal(err)
	}
	st.fail = true
	if err := l.Flush(context.Background()); err == nil {
		t.Fatal("Flush over a failing store succeeded")
	}
	st.fail = false
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := st.get(l.Day(now), "a"); got != 1 {
		t.Errorf("stored %d after a failed and a good flush, want 1", got)
	}
}

func TestChicagoFallback(t *testing.T) {
	t.Parallel()
	if chicago().String() != "America/Chicago" {
		t.Errorf("location = %s; the embedded tzdata should provide America/Chicago", chicago())
	}
}
