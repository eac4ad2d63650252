package server

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/opportunity/internal/store"
)

// MaxRoleLength is the longest role name accepted (Marketo's length for the field), in
// characters.
const MaxRoleLength = 50

// RoleServer implements opportunityv1.OpportunityRoleServiceServer.
type RoleServer struct {
	opportunityv1.UnimplementedOpportunityRoleServiceServer
	store  store.Roles
	tokens *pagetoken.Codec
}

var _ opportunityv1.OpportunityRoleServiceServer = (*RoleServer)(nil)

// NewRoleServer returns a RoleServer over s that signs page tokens with pageTokenKey.
func NewRoleServer(s store.Roles, pageTokenKey []byte) *RoleServer {
	return &RoleServer{store: s, tokens: pagetoken.New(pageTokenKey)}
}

// SyncOpportunityRoles implements opportunityv1.OpportunityRoleServiceServer.
func (s *RoleServer) SyncOpportunityRoles(ctx context.Context, req *opportunityv1.SyncOpportunityRolesRequest) (*opportunityv1.SyncOpportunityRolesResponse, error) {
	mode, byID, err := entity.ParseSync(len(req.GetInput()), req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	inputs := req.GetInput()
	describe := func(in *opportunityv1.OpportunityRoleInput) string { return describeRole(in, byID) }
	b := entity.Plan(inputs, func(in *opportunityv1.OpportunityRoleInput) (store.RoleWrite, string, *commonv1.Reason) {
		w, why := toRoleWrite(in, mode, byID)
		return w, entity.BatchKey(byID, w.GUID, w.Key.Match()), why
	}, describe)
	if byID {
		if err := s.refuseKeyChanges(ctx, inputs, b); err != nil {
			return nil, err
		}
	}
	results, err := entity.Apply(ctx, b, s.store.WriteRoles, func(i int, r store.WriteResult) *commonv1.RecordResult {
		return withGUID(records.Result(i, r.Outcome, 0, "opportunity role with "+describe(inputs[i])), r.GUID)
	})
	if err != nil {
		return nil, err
	}
	return &opportunityv1.SyncOpportunityRolesResponse{Results: results}, nil
}

// refuseKeyChanges skips updates by GUID that would change a part of the record's compound
// key, which cannot change once created (1003).
func (s *RoleServer) refuseKeyChanges(ctx context.Context, inputs []*opportunityv1.OpportunityRoleInput, b *entity.Batch[store.RoleWrite]) error {
	return entity.KeepKeys(ctx, b,
		func(i int, w store.RoleWrite) (string, bool) {
			in := inputs[i]
			return w.GUID, in.ExternalOpportunityId != nil || in.LeadId != nil || in.Role != nil
		},
		func(ctx context.Context, guids []string) ([]store.Role, error) {
			return s.store.GetRoles(ctx, guids, nil)
		},
		func(r store.Role) string { return r.GUID },
		func(i int, _ store.RoleWrite, cur store.Role) *commonv1.RecordResult {
			in := inputs[i]
			var field string
			switch {
			case in.ExternalOpportunityId != nil && extid.Key(in.GetExternalOpportunityId()) != extid.Key(cur.ExternalOpportunityID):
				field = "externalOpportunityId"
			case in.LeadId != nil && in.GetLeadId() != cur.LeadID:
				field = "leadId"
			case in.Role != nil && store.FoldRole(strings.TrimSpace(in.GetRole())) != store.FoldRole(cur.Role):
				field = "role"
			default:
				return nil
			}
			return records.Skipped(i, 0, keyChanged(field))
		})
}

// roleKey validates a compound key given as its three parts; each is required (1002).
func roleKey(opportunity *string, lead *int32, role *string) (store.RoleKey, *commonv1.Reason) {
	var k store.RoleKey
	var why *commonv1.Reason
	if k.ExternalOpportunityID, why = externalID("externalOpportunityId", opportunity, MaxExternalIDLength); why != nil {
		return k, why
	}
	if lead == nil {
		return k, records.Missing("leadId")
	}
	if *lead <= 0 {
		return k, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d' for 'leadId'. Required of type 'integer' greater than 0", *lead)
	}
	k.LeadID = *lead
	if role == nil {
		return k, records.Missing("role")
	}
	name, why := records.Text("role", *role, MaxRoleLength)
	if why != nil {
		return k, why
	}
	if name == "" {
		return k, records.Missing("role")
	}
	k.Role = name
	return k, nil
}

// toRoleWrite validates one input record and returns its write, or the reason it is
// skipped.
func toRoleWrite(in *opportunityv1.OpportunityRoleInput, mode records.Mode, byID bool) (store.RoleWrite, *commonv1.Reason) {
	w := store.RoleWrite{Mode: mode}
	var why *commonv1.Reason
	if byID {
		if w.GUID, why = checkGUID(in.MarketoGuid); why != nil {
			return w, why
		}
	} else if w.Key, why = roleKey(in.ExternalOpportunityId, in.LeadId, in.Role); why != nil {
		return w, why
	}
	w.Fields.IsPrimary = in.IsPrimary
	if w.Fields.ExternalCreatedDate, why = dateChange("externalCreatedDate", in.GetExternalCreatedDate(), in.GetClearExternalCreatedDate()); why != nil {
		return w, why
	}
	return w, nil
}

func describeRole(in *opportunityv1.OpportunityRoleInput, byID bool) string {
	if byID {
		return fmt.Sprintf("marketoGUID '%s'", strings.TrimSpace(in.GetMarketoGuid()))
	}
	return fmt.Sprintf("externalOpportunityId '%s', leadId %d and role '%s'", strings.TrimSpace(in.GetExternalOpportunityId()), in.GetLeadId(), strings.TrimSpace(in.GetRole()))
}

// ListOpportunityRoles implements opportunityv1.OpportunityRoleServiceServer.
func (s *RoleServer) ListOpportunityRoles(ctx context.Context, req *opportunityv1.ListOpportunityRolesRequest) (*opportunityv1.ListOpportunityRolesResponse, error) {
	f := store.RoleFilter{}
	var normalised []string
	switch req.GetFilterField() {
	case opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_MARKETO_GUID:
		f.By, f.Values = store.RoleByGUID, guidKeys(req.GetFilterValues())
		normalised = f.Values
	case opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_EXTERNAL_OPPORTUNITY_ID:
		f.By, f.Values = store.RoleByOpportunityKey, entity.ExternalKeys(req.GetFilterValues())
		normalised = f.Values
	case opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_LEAD_ID:
		var err error
		f.By = store.RoleByLeadID
		if f.LeadIDs, normalised, err = entity.ParseIDs(req.GetFilterValues(), "lead id"); err != nil {
			return nil, err
		}
	default:
		return nil, status.Errorf(codes.InvalidArgument, "unsupported filter field %v", req.GetFilterField())
	}
	page, err := startPage(s.tokens, req.GetFilterField().String(), req.GetFilterValues(), normalised, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	f.AfterSeq, f.Limit = page.After, page.Size+1
	found, err := s.store.ListRoles(ctx, f)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	found, next, err := entity.Trim(page, found, func(r store.Role) int64 { return r.Seq })
	if err != nil {
		return nil, err
	}
	return &opportunityv1.ListOpportunityRolesResponse{NextPageToken: next, OpportunityRoles: entity.Protos(found, roleProto)}, nil
}

// BatchGetOpportunityRoles implements opportunityv1.OpportunityRoleServiceServer.
func (s *RoleServer) BatchGetOpportunityRoles(ctx context.Context, req *opportunityv1.BatchGetOpportunityRolesRequest) (*opportunityv1.BatchGetOpportunityRolesResponse, error) {
	found, err := entity.Get(ctx, req.GetKeys(), roleLookup, func(l store.RoleLookup) (string, store.RoleKey, bool) {
		return l.GUID, l.Key, l.GUID != "" || l.Key.LeadID != 0
	}, s.store.GetRoles, roleProto)
	if err != nil {
		return nil, err
	}
	return &opportunityv1.BatchGetOpportunityRolesResponse{OpportunityRoles: found}, nil
}

// dedupeKey validates a compound key sent as an OpportunityRoleDedupeKey, where zero values
// are missing parts.
func dedupeKey(k *opportunityv1.OpportunityRoleDedupeKey) (store.RoleKey, *commonv1.Reason) {
	opp, lead, role := k.GetExternalOpportunityId(), k.GetLeadId(), k.GetRole()
	var leadPtr *int32
	if lead != 0 {
		leadPtr = &lead
	}
	return roleKey(&opp, leadPtr, &role)
}

// DeleteOpportunityRoles implements opportunityv1.OpportunityRoleServiceServer.
func (s *RoleServer) DeleteOpportunityRoles(ctx context.Context, req *opportunityv1.DeleteOpportunityRolesRequest) (*opportunityv1.DeleteOpportunityRolesResponse, error) {
	results, err := entity.Delete(ctx, req.GetKeys(), roleLookup, s.store.DeleteRoles, func(i int, r store.DeleteResult) *commonv1.RecordResult {
		return withGUID(records.Deleted(i, 0, r.Deleted), r.GUID)
	})
	if err != nil {
		return nil, err
	}
	return &opportunityv1.DeleteOpportunityRolesResponse{Results: results}, nil
}

// roleLookup reads a request key, or returns why it names no role (an incomplete or invalid
// compound key). A marketoGUID that is no GUID names no record (1013 on delete).
func roleLookup(k *opportunityv1.OpportunityRoleKey) (store.RoleLookup, *commonv1.Reason) {
	switch v := k.GetKey().(type) {
	case *opportunityv1.OpportunityRoleKey_MarketoGuid:
		if strings.TrimSpace(v.MarketoGuid) == "" {
			return store.RoleLookup{}, records.Missing("marketoGUID")
		}
		return store.RoleLookup{GUID: guidKey(v.MarketoGuid)}, nil
	case *opportunityv1.OpportunityRoleKey_DedupeKey:
		key, why := dedupeKey(v.DedupeKey)
		return store.RoleLookup{Key: key}, why
	}
	return store.RoleLookup{}, records.Reason(marketo.CodeMissingValue, "Missing value for the required parameter 'marketoGUID' or the dedupe fields 'externalOpportunityId', 'leadId' and 'role'")
}

// CountOpportunityRoleReferences implements opportunityv1.OpportunityRoleServiceServer.
func (s *RoleServer) CountOpportunityRoleReferences(ctx context.Context, req *opportunityv1.CountOpportunityRoleReferencesRequest) (*opportunityv1.CountOpportunityRoleReferencesResponse, error) {
	if err := checkParents(len(req.GetExternalOpportunityIds()), "externalOpportunityIds"); err != nil {
		return nil, err
	}
	if err := checkParents(len(req.GetLeadIds()), "leadIds"); err != nil {
		return nil, err
	}
	opportunities, leads, err := s.store.CountRoleReferences(ctx, entity.ExternalKeys(req.GetExternalOpportunityIds()), req.GetLeadIds())
	if err != nil {
		return nil, entity.StoreError(err)
	}
	return &opportunityv1.CountOpportunityRoleReferencesResponse{Opportunities: referenceCounts(opportunities), Leads: referenceCounts(leads)}, nil
}

func roleProto(r store.Role) *opportunityv1.OpportunityRole {
	return &opportunityv1.OpportunityRole{
		MarketoGuid:           r.GUID,
		ExternalOpportunityId: r.ExternalOpportunityID,
		LeadId:                r.LeadID,
		Role:                  r.Role,
		IsPrimary:             r.IsPrimary,
		ExternalCreatedDate:   timestamp(r.ExternalCreatedDate),
		CreateTime:            timestamppb.New(r.CreatedAt),
		UpdateTime:            timestamppb.New(r.UpdatedAt),
	}
}
