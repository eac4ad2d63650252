package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
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
	if err := records.CheckBatch(len(req.GetInput())); err != nil {
		return nil, err
	}
	mode, byID, err := records.ParseSync(req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	inputs := req.GetInput()
	results := make([]*commonv1.RecordResult, len(inputs))
	writes := make([]store.RoleWrite, 0, len(inputs))
	idx := make([]int, 0, len(inputs))
	seen := records.Repeats{}
	for i, in := range inputs {
		w, reason := toRoleWrite(in, mode, byID)
		if reason == nil {
			key := w.Key.Match()
			if byID {
				key = "#" + w.GUID
			}
			if seen.Seen(key) {
				reason = records.Duplicate(describeRole(in, byID))
			}
		}
		if reason != nil {
			results[i] = records.Skipped(i, 0, reason)
			continue
		}
		writes = append(writes, w)
		idx = append(idx, i)
	}
	if byID && len(writes) > 0 {
		if err := s.refuseKeyChanges(ctx, inputs, writes, idx, results); err != nil {
			return nil, err
		}
		writes, idx = compact(writes, idx, results)
	}
	if len(writes) > 0 {
		out, err := s.store.WriteRoles(ctx, writes)
		if err != nil {
			return nil, storeError(err)
		}
		for n, r := range out {
			i := idx[n]
			results[i] = withGUID(records.Result(i, r.Outcome, 0, "opportunity role with "+describeRole(inputs[i], byID)), r.GUID)
		}
	}
	return &opportunityv1.SyncOpportunityRolesResponse{Results: results}, nil
}

// refuseKeyChanges skips updates by GUID that would change a part of the record's compound
// key, which cannot change once created (1003).
func (s *RoleServer) refuseKeyChanges(ctx context.Context, inputs []*opportunityv1.OpportunityRoleInput, writes []store.RoleWrite, idx []int, results []*commonv1.RecordResult) error {
	var guids []string
	for n, w := range writes {
		in := inputs[idx[n]]
		if in.ExternalOpportunityId != nil || in.LeadId != nil || in.Role != nil {
			guids = append(guids, w.GUID)
		}
	}
	if len(guids) == 0 {
		return nil
	}
	found, err := s.store.GetRoles(ctx, guids, nil)
	if err != nil {
		return storeError(err)
	}
	current := make(map[string]store.Role, len(found))
	for _, r := range found {
		current[r.GUID] = r
	}
	for n, w := range writes {
		in := inputs[idx[n]]
		cur, ok := current[w.GUID]
		if !ok {
			continue
		}
		var field string
		switch {
		case in.ExternalOpportunityId != nil && extid.Key(in.GetExternalOpportunityId()) != extid.Key(cur.ExternalOpportunityID):
			field = "externalOpportunityId"
		case in.LeadId != nil && in.GetLeadId() != cur.LeadID:
			field = "leadId"
		case in.Role != nil && store.FoldRole(strings.TrimSpace(in.GetRole())) != store.FoldRole(cur.Role):
			field = "role"
		default:
			continue
		}
		results[idx[n]] = records.Skipped(idx[n], 0, keyChanged(field))
	}
	return nil
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
		f.By = store.RoleByGUID
		for _, v := range req.GetFilterValues() {
			if g := guidKey(v); g != "" {
				f.Values = append(f.Values, g)
			}
		}
		normalised = f.Values
	case opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_EXTERNAL_OPPORTUNITY_ID:
		f.By = store.RoleByOpportunityKey
		f.Values = externalKeys(req.GetFilterValues())
		normalised = f.Values
	case opportunityv1.OpportunityRoleField_OPPORTUNITY_ROLE_FIELD_LEAD_ID:
		f.By = store.RoleByLeadID
		for _, v := range req.GetFilterValues() {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "filter value %q is not an integer lead id", v)
			}
			f.LeadIDs = append(f.LeadIDs, int32(n))
			normalised = append(normalised, strconv.FormatInt(n, 10))
		}
	default:
		return nil, status.Errorf(codes.InvalidArgument, "unsupported filter field %v", req.GetFilterField())
	}
	p, err := newPager(s.tokens, req.GetFilterField().String(), len(req.GetFilterValues()), normalised, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	f.AfterSeq, f.Limit = p.after, p.size+1
	found, err := s.store.ListRoles(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	page, next, err := pageOf(p, found, func(r store.Role) int64 { return r.Seq })
	if err != nil {
		return nil, err
	}
	resp := &opportunityv1.ListOpportunityRolesResponse{NextPageToken: next, OpportunityRoles: make([]*opportunityv1.OpportunityRole, len(page))}
	for i, r := range page {
		resp.OpportunityRoles[i] = roleProto(r)
	}
	return resp, nil
}

// BatchGetOpportunityRoles implements opportunityv1.OpportunityRoleServiceServer.
func (s *RoleServer) BatchGetOpportunityRoles(ctx context.Context, req *opportunityv1.BatchGetOpportunityRolesRequest) (*opportunityv1.BatchGetOpportunityRolesResponse, error) {
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	var guids []string
	var keys []store.RoleKey
	for _, k := range req.GetKeys() {
		switch v := k.GetKey().(type) {
		case *opportunityv1.OpportunityRoleKey_MarketoGuid:
			if g := guidKey(v.MarketoGuid); g != "" {
				guids = append(guids, g)
			}
		case *opportunityv1.OpportunityRoleKey_DedupeKey:
			// An incomplete or invalid key names no role: it is simply not found.
			if key, why := dedupeKey(v.DedupeKey); why == nil {
				keys = append(keys, key)
			}
		}
	}
	found, err := s.store.GetRoles(ctx, guids, keys)
	if err != nil {
		return nil, storeError(err)
	}
	resp := &opportunityv1.BatchGetOpportunityRolesResponse{OpportunityRoles: make([]*opportunityv1.OpportunityRole, len(found))}
	for i, r := range found {
		resp.OpportunityRoles[i] = roleProto(r)
	}
	return resp, nil
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
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(req.GetKeys()))
	var lookups []store.RoleLookup
	var idx []int
	for i, k := range req.GetKeys() {
		var l store.RoleLookup
		switch v := k.GetKey().(type) {
		case *opportunityv1.OpportunityRoleKey_MarketoGuid:
			if strings.TrimSpace(v.MarketoGuid) == "" {
				results[i] = records.Skipped(i, 0, records.Missing("marketoGUID"))
				continue
			}
			// A value that is no GUID names no record: 1013 below.
			l.GUID = guidKey(v.MarketoGuid)
		case *opportunityv1.OpportunityRoleKey_DedupeKey:
			key, why := dedupeKey(v.DedupeKey)
			if why != nil {
				results[i] = records.Skipped(i, 0, why)
				continue
			}
			l.Key = key
		default:
			results[i] = records.Skipped(i, 0, records.Reason(marketo.CodeMissingValue, "Missing value for the required parameter 'marketoGUID' or the dedupe fields 'externalOpportunityId', 'leadId' and 'role'"))
			continue
		}
		lookups = append(lookups, l)
		idx = append(idx, i)
	}
	if len(lookups) > 0 {
		out, err := s.store.DeleteRoles(ctx, lookups)
		if err != nil {
			return nil, storeError(err)
		}
		for n, r := range out {
			i := idx[n]
			results[i] = withGUID(records.Deleted(i, 0, r.Deleted), r.GUID)
		}
	}
	return &opportunityv1.DeleteOpportunityRolesResponse{Results: results}, nil
}

// CountOpportunityRoleReferences implements opportunityv1.OpportunityRoleServiceServer.
func (s *RoleServer) CountOpportunityRoleReferences(ctx context.Context, req *opportunityv1.CountOpportunityRoleReferencesRequest) (*opportunityv1.CountOpportunityRoleReferencesResponse, error) {
	if err := checkParents(len(req.GetExternalOpportunityIds()), "externalOpportunityIds"); err != nil {
		return nil, err
	}
	if err := checkParents(len(req.GetLeadIds()), "leadIds"); err != nil {
		return nil, err
	}
	opportunities, leads, err := s.store.CountRoleReferences(ctx, externalKeys(req.GetExternalOpportunityIds()), req.GetLeadIds())
	if err != nil {
		return nil, storeError(err)
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
