package server

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/scoring/internal/store"
)

// MergeLeads implements scoringv1.ScoringServiceServer.
func (s *Server) MergeLeads(ctx context.Context, req *scoringv1.MergeLeadsRequest) (*scoringv1.MergeLeadsResponse, error) {
	if err := records.CheckBatch(len(req.GetMerges())); err != nil {
		return nil, err
	}
	merges := make([]store.LeadMerge, len(req.GetMerges()))
	for i, m := range req.GetMerges() {
		if m.GetSubordinateLeadId() <= 0 || m.GetMasterLeadId() <= 0 {
			return nil, status.Errorf(codes.InvalidArgument, "merge %d: subordinate_lead_id and master_lead_id must be positive ids", i)
		}
		if m.GetSubordinateLeadId() == m.GetMasterLeadId() {
			return nil, status.Errorf(codes.InvalidArgument, "merge %d: lead %d cannot be merged into itself", i, m.GetMasterLeadId())
		}
		merges[i] = store.LeadMerge{Subordinate: m.GetSubordinateLeadId(), Master: m.GetMasterLeadId()}
	}
	got, err := s.store.MergeLeads(ctx, merges)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	results := make([]*commonv1.RecordResult, len(got))
	for i, r := range got {
		switch r.Outcome {
		case store.Recorded:
			results[i] = records.Result(i, records.Updated, r.LeadID, "")
		case store.OutOfRange:
			results[i] = records.Skipped(i, r.LeadID, records.Reason(marketo.CodeInvalidValue, "Invalid value: the merged score of lead %d would leave the 32-bit integer range", r.LeadID))
		default:
			results[i] = records.Skipped(i, 0, records.Reason(marketo.CodeLeadNotFound, "Lead not found: master lead %d", merges[i].Master))
		}
	}
	return &scoringv1.MergeLeadsResponse{Results: results}, nil
}
