package server

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/services/account/internal/store"
)

// listCursor is where the next page of a ListCompanies query starts.
type listCursor struct {
	AfterID int32 `json:"a"`
}

// ListCompanies implements accountv1.CompanyServiceServer.
func (s *Server) ListCompanies(ctx context.Context, req *accountv1.ListCompaniesRequest) (*accountv1.ListCompaniesResponse, error) {
	if n := len(req.GetFilterValues()); n == 0 || n > store.MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "filterValues has %d values; send 1 to %d", n, store.MaxBatch)
	}
	pageSize := int(req.GetPageSize())
	if pageSize < 0 || pageSize > store.MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "page size %d is out of range; use 1 to %d", pageSize, store.MaxBatch)
	}
	if pageSize == 0 {
		pageSize = store.MaxBatch
	}
	f, normalised, err := filter(req.GetFilterField(), req.GetFilterValues())
	if err != nil {
		return nil, err
	}
	f.Limit = pageSize + 1
	slices.Sort(normalised)
	query := pagetoken.Query(req.GetFilterField().String(), strings.Join(slices.Compact(normalised), "\x00"))
	if tok := req.GetPageToken(); tok != "" {
		var c listCursor
		if err := s.tokens.Decode(tok, query, &c); err != nil {
			return nil, status.Error(codes.InvalidArgument, "the page token is not valid for this query; start again without it")
		}
		f.AfterID = c.AfterID
	}
	found, err := s.store.List(ctx, f)
	if err != nil {
		return nil, storeError(err)
	}
	resp := &accountv1.ListCompaniesResponse{}
	if len(found) > pageSize {
		found = found[:pageSize]
		tok, err := s.tokens.Encode(query, listCursor{AfterID: found[len(found)-1].ID})
		if err != nil {
			return nil, err
		}
		resp.NextPageToken = tok
	}
	resp.Companies = toProtos(found)
	return resp, nil
}

// filter turns a filter field and its values into a store filter, and returns the values
// in the normalised form that identifies the query for page tokens.
func filter(field accountv1.CompanyField, values []string) (store.Filter, []string, error) {
	var f store.Filter
	var normalised []string
	switch field {
	case accountv1.CompanyField_COMPANY_FIELD_ID:
		f.By = store.ByID
		for _, v := range values {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
			if err != nil {
				return f, nil, status.Errorf(codes.InvalidArgument, "filter value %q is not an integer id", v)
			}
			f.IDs = append(f.IDs, int32(n))
			normalised = append(normalised, strconv.FormatInt(n, 10))
		}
	case accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_COMPANY_ID, accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_SALES_PERSON_ID:
		f.By = store.ByExternalKey
		if field == accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_SALES_PERSON_ID {
			f.By = store.BySalesPerson
		}
		for _, v := range values {
			if k := extid.Key(v); k != "" {
				f.Keys = append(f.Keys, k)
				normalised = append(normalised, k)
			}
		}
	case accountv1.CompanyField_COMPANY_FIELD_COMPANY:
		// Names are stored trimmed and matched case-folded.
		f.By = store.ByCompany
		for _, v := range values {
			k := extid.Fold(strings.TrimSpace(v))
			f.Keys = append(f.Keys, k)
			normalised = append(normalised, k)
		}
	default:
		return f, nil, status.Errorf(codes.InvalidArgument, "unsupported filter field %v", field)
	}
	return f, normalised, nil
}
