package connector

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// cycleReportTimeout bounds reporting a cycle's summary; failedCycleReportTimeout a failed
// one's, shorter because an orchestrator that is down is often why the cycle failed, and it
// should not hold up the next cycle.
const (
	cycleReportTimeout       = 10 * time.Second
	failedCycleReportTimeout = 3 * time.Second
)

// reportCycle tells the orchestrator how the sync cycle that started at started ended, for
// the operations console's overview: rep's counts (rep may be nil when the cycle failed
// early) and err in words. A cycle interrupted by shutdown is not reported; a report that
// fails is logged, and changes nothing about the cycle.
func (c *Connector) reportCycle(ctx context.Context, started time.Time, rep *SyncReport, err error) {
	if err != nil && ctx.Err() != nil {
		return
	}
	cy := &orchestratorv1.ConnectorCycle{Source: source, StartTime: timestamppb.New(started), EndTime: timestamppb.New(time.Now())}
	if rep != nil {
		if !rep.Finished.IsZero() {
			cy.EndTime = timestamppb.New(rep.Finished)
		}
		cy.RowsRead = int64(rep.Pulled())
		cy.DeletesWaiting = int64(rep.DeletesWaiting())
		for _, o := range rep.Objects {
			cy.RecordsSent += int64(o.Sent)
			cy.RecordsApplied += int64(o.Applied)
			cy.RecordsParked += int64(o.Parked)
			cy.RecordsRejected += int64(o.Rejected)
		}
	}
	if err != nil {
		cy.Error = err.Error()
		if n := len([]rune(cy.Error)); n > 2000 {
			cy.Error = string([]rune(cy.Error)[:1999]) + "…"
		}
	}
	timeout := cycleReportTimeout
	if err != nil {
		timeout = failedCycleReportTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if _, rerr := call(ctx, c.orch, "reporting the sync cycle", func(ctx context.Context) (*orchestratorv1.ReportConnectorCycleResponse, error) {
		return c.orch.insight.ReportConnectorCycle(ctx, &orchestratorv1.ReportConnectorCycleRequest{Cycle: cy})
	}); rerr != nil {
		c.log.WarnContext(ctx, "could not report the sync cycle to the orchestrator; the console shows the previous one", "error", rerr)
	}
}
