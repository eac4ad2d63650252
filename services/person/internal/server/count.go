package server

import (
	"context"

	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
)

// CountLeads implements personv1.LeadServiceServer.
func (s *Server) CountLeads(ctx context.Context, _ *personv1.CountLeadsRequest) (*personv1.CountLeadsResponse, error) {
	n, err := s.store.CountAll(ctx)
	if err != nil {
		return nil, err
	}
	return &personv1.CountLeadsResponse{Count: n}, nil
}
