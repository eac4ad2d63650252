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
	"github.com/msisync/msisync/platform/entity"
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
	mode, byID, err := entity.ParseSync(len(req.GetInput()), req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	inputs := req.GetInput()
	describe := func(in *opportunityv1.OpportunityInput) string { return describeOpportunity(in, byID) }
	b := entity.Plan(inputs, func(in *opportunityv1.OpportunityInput) (store.OpportunityWrite, string, *commonv1.Reason) {
		w, why := toOpportunityWrite(in, mode, byID)
		return w, entity.BatchKey(byID, w.GUID, w.ExternalID.Key), why
	}, describe)
	if byID {
		if err := s.refuseExternalIDChanges(ctx, inputs, b); err != nil {
			return nil, err
		}
	}
	results, err := entity.Apply(ctx, b, s.store.WriteOpportunities, func(i int, r store.WriteResult) *commonv1.RecordResult {
		if r.Missing != "" {
			return records.Skipped(i, 0, records.Missing(requiredNames[r.Missing]))
		}
		return withGUID(records.Result(i, r.Outcome, 0, "opportunity with "+describe(inputs[i])), r.GUID)
	})
	if err != nil {
		return nil, err
	}
	return &opportunityv1.SyncOpportunitiesResponse{Results: results}, nil
}

// refuseExternalIDChanges skips updates by GUID that would change a record's
// externalOpportunityId, its key in the CRM, which cannot change once created (1003).
func (s *OpportunityServer) refuseExternalIDChanges(ctx context.Context, inputs []*opportunityv1.OpportunityInput, b *entity.Batch[store.OpportunityWrite]) error {
	return entity.KeepExternalID(ctx, b, func(i int) *string { return inputs[i].ExternalOpportunityId },
		func(w store.OpportunityWrite) string { return w.GUID }, s.store.GetOpportunities,
		func(o store.Opportunity) (string, string) { return o.GUID, o.ExternalID },
		func(i int, _ store.OpportunityWrite) *commonv1.RecordResult {
			return records.Skipped(i, 0, keyChanged("externalOpportunityId"))
		})

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
	f := store.OpportunityFilter{Values: entity.ExternalKeys(req.GetFilterValues())}
	switch req.GetFilterField() {
	case opportunityv1.OpportunityField_OPPORTUNITY_FIELD_MARKETO_GUID:
		f.By, f.Values = store.OpportunityByGUID, guidKeys(req.GetFilterValues())
	case opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_OPPORTUNITY_ID:
		f.By = store.OpportunityByExternalKey
	case opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_COMPANY_ID:
		f.By = store.OpportunityByCompanyKey
	case opportunityv1.OpportunityField_OPPORTUNITY_FIELD_EXTERNAL_SALES_PERSON_ID:
		f.By = store.OpportunityBySalesPersonKey
	default:
		return nil, status.Errorf(codes.InvalidArgument, "unsupported filter field %v", req.GetFilterField())
	}
	page, err := startPage(s.tokens, req.GetFilterField().String(), req.GetFilterValues(), f.Values, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, err
	}
	f.AfterSeq, f.Limit = page.After, page.Size+1
	found, err := s.store.ListOpportunities(ctx, f)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	found, next, err := entity.Trim(page, found, func(o store.Opportunity) int64 { return o.Seq })
	if err != nil {
		return nil, err
	}
	return &opportunityv1.ListOpportunitiesResponse{NextPageToken: next, Opportunities: entity.Protos(found, opportunityProto)}, nil
}

// BatchGetOpportunities implements opportunityv1.OpportunityServiceServer.
func (s *OpportunityServer) BatchGetOpportunities(ctx context.Context, req *opportunityv1.BatchGetOpportunitiesRequest) (*opportunityv1.BatchGetOpportunitiesResponse, error) {
	found, err := entity.Get(ctx, req.GetKeys(), opportunityKey, func(k store.OpportunityKey) (string, string, bool) {
		return k.GUID, k.ExternalKey, k.GUID != "" || k.ExternalKey != ""
	}, s.store.GetOpportunities, opportunityProto)
	if err != nil {
		return nil, err
	}
	return &opportunityv1.BatchGetOpportunitiesResponse{Opportunities: found}, nil
}

// DeleteOpportunities implements opportunityv1.OpportunityServiceServer.
func (s *OpportunityServer) DeleteOpportunities(ctx context.Context, req *opportunityv1.DeleteOpportunitiesRequest) (*opportunityv1.DeleteOpportunitiesResponse, error) {
	results, err := entity.Delete(ctx, req.GetKeys(), opportunityKey, s.store.DeleteOpportunities, func(i int, r store.DeleteResult) *commonv1.RecordResult {
		return withGUID(records.Deleted(i, 0, r.Deleted), r.GUID)
	})
	if err != nil {
		return nil, err
	}
	return &opportunityv1.DeleteOpportunitiesResponse{Results: results}, nil
}

// opportunityKey reads a request key, or returns why it names no record. A marketoGUID that
// is no GUID names no record (1013 on delete).
func opportunityKey(k *opportunityv1.OpportunityKey) (store.OpportunityKey, *commonv1.Reason) {
	switch v := k.GetKey().(type) {
	case *opportunityv1.OpportunityKey_MarketoGuid:
		if strings.TrimSpace(v.MarketoGuid) == "" {
			return store.OpportunityKey{}, records.Missing("marketoGUID")
		}
		return store.OpportunityKey{GUID: guidKey(v.MarketoGuid)}, nil
	case *opportunityv1.OpportunityKey_ExternalOpportunityId:
		key, why := entity.ExternalKey(v.ExternalOpportunityId, "externalOpportunityId")
		return store.OpportunityKey{ExternalKey: key}, why
	}
	return store.OpportunityKey{}, records.Reason(marketo.CodeMissingValue, "Missing value for the required parameter 'externalOpportunityId' or 'marketoGUID'")
}

// CountOpportunityReferences implements opportunityv1.OpportunityServiceServer.
func (s *OpportunityServer) CountOpportunityReferences(ctx context.Context, req *opportunityv1.CountOpportunityReferencesRequest) (*opportunityv1.CountOpportunityReferencesResponse, error) {
	if err := checkParents(len(req.GetExternalCompanyIds()), "externalCompanyIds"); err != nil {
		return nil, err
	}
	if err := checkParents(len(req.GetExternalSalesPersonIds()), "externalSalesPersonIds"); err != nil {
		return nil, err
	}
	companies, salesPersons, err := s.store.CountOpportunityReferences(ctx, entity.ExternalKeys(req.GetExternalCompanyIds()), entity.ExternalKeys(req.GetExternalSalesPersonIds()))
	if err != nil {
		return nil, entity.StoreError(err)
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
