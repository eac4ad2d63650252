package insight

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/google/go-cmp/cmp"

	ov1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

func TestReportConnectorCycleRefusesBadInputAndStoresNothing(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	start, end := timestamppb.New(t0.Add(-time.Minute)), timestamppb.New(t0)
	tests := map[string]*ov1.ConnectorCycle{
		"no cycle":         nil,
		"no source":        {StartTime: start, EndTime: end},
		"long source":      {Source: strings.Repeat("x", 51), StartTime: start, EndTime: end},
		"no start":         {Source: "dynamics", EndTime: end},
		"no end":           {Source: "dynamics", StartTime: start},
		"end before start": {Source: "dynamics", StartTime: end, EndTime: start},
		"negative count":   {Source: "dynamics", StartTime: start, EndTime: end, RecordsParked: -1},
		"long error":       {Source: "dynamics", StartTime: start, EndTime: end, Error: strings.Repeat("e", 2001)},
	}
	for name, c := range tests {
		_, err := h.srv.ReportConnectorCycle(ctx, &ov1.ReportConnectorCycleRequest{Cycle: c})
		if status.Code(err) != codes.InvalidArgument || status.Convert(err).Message() == "" {
			t.Errorf("%s: err = %v, want INVALID_ARGUMENT with a reason", name, err)
		}
	}
	got, err := h.srv.ListConnectorCycles(ctx, &ov1.ListConnectorCyclesRequest{})
	if err != nil || len(got.GetCycles()) != 0 {
		t.Errorf("after refused reports: ListConnectorCycles = %v, %v; want none", got, err)
	}
}

func TestConnectorCyclesKeepTheLatestPerSource(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	report := func(c *ov1.ConnectorCycle) {
		t.Helper()
		if _, err := h.srv.ReportConnectorCycle(ctx, &ov1.ReportConnectorCycleRequest{Cycle: c}); err != nil {
			t.Fatal(err)
		}
	}
	start, end := timestamppb.New(t0.Add(-time.Minute)), timestamppb.New(t0.Add(-50*time.Second))
	report(&ov1.ConnectorCycle{Source: "dynamics", StartTime: start, EndTime: end, RowsRead: 10, RecordsSent: 9, RecordsApplied: 9})
	last := &ov1.ConnectorCycle{Source: " dynamics ", StartTime: end, EndTime: timestamppb.New(t0), Error: "reading Dataverse: 401",
		ReportTime: timestamppb.New(t0.Add(time.Hour))}
	report(last)
	got, err := h.srv.ListConnectorCycles(ctx, &ov1.ListConnectorCyclesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := &ov1.ListConnectorCyclesResponse{Cycles: []*ov1.ConnectorCycle{{Source: "dynamics", StartTime: end, EndTime: timestamppb.New(t0),
		Error: "reading Dataverse: 401", ReportTime: timestamppb.New(t0)}}}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("ListConnectorCycles (-want +got):\n%s", diff)
	}
}
