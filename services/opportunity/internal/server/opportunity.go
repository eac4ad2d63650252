package server

import (
	"context"
	"fmt"
	"strings"
	"time"

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

// MaxDescriptionLength is the longest opportunity description accepted, in characters.
const MaxDescriptionLength = 2000

// OpportunityServer implements opportunityv1.OpportunityServiceServer.
type OpportunityServer struct {
	opportunityv1.UnimplementedOpportunityServiceServer
	store  store.Opportunities
	tokens *pagetoken.Codec
}

var _ opportunityv1.OpportunityServiceServer = (*OpportunityServer)(nil)

// NewOpportunityServer returns an OpportunityServer over s that signs page tokens with
// pageTokenKey.
func NewOpportunityServer(s store.Opportunities, pageTokenKey []byte) *OpportunityServer {
	return &OpportunityServer{store: s, tokens: pagetoken.New(pageTokenKey)}
}

// requiredNames are the API names of the fields a create needs, as the store names them.
var requiredNames = map[store.Field]string{
	store.FieldExternalCompanyID:     "externalCompanyId",
	store.FieldExternalSalesPersonID: "externalSalesPersonId",
	store.FieldName:                  "name",
}

// SyncOpportunities implements opportunityv1.OpportunityServiceServer.
func (s *OpportunityServer) SyncOpportunities(ctx context.Context, req *opportunityv1.SyncOpportunitiesRequest) (*opportunityv1.SyncOpportunitiesResponse, error) {
	if err := records.CheckBatch(len(req.GetInput())); err != nil {
		return nil, err
	}
	mode, byID, err := records.ParseSync(req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	inputs := req.GetInput()
	results := make([]*commonv1.RecordResult, len(inputs))
	writes := make([]store.OpportunityWrite, 0, len(inputs))
	idx := make([]int, 0, len(inputs))
	seen := records.Repeats{}
	for i, in := range inputs {
		w, reason := toOpportunityWrite(in, mode, byID)
		if reason == nil {
			key := w.ExternalID.Key
			if byID {
				key = "#" + w.GUID
			}
			if seen.Seen(key) {
				reason = records.Duplicate(describeOpportunity(in, byID))
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
		if err := s.refuseExternalIDChanges(ctx, inputs, writes, idx, results); err != nil {
			return nil, err
		}
		writes, idx = compact(writes, idx, results)
	}
	if len(writes) > 0 {
		out, err := s.store.WriteOpportunities(ctx, writes)
		if err != nil {
			return nil, storeError(err)
		}
		for n, r := range out {
			i := idx[n]
			if r.Missing != "" {
				results[i] = records.Skipped(i, 0, records.Missing(requiredNames[r.Missing]))
				continue
			}
			results[i] = withGUID(records.Result(i, r.Outcome, 0, "opportunity with "+describeOpportunity(inputs[i], byID)), r.GUID)
		}
	}
	return &opportunityv1.SyncOpportunitiesResponse{Results: results}, nil
}

// refuseExternalIDChanges skips updates by GUID that would change a record's
// externalOpportunityId, its key in the CRM, which cannot change once created (1003).
func (s *OpportunityServer) refuseExternalIDChanges(ctx context.Context, inputs []*opportunityv1.OpportunityInput, writes []store.OpportunityWrite, idx []int, results []*commonv1.RecordResult) error {
	var guids []string
	for n, w := range writes {
		if inputs[idx[n]].ExternalOpportunityId != nil {
			guids = append(guids, w.GUID)
		}
	}
	if len(guids) == 0 {
		return nil
	}
	found, err := s.store.GetOpportunities(ctx, guids, nil)
	if err != nil {
		return storeError(err)
	}
	current := make(map[string]string, len(found))
	for _, o := range found {
		current[o.GUID] = extid.Key(o.ExternalID)
	}
	for n, w := range writes {
		in := inputs[idx[n]]
		cur, ok := current[w.GUID]
		if in.ExternalOpportunityId == nil || !ok || extid.Key(in.GetExternalOpportunityId()) == cur {
			continue
		}
		results[idx[n]] = records.Skipped(idx[n], 0, keyChanged("externalOpportunityId"))
	}
	return nil
}

// compact drops the writes whose record already has a result.
func compact[W any](writes []W, idx []int, results []*commonv1.RecordResult) ([]W, []int) {
	var w2 []W
	var i2 []int
	for n, w := range writes {
		if results[idx[n]] == nil {
			w2 = append(w2, w)
			i2 = append(i2, idx[n])
		}
	}
	return w2, i2
}

// toOpportunityWrite validates one input record and returns its write, or the reason it is
// skipped.
func toOpportunityWrite(in *opportunityv1.OpportunityInput, mode records.Mode, byID bool) (store.OpportunityWrite, *commonv1.Reason) {
	w := store.OpportunityWrite{Mode: mode}
	var why *commonv1.Reason
	if byID {
		if w.GUID, why = checkGUID(in.MarketoGuid); why != nil {
			return w, why
		}
	} else if w.ExternalID, why = externalID("externalOpportunityId", in.ExternalOpportunityId, MaxExternalIDLength); why != nil {
		return w, why
	}
	f := &w.Fields
	if in.ExternalCompanyId != nil {
		id, why := externalID("externalCompanyId", in.ExternalCompanyId, extid.MaxLength)
		if why != nil {
			return w, why
		}
		f.ExternalCompanyID = &id
	}
	if in.ExternalSalesPersonId != nil {
		id, why := externalID("externalSalesPersonId", in.ExternalSalesPersonId, extid.MaxLength)
		if why != nil {
			return w, why
		}
		f.ExternalSalesPersonID = &id
	}
	if f.Name, why = text("name", in.Name, records.MaxTextLength); why != nil {
		return w, why
	}
	if f.Name != nil && *f.Name == "" {
		return w, records.Missing("name")
	}
	strs := []struct {
		name string
		dst  **string
		v    *string
		max  int
	}{
		{"description", &f.Description, in.Description, MaxDescriptionLength},
		{"type", &f.Type, in.Type, records.MaxTextLength},
		{"stage", &f.Stage, in.Stage, records.MaxTextLength},
		{"forecastCategory", &f.ForecastCategory, in.ForecastCategory, records.MaxTextLength},
		{"forecastCategoryName", &f.ForecastCategoryName, in.ForecastCategoryName, records.MaxTextLength},
		{"leadSource", &f.LeadSource, in.LeadSource, records.MaxTextLength},
		{"source", &f.Source, in.Source, records.MaxTextLength},
		{"nextStep", &f.NextStep, in.NextStep, records.MaxTextLength},
	}
	for _, s := range strs {
		if *s.dst, why = text(s.name, s.v, s.max); why != nil {
			return w, why
		}
	}
	nums := []struct {
		name string
		dst  **float64
		v    *float64
	}{
		{"amount", &f.Amount, in.Amount},
		{"expectedRevenue", &f.ExpectedRevenue, in.ExpectedRevenue},
		{"quantity", &f.Quantity, in.Quantity},
	}
	for _, n := range nums {
		if *n.dst, why = number(n.name, n.v); why != nil {
			return w, why
		}
	}
	if f.Probability, why = integer("probability", in.Probability, 0, 100); why != nil {
		return w, why
	}
	if f.FiscalQuarter, why = integer("fiscalQuarter", in.FiscalQuarter, 0, 4); why != nil {
		return w, why
	}
	if f.FiscalYear, why = integer("fiscalYear", in.FiscalYear, 0, 9999); why != nil {
		return w, why
	}
	f.IsClosed, f.IsWon = in.IsClosed, in.IsWon
	if f.CloseDate, why = dateChange("closeDate", in.GetCloseDate(), in.GetClearCloseDate()); why != nil {
		return w, why
	}
	if f.CloseDate != nil && !f.CloseDate.IsZero() {
		d := f.CloseDate.Truncate(24 * time.Hour) // only the UTC date is significant
		f.CloseDate = &d
	}
	if f.LastActivityDate, why = dateChange("lastActivityDate", in.GetLastActivityDate(), in.GetClearLastActivityDate()); why != nil {
		return w, why
	}
	if f.ExternalCreatedDate, why = dateChange("externalCreatedDate", in.GetExternalCreatedDate(), in.GetClearExternalCreatedDate()); why != nil {
		return w, why
	}
	return w, nil
}

func describeOpportunity(in *opportunityv1.OpportunityInput, byID bool) string {
	if byID {
		return fmt.Sprintf("marketoGUID '%s'", strings.TrimSpace(in.GetMarketoGuid()))
	}
	return fmt.Sprintf("externalOpportunityId '%s'", strings.TrimSpace(in.GetExternalOpportunityId()))
}

// ListOpportunities implements opportunityv1.OpportunityServiceServer.
func (s *OpportunityServer) ListOpportunities(ctx context.Context, req *opportunityv1.ListOpportunitiesRequest) (*opportunityv1.ListOpportunitiesResponse, error) {
	f := store.OpportunityFilter{}
	switch req.GetFilterField() {
	case opportunityv1.OpportunityField_OPPORTUNITY_FIELD_MARKETO_GUID:
		f.By = store.OpportunityByGUID
		for _, v := range req.GetFilterValues() {
			if g := guidKey(v); g != "" {
				f.Values = append(f.Values, g)
			}
		}
	case opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_OPPORTUNITY_ID:
		f.By = store.OpportunityByExternalKey
	case opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_COMPANY_ID:
		f.By = store.OpportunityByCompanyKey
	case opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_SALES_PERSON_ID:
		f.By = store.OpportunityBySalesPersonKey
	default:
		return nil, status.Errorf(codes.InvalidArgument, "unsupported filter field %v", req.GetFilterField())
	}
	if f.By != store.OpportunityByGUID {
		f.Values = externalKeys(req.GetFilterValues())
	}
	p, err := newPager(s.tokens, req.GetFilterField().String(), len(req.GetFilterValues()), f.Values, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	f.AfterSeq, f.Limit = p.after, p.size+1
	found, err := s.store.ListOpportunities(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	page, next, err := pageOf(p, found, func(o store.Opportunity) int64 { return o.Seq })
	if err != nil {
		return nil, err
	}
	resp := &opportunityv1.ListOpportunitiesResponse{NextPageToken: next, Opportunities: make([]*opportunityv1.Opportunity, len(page))}
	for i, o := range page {
		resp.Opportunities[i] = opportunityProto(o)
	}
	return resp, nil
}

// BatchGetOpportunities implements opportunityv1.OpportunityServiceServer.
func (s *OpportunityServer) BatchGetOpportunities(ctx context.Context, req *opportunityv1.BatchGetOpportunitiesRequest) (*opportunityv1.BatchGetOpportunitiesResponse, error) {
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	var guids, keys []string
	for _, k := range req.GetKeys() {
		switch v := k.GetKey().(type) {
		case *opportunityv1.OpportunityKey_MarketoGuid:
			if g := guidKey(v.MarketoGuid); g != "" {
				guids = append(guids, g)
			}
		case *opportunityv1.OpportunityKey_ExternalOpportunityId:
			if k := extid.Key(v.ExternalOpportunityId); k != "" {
				keys = append(keys, k)
			}
		}
	}
	found, err := s.store.GetOpportunities(ctx, guids, keys)
	if err != nil {
		return nil, storeError(err)
	}
	resp := &opportunityv1.BatchGetOpportunitiesResponse{Opportunities: make([]*opportunityv1.Opportunity, len(found))}
	for i, o := range found {
		resp.Opportunities[i] = opportunityProto(o)
	}
	return resp, nil
}

// DeleteOpportunities implements opportunityv1.OpportunityServiceServer.
func (s *OpportunityServer) DeleteOpportunities(ctx context.Context, req *opportunityv1.DeleteOpportunitiesRequest) (*opportunityv1.DeleteOpportunitiesResponse, error) {
	if err := records.CheckBatch(len(req.GetKeys())); err != nil {
		return nil, err
	}
	results := make([]*commonv1.RecordResult, len(req.GetKeys()))
	var keys []store.OpportunityKey
	var idx []int
	for i, k := range req.GetKeys() {
		var key store.OpportunityKey
		switch v := k.GetKey().(type) {
		case *opportunityv1.OpportunityKey_MarketoGuid:
			if strings.TrimSpace(v.MarketoGuid) == "" {
				results[i] = records.Skipped(i, 0, records.Missing("marketoGUID"))
				continue
			}
			// A value that is no GUID names no record: 1013 below.
			key.GUID = guidKey(v.MarketoGuid)
		case *opportunityv1.OpportunityKey_ExternalOpportunityId:
			if key.ExternalKey = extid.Key(v.ExternalOpportunityId); key.ExternalKey == "" {
				results[i] = records.Skipped(i, 0, records.Missing("externalOpportunityId"))
				continue
			}
		default:
			results[i] = records.Skipped(i, 0, records.Reason(marketo.CodeMissingValue, "Missing value for the required parameter 'externalOpportunityId' or 'marketoGUID'"))
			continue
		}
		keys = append(keys, key)
		idx = append(idx, i)
	}
	if len(keys) > 0 {
		out, err := s.store.DeleteOpportunities(ctx, keys)
		if err != nil {
			return nil, storeError(err)
		}
		for n, r := range out {
			i := idx[n]
			results[i] = withGUID(records.Deleted(i, 0, r.Deleted), r.GUID)
		}
	}
	return &opportunityv1.DeleteOpportunitiesResponse{Results: results}, nil
}

// CountOpportunityReferences implements opportunityv1.OpportunityServiceServer.
func (s *OpportunityServer) CountOpportunityReferences(ctx context.Context, req *opportunityv1.CountOpportunityReferencesRequest) (*opportunityv1.CountOpportunityReferencesResponse, error) {
	if err := checkParents(len(req.GetExternalCompanyIds()), "externalCompanyIds"); err != nil {
		return nil, err
	}
	if err := checkParents(len(req.GetExternalSalesPersonIds()), "externalSalesPersonIds"); err != nil {
		return nil, err
	}
	companies, salesPersons, err := s.store.CountOpportunityReferences(ctx, externalKeys(req.GetExternalCompanyIds()), externalKeys(req.GetExternalSalesPersonIds()))
	if err != nil {
		return nil, storeError(err)
	}
	return &opportunityv1.CountOpportunityReferencesResponse{Companies: referenceCounts(companies), SalesPersons: referenceCounts(salesPersons)}, nil
}

func opportunityProto(o store.Opportunity) *opportunityv1.Opportunity {
	return &opportunityv1.Opportunity{
		MarketoGuid:           o.GUID,
		ExternalOpportunityId: o.ExternalID,
		ExternalCompanyId:     o.ExternalCompanyID,
		ExternalSalesPersonId: o.ExternalSalesPersonID,
		Name:                  o.Name,
		Description:           o.Description,
		Type:                  o.Type,
		Stage:                 o.Stage,
		Amount:                o.Amount,
		ExpectedRevenue:       o.ExpectedRevenue,
		Quantity:              o.Quantity,
		Probability:           o.Probability,
		CloseDate:             timestamp(o.CloseDate),
		IsClosed:              o.IsClosed,
		IsWon:                 o.IsWon,
		FiscalQuarter:         o.FiscalQuarter,
		FiscalYear:            o.FiscalYear,
		ForecastCategory:      o.ForecastCategory,
		ForecastCategoryName:  o.ForecastCategoryName,
		LeadSource:            o.LeadSource,
		Source:                o.Source,
		NextStep:              o.NextStep,
		LastActivityDate:      timestamp(o.LastActivityDate),
		ExternalCreatedDate:   timestamp(o.ExternalCreatedDate),
		CreateTime:            timestamppb.New(o.CreatedAt),
		UpdateTime:            timestamppb.New(o.UpdatedAt),
	}
}
