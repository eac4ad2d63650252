package marketoapi

import (
	"context"
	"time"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/auth"
)

// UsageCounter is what Usage reads: the daily quota's counts (the limits package's
// Limiter).
type UsageCounter interface {
	// Usage returns each client's calls counted today.
	Usage() map[string]int64
	// Day returns the quota day t falls on, YYYY-MM-DD in America/Chicago.
	Day(t time.Time) string
}

// Usage implements orchestratorv1.MarketoUsageService: Marketo's Get Daily Usage, for the
// calling client (the daily quota is per client in msisync).
type Usage struct {
	orchestratorv1.UnimplementedMarketoUsageServiceServer
	counts UsageCounter
	now    func() time.Time
}

var _ orchestratorv1.MarketoUsageServiceServer = (*Usage)(nil)

// NewUsage returns the service over the limiter's counts.
func NewUsage(counts UsageCounter) *Usage { return &Usage{counts: counts, now: time.Now} }

// GetDailyUsage implements orchestratorv1.MarketoUsageServiceServer.
func (s *Usage) GetDailyUsage(ctx context.Context, _ *orchestratorv1.GetDailyUsageRequest) (*orchestratorv1.GetDailyUsageResponse, error) {
	day := s.counts.Day(s.now())
	date := day
	if loc, err := time.LoadLocation("America/Chicago"); err == nil {
		if t, err := time.ParseInLocation(time.DateOnly, day, loc); err == nil {
			date = t.Format(time.RFC3339)
		}
	}
	usage := &orchestratorv1.DailyUsage{Date: date, Users: []*orchestratorv1.UserCount{}}
	if p, ok := auth.FromContext(ctx); ok {
		n := int32(min(s.counts.Usage()[p.ClientID], 1<<31-1))
		usage.Total = n
		usage.Users = append(usage.Users, &orchestratorv1.UserCount{UserId: p.ClientID, Count: n})
	}
	return &orchestratorv1.GetDailyUsageResponse{RequestId: requestID(ctx), Success: true, Result: []*orchestratorv1.DailyUsage{usage}}, nil
}
