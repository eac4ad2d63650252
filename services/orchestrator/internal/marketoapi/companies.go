package marketoapi

import (
	"context"

	"google.golang.org/protobuf/types/known/structpb"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Companies implements orchestratorv1.MarketoCompanyService over the account service.
type Companies struct {
	orchestratorv1.UnimplementedMarketoCompanyServiceServer
	apply *apply.Applier
	flags crmFlags // answers crmDeleted (see WithCrmFindings)
}

var _ orchestratorv1.MarketoCompanyServiceServer = (*Companies)(nil)

// NewCompanies returns the service over an Applier.
func NewCompanies(a *apply.Applier) *Companies { return &Companies{apply: a} }

// companyFilters maps Marketo filterType names (and aliases) to the account service's.
var companyFilters = map[string]accountv1.CompanyField{
	"externalcompanyid":     accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_COMPANY_ID,
	"dedupefields":          accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_COMPANY_ID,
	"id":                    accountv1.CompanyField_COMPANY_FIELD_ID,
	"idfield":               accountv1.CompanyField_COMPANY_FIELD_ID,
	"company":               accountv1.CompanyField_COMPANY_FIELD_COMPANY,
	"externalsalespersonid": accountv1.CompanyField_COMPANY_FIELD_EXTERNAL_SALES_PERSON_ID,
}

// SyncCompanies implements orchestratorv1.MarketoCompanyServiceServer. A company whose
// owner is not synced is skipped with 718.
func (s *Companies) SyncCompanies(ctx context.Context, req *orchestratorv1.SyncCompaniesRequest) (*orchestratorv1.SyncCompaniesResponse, error) {
	action, dedupe, err := parseSync(len(req.GetInput()), req.GetAction(), req.GetDedupeBy())
	if err != nil {
		return nil, err
	}
	res, err := syncRecords(ctx, objects.Company, req.GetInput(), func() *accountv1.CompanyInput { return &accountv1.CompanyInput{} },
		func(ctx context.Context, in []*accountv1.CompanyInput) ([]apply.Outcome, error) {
			return s.apply.SyncCompanies(ctx, action, dedupe, in)
		})
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.SyncCompaniesResponse{RequestId: requestID(ctx), Success: true, Result: withIDs(res)}, nil
}

// GetCompanies implements orchestratorv1.MarketoCompanyServiceServer.
func (s *Companies) GetCompanies(ctx context.Context, req *orchestratorv1.GetCompaniesRequest) (*orchestratorv1.GetCompaniesResponse, error) {
	ft, q, err := parseQuery(objects.Company, req.GetFilterType(), req.GetFilterValues(), req.GetFields(), req.GetBatchSize(), knownFilters(companyFilters))
	if err != nil {
		return nil, err
	}
	page, err := s.apply.Companies.ListCompanies(ctx, &accountv1.ListCompaniesRequest{
		FilterField: companyFilters[ft], FilterValues: q.values, PageSize: req.GetBatchSize(), PageToken: req.GetNextPageToken(),
	})
	if err != nil {
		return nil, err
	}
	more, next := paging(page.GetNextPageToken())
	recs := encodeAll(objects.Company, page.GetCompanies(), q.fields)
	if err := s.flags.add(ctx, store.Company, externalIDs(page.GetCompanies(), (*accountv1.Company).GetExternalCompanyId), recs, q.fields); err != nil {
		return nil, err
	}
	return &orchestratorv1.GetCompaniesResponse{
		RequestId: requestID(ctx), Success: true, MoreResult: more, NextPageToken: next,
		Result: recs,
	}, nil
}

// DeleteCompanies implements orchestratorv1.MarketoCompanyServiceServer. A company that
// leads or opportunities still reference is skipped with 1022.
func (s *Companies) DeleteCompanies(ctx context.Context, req *orchestratorv1.DeleteCompaniesRequest) (*orchestratorv1.DeleteCompaniesResponse, error) {
	byID, err := parseDelete(len(req.GetInput()), req.GetDeleteBy())
	if err != nil {
		return nil, err
	}
	res, err := deleteRecords(ctx, req.GetInput(), byID, companyKey, s.apply.DeleteCompanies)
	if err != nil {
		return nil, err
	}
	return &orchestratorv1.DeleteCompaniesResponse{RequestId: requestID(ctx), Success: true, Result: withIDs(res)}, nil
}

func companyKey(rec *structpb.Struct, byID bool) (*accountv1.CompanyKey, *commonv1.Reason) {
	if byID {
		id, why := intKey(rec, "id")
		if why != nil {
			return nil, why
		}
		return &accountv1.CompanyKey{Key: &accountv1.CompanyKey_Id{Id: id}}, nil
	}
	ext, why := stringKey(rec, "externalCompanyId")
	if why != nil {
		return nil, why
	}
	return &accountv1.CompanyKey{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: ext}}, nil
}

// DescribeCompanies implements orchestratorv1.MarketoCompanyServiceServer.
func (s *Companies) DescribeCompanies(ctx context.Context, _ *orchestratorv1.DescribeCompaniesRequest) (*orchestratorv1.DescribeCompaniesResponse, error) {
	return &orchestratorv1.DescribeCompaniesResponse{RequestId: requestID(ctx), Success: true, Result: []*orchestratorv1.ObjectMetadata{objects.Company.Metadata()}}, nil
}
