package apply

import (
	"context"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// SyncCompanies writes companies whose owner exists; the others come back Missing.
func (a *Applier) SyncCompanies(ctx context.Context, action commonv1.SyncAction, dedupe commonv1.DedupeBy, inputs []*accountv1.CompanyInput) ([]Outcome, error) {
	var w links.Wanted
	var parents lockSet
	for _, in := range inputs {
		if present(in.ExternalSalesPersonId) {
			w.SalesPerson(in.GetExternalSalesPersonId())
			parents.add(links.SalesPerson, in.GetExternalSalesPersonId())
		}
	}
	unlock, err := a.lockParents(ctx, parents)
	if err != nil {
		return nil, err
	}
	defer unlock()
	found, err := a.Resolve(ctx, w)
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, len(inputs))
	var send []*accountv1.CompanyInput
	var sent []int
	for i, in := range inputs {
		if present(in.ExternalSalesPersonId) && !found.SalesPerson(in.GetExternalSalesPersonId()) {
			out[i].Missing = links.MissingSalesPerson(in.GetExternalSalesPersonId())
			continue
		}
		send = append(send, in)
		sent = append(sent, i)
	}
	if len(send) == 0 {
		return out, nil
	}
	resp, err := a.Companies.SyncCompanies(ctx, &accountv1.SyncCompaniesRequest{Action: action, DedupeBy: dedupe, Input: send})
	if err != nil {
		return nil, errorf("syncing companies", err)
	}
	return out, merge(out, sent, resp.GetResults())
}

// DeleteCompanies deletes companies that no lead or opportunity references; the others
// are skipped with 1022.
func (a *Applier) DeleteCompanies(ctx context.Context, keys []*accountv1.CompanyKey) ([]Outcome, error) {
	got, err := a.Companies.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: keys})
	if err != nil {
		return nil, errorf("looking up companies", err)
	}
	byID := map[int32]string{}
	idByKey := map[string]int32{}
	var ext []string
	var deleted lockSet
	for _, k := range keys {
		deleted.add(links.Company, k.GetExternalCompanyId())
	}
	for _, c := range got.GetCompanies() {
		byID[c.GetId()] = c.GetExternalCompanyId()
		idByKey[extid.Key(c.GetExternalCompanyId())] = c.GetId()
		ext = append(ext, c.GetExternalCompanyId())
		deleted.add(links.Company, c.GetExternalCompanyId())
	}
	unlock, err := a.lockDeleted(ctx, deleted)
	if err != nil {
		return nil, err
	}
	defer unlock()
	use := links.Use{}
	if len(ext) > 0 {
		if use, err = a.CompanyUse(ctx, ext); err != nil {
			return nil, err
		}
	}
	out := make([]Outcome, len(keys))
	var send []*accountv1.CompanyKey
	var sent []int
	for i, k := range keys {
		e := k.GetExternalCompanyId()
		if id, ok := k.GetKey().(*accountv1.CompanyKey_Id); ok {
			e = byID[id.Id]
		}
		if why := use.InUse(extid.Key(e), "company '"+e+"'"); e != "" && why != nil {
			out[i] = inUse(i, why, idByKey[extid.Key(e)], "")
			continue
		}
		send = append(send, k)
		sent = append(sent, i)
	}
	if len(send) == 0 {
		return out, nil
	}
	resp, err := a.Companies.DeleteCompanies(ctx, &accountv1.DeleteCompaniesRequest{Keys: send})
	if err != nil {
		return nil, errorf("deleting companies", err)
	}
	return out, merge(out, sent, resp.GetResults())
}
