package server

import (
	"context"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
)

// CountCompanies implements accountv1.CompanyServiceServer.
func (s *Server) CountCompanies(ctx context.Context, _ *accountv1.CountCompaniesRequest) (*accountv1.CountCompaniesResponse, error) {
	n, err := s.store.Count(ctx)
	if err != nil {
		return nil, err
	}
	return &accountv1.CountCompaniesResponse{Count: n}, nil
}
