package insight

import (
	"context"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// maxCycleError bounds a connector cycle's error text.
const maxCycleError = 2000

// ReportConnectorCycle implements orchestratorv1.InsightServiceServer.
func (s *Server) ReportConnectorCycle(ctx context.Context, req *orchestratorv1.ReportConnectorCycleRequest) (*orchestratorv1.ReportConnectorCycleResponse, error) {
	c, err := connectorCycle(req.GetCycle())
	if err != nil {
		return nil, err
	}
	if err := s.crm.PutConnectorCycle(ctx, c, s.now()); err != nil {
		return nil, internal(err)
	}
	return &orchestratorv1.ReportConnectorCycleResponse{}, nil
}

// connectorCycle checks a reported cycle and converts it.
func connectorCycle(in *orchestratorv1.ConnectorCycle) (store.ConnectorCycle, error) {
	if in == nil {
		return store.ConnectorCycle{}, invalid("cycle is required: the summary of the connector's sync cycle")
	}
	src, err := source(in.GetSource())
	if err != nil {
		return store.ConnectorCycle{}, err
	}
	switch {
	case !in.GetStartTime().IsValid():
		return store.ConnectorCycle{}, invalid("cycle.startTime is required: when the cycle started")
	case !in.GetEndTime().IsValid():
		return store.ConnectorCycle{}, invalid("cycle.endTime is required: when the cycle ended")
	case in.GetEndTime().AsTime().Before(in.GetStartTime().AsTime()):
		return store.ConnectorCycle{}, invalid("cycle.endTime %s is before cycle.startTime %s", in.GetEndTime().AsTime().Format("2006-01-02T15:04:05.000Z07:00"), in.GetStartTime().AsTime().Format("2006-01-02T15:04:05.000Z07:00"))
	case utf8.RuneCountInString(in.GetError()) > maxCycleError:
		return store.ConnectorCycle{}, invalid("cycle.error is %d characters long, at most %d", utf8.RuneCountInString(in.GetError()), maxCycleError)
	}
	counts := []struct {
		name string
		n    int64
	}{{"rowsRead", in.GetRowsRead()}, {"recordsSent", in.GetRecordsSent()}, {"recordsApplied", in.GetRecordsApplied()},
		{"recordsParked", in.GetRecordsParked()}, {"recordsRejected", in.GetRecordsRejected()}, {"deletesWaiting", in.GetDeletesWaiting()}}
	for _, c := range counts {
		if c.n < 0 {
			return store.ConnectorCycle{}, invalid("cycle.%s is %d: counts cannot be negative", c.name, c.n)
		}
	}
	return store.ConnectorCycle{
		Source: src, Started: in.GetStartTime().AsTime(), Finished: in.GetEndTime().AsTime(), Error: in.GetError(),
		RowsRead: in.GetRowsRead(), RecordsSent: in.GetRecordsSent(), RecordsApplied: in.GetRecordsApplied(),
		RecordsParked: in.GetRecordsParked(), RecordsRejected: in.GetRecordsRejected(), DeletesWaiting: in.GetDeletesWaiting(),
	}, nil
}

// ListConnectorCycles implements orchestratorv1.InsightServiceServer.
func (s *Server) ListConnectorCycles(ctx context.Context, _ *orchestratorv1.ListConnectorCyclesRequest) (*orchestratorv1.ListConnectorCyclesResponse, error) {
	cycles, err := s.crm.ListConnectorCycles(ctx)
	if err != nil {
		return nil, internal(err)
	}
	out := &orchestratorv1.ListConnectorCyclesResponse{}
	for _, c := range cycles {
		out.Cycles = append(out.Cycles, &orchestratorv1.ConnectorCycle{
			Source: c.Source, StartTime: timestamppb.New(c.Started), EndTime: timestamppb.New(c.Finished), Error: c.Error,
			RowsRead: c.RowsRead, RecordsSent: c.RecordsSent, RecordsApplied: c.RecordsApplied, RecordsParked: c.RecordsParked,
			RecordsRejected: c.RecordsRejected, DeletesWaiting: c.DeletesWaiting, ReportTime: timestamppb.New(c.Reported),
		})
	}
	return out, nil
}
