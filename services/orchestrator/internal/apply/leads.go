package apply

import (
	"context"
	"fmt"

	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// SyncLeads writes leads whose owner and company exist (when they name them); the others
// come back Missing.
func (a *Applier) SyncLeads(ctx context.Context, req *personv1.SyncLeadsRequest) ([]Outcome, error) {
	inputs := req.GetInput()
	var w links.Wanted
	for _, in := range inputs {
		if present(in.ExternalSalesPersonId) {
			w.SalesPerson(in.GetExternalSalesPersonId())
		}
		if present(in.ExternalCompanyId) {
			w.Company(in.GetExternalCompanyId())
		}
	}
	found, err := a.Resolve(ctx, w)
	if err != nil {
		return nil, err
	}
	out := make([]Outcome, len(inputs))
	var send []*personv1.LeadInput
	var sent []int
	for i, in := range inputs {
		switch {
		case present(in.ExternalSalesPersonId) && !found.SalesPerson(in.GetExternalSalesPersonId()):
			out[i].Missing = links.MissingSalesPerson(in.GetExternalSalesPersonId())
		case present(in.ExternalCompanyId) && !found.Company(in.GetExternalCompanyId()):
			out[i].Missing = links.MissingCompany(in.GetExternalCompanyId())
		default:
			send = append(send, in)
			sent = append(sent, i)
		}
	}
	if len(send) == 0 {
		return out, nil
	}
	resp, err := a.Leads.SyncLeads(ctx, &personv1.SyncLeadsRequest{Action: req.GetAction(), LookupField: req.GetLookupField(), CreateDuplicate: req.GetCreateDuplicate(), Input: send})
	if err != nil {
		return nil, errorf("syncing leads", err)
	}
	return out, merge(out, sent, resp.GetResults())
}

// DeleteLeads deletes leads that have no opportunity role; the others are skipped with
// 1022.
func (a *Applier) DeleteLeads(ctx context.Context, keys []*personv1.LeadKey) ([]Outcome, error) {
	got, err := a.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: keys})
	if err != nil {
		return nil, errorf("looking up leads", err)
	}
	idByExternal := map[string]int32{}
	var ids []int32
	for _, l := range got.GetLeads() {
		ids = append(ids, l.GetId())
		if l.GetExternalPersonId() != "" {
			idByExternal[keyOf(l.GetExternalPersonId())] = l.GetId()
		}
	}
	use := links.Use{}
	if len(ids) > 0 {
		if use, err = a.LeadUse(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]Outcome, len(keys))
	var send []*personv1.LeadKey
	var sent []int
	for i, k := range keys {
		id := k.GetId()
		if e := k.GetExternalPersonId(); e != "" {
			id = idByExternal[keyOf(e)]
		}
		if why := use.InUse(fmt.Sprint(id), fmt.Sprintf("lead %d", id)); id != 0 && why != nil {
			out[i] = inUse(i, why, id, "")
			continue
		}
		send = append(send, k)
		sent = append(sent, i)
	}
	if len(send) == 0 {
		return out, nil
	}
	resp, err := a.Leads.DeleteLeads(ctx, &personv1.DeleteLeadsRequest{Keys: send})
	if err != nil {
		return nil, errorf("deleting leads", err)
	}
	return out, merge(out, sent, resp.GetResults())
}
