package server

import (
	"context"

	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
)

// CountSalesPersons implements identityv1.SalesPersonServiceServer.
func (s *Server) CountSalesPersons(ctx context.Context, _ *identityv1.CountSalesPersonsRequest) (*identityv1.CountSalesPersonsResponse, error) {
	n, err := s.store.Count(ctx)
	if err != nil {
		return nil, err
	}
	return &identityv1.CountSalesPersonsResponse{Count: n}, nil
}
