package server

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/services/account/internal/store"
)

// ListCompanies implements accountv1.CompanyServiceServer.
func (s *Server) ListCompanies(ctx context.Context, req *accountv1.ListCompaniesRequest) (*accountv1.ListCompaniesResponse, error) {
	page, err := entity.NewPage(len(req.GetFilterValues()), req.GetPageSize())
	if err != nil {
		return nil, err
	}
	f, normalised, err := filter(req.GetFilterField(), req.GetFilterValues())
	if err != nil {
		return nil, err
	}
	if err := page.Resume(s.tokens, req.GetFilterField().String(), normalised, req.GetPageToken()); err != nil {
		return nil, err
	}
	f.AfterID, f.Limit = int32(page.After), page.Size+1
	found, err := s.store.List(ctx, f)
	if err != nil {
		return nil, entity.StoreError(err)
	}
	found, next, err := entity.Trim(page, found, func(c store.Company) int64 { return int64(c.ID) })
	if err != nil {
		return nil, err
	}
	return &accountv1.ListCompaniesResponse{Companies: entity.Protos(found, toProto), NextPageToken: next}, nil
}

// filter turns a filter field and its values into a store filter, and returns the values
// in the normalised form that identifies the query for page tokens.
func filter(field accountv1.CompanyField, values []string) (store.Filter, []string, error) {
	var f store.Filter
	switch field {
	case accountv1.CompanyField_COMPANY_FIELD_ID:
		var normalised []string
		var err error
		f.By = store.ByID
		f.IDs, normalised, err = entity.ParseIDs(values, "id")
		return f, normalised, err
	case accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_COMPANY_ID:
		f.By, f.Keys = store.ByExternalKey, entity.ExternalKeys(values)
	case accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_SALES_PERSON_ID:
		f.By, f.Keys = store.BySalesPerson, entity.ExternalKeys(values)
	case accountv1.CompanyField_COMPANY_FIELD_COMPANY:
		// Names are stored trimmed and matched case-folded.
		f.By, f.Keys = store.ByCompany, entity.Folded(values, false)
	default:
		return f, nil, status.Errorf(codes.InvalidArgument, "unsupported filter field %v", field)
	}
	return f, f.Keys, nil
}
