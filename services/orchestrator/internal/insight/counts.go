package insight

import (
	"context"

	"golang.org/x/sync/errgroup"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
)

// GetRecordCounts implements orchestratorv1.InsightServiceServer: it asks the five entity
// services for their counts at once.
func (s *Server) GetRecordCounts(ctx context.Context, _ *orchestratorv1.GetRecordCountsRequest) (*orchestratorv1.GetRecordCountsResponse, error) {
	out := &orchestratorv1.GetRecordCountsResponse{}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		r, err := s.links.SalesPersons.CountSalesPersons(ctx, &identityv1.CountSalesPersonsRequest{})
		out.SalesPersons = r.GetCount()
		return err
	})
	g.Go(func() error {
		r, err := s.links.Companies.CountCompanies(ctx, &accountv1.CountCompaniesRequest{})
		out.Companies = r.GetCount()
		return err
	})
	g.Go(func() error {
		r, err := s.links.Leads.CountLeads(ctx, &personv1.CountLeadsRequest{})
		out.Leads = r.GetCount()
		return err
	})
	g.Go(func() error {
		r, err := s.links.Opportunities.CountOpportunities(ctx, &opportunityv1.CountOpportunitiesRequest{})
		out.Opportunities = r.GetCount()
		return err
	})
	g.Go(func() error {
		r, err := s.links.Roles.CountOpportunityRoles(ctx, &opportunityv1.CountOpportunityRolesRequest{})
		out.OpportunityRoles = r.GetCount()
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
