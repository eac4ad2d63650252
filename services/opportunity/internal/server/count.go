package server

import (
	"context"

	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
)

// CountOpportunities implements opportunityv1.OpportunityServiceServer.
func (s *OpportunityServer) CountOpportunities(ctx context.Context, _ *opportunityv1.CountOpportunitiesRequest) (*opportunityv1.CountOpportunitiesResponse, error) {
	n, err := s.store.CountOpportunities(ctx)
	if err != nil {
		return nil, err
	}
	return &opportunityv1.CountOpportunitiesResponse{Count: n}, nil
}

// CountOpportunityRoles implements opportunityv1.OpportunityRoleServiceServer.
func (s *RoleServer) CountOpportunityRoles(ctx context.Context, _ *opportunityv1.CountOpportunityRolesRequest) (*opportunityv1.CountOpportunityRolesResponse, error) {
	n, err := s.store.CountRoles(ctx)
	if err != nil {
		return nil, err
	}
	return &opportunityv1.CountOpportunityRolesResponse{Count: n}, nil
}
