package marketoapi

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// Roles implements orchestratorv1.MarketoOpportunityRoleService over the opportunity
// service.
type Roles struct {
	orchestratorv1.UnimplementedMarketoOpportunityRoleServiceServer
	apply *apply.Applier
}

var _ orchestratorv1.MarketoOpportunityRoleServiceServer = (*Roles)(nil)

// NewRoles returns the service over an Applier.
func NewRoles(a *apply.Applier) *Roles { return &Roles{apply: a} }

// roleFilters maps Marketo filterType names (and aliases) to the service's.
var roleFilters = map[string]opportunityv1.OpportunityRoleField{
	"marketoguid":           opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_MARKETO_GUID,
	"idfield":               opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_MARKETO_GUID,
	"externalopportunityid": opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_EXTERNAL_OPPORTUNITY_ID,
	"leadid":                opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_LEAD_ID,
}

// SyncOpportunityRoles implements orchestratorv1.MarketoOpportunityRoleServiceServer. A
// role whose opportunity or lead is not synced is skipped with 1013.
func (s *Roles) SyncOpportunityRoles(ctx context.Context, req *orchestratorv1.SyncOpportunityRolesRequest) (*orchestratorv1.SyncOpportunityRolesResponse, error) {
	action, dedupe, err := parseSync(len(req.GetInput()), req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	res, err := syncRecords(ctx, objects.OpportunityRole, req.GetInput(), func() *opportunityv1.OpportunityRoleInput { return &opportunityv1.OpportunityRoleInput{} },
		func(ctx context.Context, in []*opportunityv1.OpportunityRoleInput) ([]apply.Outcome, error) {
			inputs := make([]apply.RoleInput, len(in))
			for i, r := range in {
				inputs[i] = apply.RoleInput{OpportunityRoleInput: r}
			}
			return s.apply.SyncOpportunityRoles(ctx, action, dedupe, inputs)
		})
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.SyncOpportunityRolesResponse{RequestId: requestID(ctx), Success: true, Result: withGUIDs(res)}, nil
}

// GetOpportunityRoles implements orchestratorv1.MarketoOpportunityRoleServiceServer.
func (s *Roles) GetOpportunityRoles(ctx context.Context, req *orchestratorv1.GetOpportunityRolesRequest) (*orchestratorv1.GetOpportunityRolesResponse, error) {
	if strings.EqualFold(strings.TrimSpace(req.GetFilterType()), "dedupeFields") {
		return nil, requestError(marketo.CodeInvalidData, "filterType dedupeFields is a compound key (externalOpportunityId, leadId, role): send POST /rest/v1/opportunities/roles.json?_method=GET with a JSON body {\"filterType\":\"dedupeFields\",\"input\":[…]}")
	}
	ft, q, err := parseQuery(objects.OpportunityRole, req.GetFilterType(), req.GetFilterValues(), req.GetFields(), req.GetBatchSize(), knownFilters(roleFilters))
	if err != nil {
		return nil, err
	}
	page, err := s.apply.Roles.ListOpportunityRoles(ctx, &opportunityv1.ListOpportunityRolesRequest{
		FilterField: roleFilters[ft], FilterValues: q.values, PageSize: req.GetBatchSize(), PageToken: req.GetNextPageToken(),
	})
	if err != nil {
		return nil, err
	}
	more, next := paging(page.GetNextPageToken())
	return &orchestratorv1.GetOpportunityRolesResponse{
		RequestId: requestID(ctx), Success: true, MoreResult: more, NextPageToken: next,
		Result: encodeAll(objects.OpportunityRole, page.GetOpportunityRoles(), q.fields),
	}, nil
}

// QueryOpportunityRoles implements orchestratorv1.MarketoOpportunityRoleServiceServer: the
// compound-key lookup (POST …/roles.json?_method=GET with a JSON body). Each input is a
// full dedupe key (externalOpportunityId, leadId, role) or, with filterType idField or
// marketoGUID, a marketoGUID. Unknown keys are simply absent from the result.
func (s *Roles) QueryOpportunityRoles(ctx context.Context, req *orchestratorv1.QueryOpportunityRolesRequest) (*orchestratorv1.QueryOpportunityRolesResponse, error) {
	if err := checkInput(len(req.GetInput())); err != nil {
		return nil, err
	}
	fields := splitList(req.GetFields())
	if err := objects.OpportunityRole.CheckFields(fields); err != nil {
		return nil, err
	}
	byGUID := false
	switch strings.ToLower(strings.TrimSpace(req.GetFilterType())) {
	case "", "dedupefields":
	case "idfield", "marketoguid":
		byGUID = true
	default:
		return nil, requestError(marketo.CodeInvalidData, "Invalid filterType '%s': use dedupeFields (externalOpportunityId, leadId, role) or idField (marketoGUID)", req.GetFilterType())
	}
	keys := make([]*opportunityv1.OpportunityRoleKey, 0, len(req.GetInput()))
	for i, rec := range req.GetInput() {
		key, why := roleKey(rec, byGUID)
		if why != nil {
			return nil, requestError(why.GetCode(), "input %d: %s", i, why.GetMessage())
		}
		keys = append(keys, key)
	}
	got, err := s.apply.Roles.BatchGetOpportunityRoles(ctx, &opportunityv1.BatchGetOpportunityRolesRequest{Keys: keys})
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.QueryOpportunityRolesResponse{RequestId: requestID(ctx), Success: true, Result: encodeAll(objects.OpportunityRole, got.GetOpportunityRoles(), fields)}, nil
}

// DeleteOpportunityRoles implements orchestratorv1.MarketoOpportunityRoleServiceServer.
func (s *Roles) DeleteOpportunityRoles(ctx context.Context, req *orchestratorv1.DeleteOpportunityRolesRequest) (*orchestratorv1.DeleteOpportunityRolesResponse, error) {
	byID, err := parseDelete(len(req.GetInput()), req.GetDeleteBy())
	if err != nil {
		return nil, err
	}
	res, err := deleteRecords(ctx, req.GetInput(), byID, roleKey, s.apply.DeleteOpportunityRoles)
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.DeleteOpportunityRolesResponse{RequestId: requestID(ctx), Success: true, Result: withGUIDs(res)}, nil
}

// roleKey reads a role's key: its marketoGUID, or the compound dedupe key.
func roleKey(rec *structpb.Struct, byGUID bool) (*opportunityv1.OpportunityRoleKey, *commonv1.Reason) {
	if byGUID {
		guid, why := stringKey(rec, "marketoGUID")
		if why != nil {
			return nil, why
		}
		return &opportunityv1.OpportunityRoleKey{Key: &opportunityv1.OpportunityRoleKey_MarketoGuid{MarketoGuid: guid}}, nil
	}
	opp, why := stringKey(rec, "externalOpportunityId")
	if why != nil {
		return nil, why
	}
	lead, why := intKey(rec, "leadId")
	if why != nil {
		return nil, why
	}
	role, why := stringKey(rec, "role")
	if why != nil {
		return nil, why
	}
	return &opportunityv1.OpportunityRoleKey{Key: &opportunityv1.OpportunityRoleKey_DedupeKey{DedupeKey: &opportunityv1.OpportunityRoleDedupeKey{
		ExternalOpportunityId: opp, LeadId: lead, Role: role,
	}}}, nil
}

// DescribeOpportunityRoles implements orchestratorv1.MarketoOpportunityRoleServiceServer.
func (s *Roles) DescribeOpportunityRoles(ctx context.Context, _ *orchestratorv1.DescribeOpportunityRolesRequest) (*orchestratorv1.DescribeOpportunityRolesResponse, error) {
	return &orchestratorv1.DescribeOpportunityRolesResponse{RequestId: requestID(ctx), Success: true, Result: []*orchestratorv1.ObjectMetadata{objects.OpportunityRole.Metadata()}}, nil
}
