package upstream

import (
	"sync"
	"time"
)

// deliveryStats counts the records delivered over the last minute, for the delivery rate.
type deliveryStats struct {
	mu     sync.Mutex
	events []delivered
	total  int64
}

type delivered struct {
	at time.Time
	n  int
}

func newDeliveryStats() *deliveryStats { return &deliveryStats{} }

// rateWindow is the span of the delivery rate.
const rateWindow = time.Minute

func (s *deliveryStats) record(at time.Time, n int) {
	if n == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total += int64(n)
	s.events = append(s.events, delivered{at, n})
	s.trim(at)
}

func (s *deliveryStats) trim(now time.Time) {
	i := 0
	for i < len(s.events) && now.Sub(s.events[i].at) > rateWindow {
		i++
	}
	s.events = s.events[i:]
}

// rate returns the records per second over the last minute and the total since start.
func (s *deliveryStats) rate(now time.Time) (float64, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trim(now)
	n := 0
	for _, e := range s.events {
		n += e.n
	}
	return float64(n) / rateWindow.Seconds(), s.total
}
