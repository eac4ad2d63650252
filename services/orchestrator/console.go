package orchestrator

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/msisync/msisync/services/orchestrator/internal/console"
)

// quotaToday returns each API client's calls today (as last added to the store, up to
// limits.FlushInterval behind) and the daily quota, for the console's overview.
func (s *Service) quotaToday(ctx context.Context) ([]console.QuotaUsage, int64, error) {
	used, err := s.store.QuotaUsage(ctx, s.limits.Day(time.Now()))
	if err != nil {
		return nil, 0, err
	}
	out := make([]console.QuotaUsage, 0, len(used))
	for id, n := range used {
		out = append(out, console.QuotaUsage{ClientID: id, Used: n})
	}
	slices.SortFunc(out, func(a, b console.QuotaUsage) int { return strings.Compare(a.ClientID, b.ClientID) })
	return out, s.cfg.limits().DailyQuota, nil
}
