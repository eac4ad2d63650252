package apply

import (
	"context"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// SyncCompanies writes companies whose owner exists; the others come back Missing.
func (a *Applier) SyncCompanies(ctx context.Context, action commonv1.SyncAction, dedupe commonv1.DedupeBy, inputs []*accountv1.CompanyInput) ([]Outcome, error) {
	return syncNamed(ctx, a, inputs, companyParents, "syncing companies",
		func(ctx context.Context, send []*accountv1.CompanyInput) (*accountv1.SyncCompaniesResponse, error) {
			return a.Companies.SyncCompanies(ctx, &accountv1.SyncCompaniesRequest{Action: action, DedupeBy: dedupe, Input: send})
		}, nil)
}

// companyParents is a company's owner, when it names one.
func companyParents(in *accountv1.CompanyInput) (p parents) {
	p.external(links.SalesPerson, in.ExternalSalesPersonId)
	return p
}

// DeleteCompanies deletes companies that no lead or opportunity references; the others
// are skipped with 1022.
func (a *Applier) DeleteCompanies(ctx context.Context, keys []*accountv1.CompanyKey) ([]Outcome, error) {
	got, err := a.Companies.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: keys})
	if err != nil {
		return nil, errorf("looking up companies", err)
	}
	d := newByExternalID[int32](links.Company, "company", a.CompanyUse)
	for _, c := range got.GetCompanies() {
		d.record(c.GetId(), c.GetExternalCompanyId())
	}
	for _, k := range keys {
		if id, ok := k.GetKey().(*accountv1.CompanyKey_Id); ok {
			d.keyID(id.Id)
		} else {
			d.keyExternalID(k.GetExternalCompanyId())
		}
	}
	return deleteUnused(ctx, a, keys, &d.deletes, "deleting companies",
		func(ctx context.Context, send []*accountv1.CompanyKey) (*accountv1.DeleteCompaniesResponse, error) {
			return a.Companies.DeleteCompanies(ctx, &accountv1.DeleteCompaniesRequest{Keys: send})
		}, nil)
}
