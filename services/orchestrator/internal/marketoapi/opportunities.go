package marketoapi

import (
	"context"

	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Opportunities implements orchestratorv1.MarketoOpportunityService over the opportunity
// service.
type Opportunities struct {
	orchestratorv1.UnimplementedMarketoOpportunityServiceServer
	apply *apply.Applier
	flags crmFlags // answers crmDeleted (see WithCrmFindings)
}

var _ orchestratorv1.MarketoOpportunityServiceServer = (*Opportunities)(nil)

// NewOpportunities returns the service over an Applier.
func NewOpportunities(a *apply.Applier) *Opportunities { return &Opportunities{apply: a} }

// opportunityFilters maps Marketo filterType names (and aliases) to the service's.
var opportunityFilters = map[string]opportunityv1.OpportunityField{
	"marketoguid":           opportunityv1.OpportunityField_OPPORTUNITY_FIELD_MARKETO_GUID,
	"idfield":               opportunityv1.OpportunityField_OPPORTUNITY_FIELD_MARKETO_GUID,
	"externalopportunityid": opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_OPPORTUNITY_ID,
	"dedupefields":          opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_OPPORTUNITY_ID,
	"externalcompanyid":     opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_COMPANY_ID,
	"externalsalespersonid": opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_SALES_PERSON_ID,
}

// SyncOpportunities implements orchestratorv1.MarketoOpportunityServiceServer. An
// opportunity whose owner is not synced is skipped with 718, one whose company is not
// synced with 1013.
func (s *Opportunities) SyncOpportunities(ctx context.Context, req *orchestratorv1.SyncOpportunitiesRequest) (*orchestratorv1.SyncOpportunitiesResponse, error) {
	action, dedupe, err := parseSync(len(req.GetInput()), req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	res, err := syncRecords(ctx, objects.Opportunity, req.GetInput(), func() *opportunityv1.OpportunityInput { return &opportunityv1.OpportunityInput{} },
		func(ctx context.Context, in []*opportunityv1.OpportunityInput) ([]apply.Outcome, error) {
			return s.apply.SyncOpportunities(ctx, action, dedupe, in)
		})
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.SyncOpportunitiesResponse{RequestId: requestID(ctx), Success: true, Result: withGUIDs(res)}, nil
}

// GetOpportunities implements orchestratorv1.MarketoOpportunityServiceServer.
func (s *Opportunities) GetOpportunities(ctx context.Context, req *orchestratorv1.GetOpportunitiesRequest) (*orchestratorv1.GetOpportunitiesResponse, error) {
	ft, q, err := parseQuery(objects.Opportunity, req.GetFilterType(), req.GetFilterValues(), req.GetFields(), req.GetBatchSize(), knownFilters(opportunityFilters))
	if err != nil {
		return nil, err
	}
	page, err := s.apply.Opportunities.ListOpportunities(ctx, &opportunityv1.ListOpportunitiesRequest{
		FilterField: opportunityFilters[ft], FilterValues: q.values, PageSize: req.GetBatchSize(), PageToken: req.GetNextPageToken(),
	})
	if err != nil {
		return nil, err
	}
	more, next := paging(page.GetNextPageToken())
	recs := encodeAll(objects.Opportunity, page.GetOpportunities(), q.fields)
	if err := s.flags.add(ctx, store.Opportunity, externalIDs(page.GetOpportunities(), (*opportunityv1.Opportunity).GetExternalOpportunityId), recs, q.fields); err != nil {
		return nil, err
	}
	return &orchestratorv1.GetOpportunitiesResponse{
		RequestId: requestID(ctx), Success: true, MoreResult: more, NextPageToken: next,
		Result: recs,
	}, nil
}

// DeleteOpportunities implements orchestratorv1.MarketoOpportunityServiceServer. An
// opportunity that still has roles is skipped with 1022.
func (s *Opportunities) DeleteOpportunities(ctx context.Context, req *orchestratorv1.DeleteOpportunitiesRequest) (*orchestratorv1.DeleteOpportunitiesResponse, error) {
	byID, err := parseDelete(len(req.GetInput()), req.GetDeleteBy())
	if err != nil {
		return nil, err
	}
	res, err := deleteRecords(ctx, req.GetInput(), byID, opportunityKey, s.apply.DeleteOpportunities)
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.DeleteOpportunitiesResponse{RequestId: requestID(ctx), Success: true, Result: withGUIDs(res)}, nil
}

func opportunityKey(rec *structpb.Struct, byID bool) (*opportunityv1.OpportunityKey, *commonv1.Reason) {
	if byID {
		guid, why := stringKey(rec, "marketoGUID")
		if why != nil {
			return nil, why
		}
		return &opportunityv1.OpportunityKey{Key: &opportunityv1.OpportunityKey_MarketoGuid{MarketoGuid: guid}}, nil
	}
	ext, why := stringKey(rec, "externalOpportunityId")
	if why != nil {
		return nil, why
	}
	return &opportunityv1.OpportunityKey{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: ext}}, nil
}

// DescribeOpportunities implements orchestratorv1.MarketoOpportunityServiceServer.
func (s *Opportunities) DescribeOpportunities(ctx context.Context, _ *orchestratorv1.DescribeOpportunitiesRequest) (*orchestratorv1.DescribeOpportunitiesResponse, error) {
	return &orchestratorv1.DescribeOpportunitiesResponse{RequestId: requestID(ctx), Success: true, Result: []*orchestratorv1.ObjectMetadata{objects.Opportunity.Metadata()}}, nil
}
