package apply

import (
	"context"
	"fmt"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// SyncLeads writes leads whose owner and company exist (when they name them); the others
// come back Missing.
func (a *Applier) SyncLeads(ctx context.Context, req *personv1.SyncLeadsRequest) ([]Outcome, error) {
	inputs := req.GetInput()
	var w links.Wanted
	var parents lockSet
	for _, in := range inputs {
		if present(in.ExternalSalesPersonId) {
			w.SalesPerson(in.GetExternalSalesPersonId())
			parents.add(links.SalesPerson, in.GetExternalSalesPersonId())
		}
		if present(in.ExternalCompanyId) {
			w.Company(in.GetExternalCompanyId())
			parents.add(links.Company, in.GetExternalCompanyId())
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
	if err := merge(out, sent, resp.GetResults()); err != nil {
		return nil, err
	}
	return out, a.linkLeads(ctx, out)
}

// linkFields are the lead columns a scoring link needs (the id is always read).
var linkFields = []string{"external_person_id", "external_sales_person_id"}

// linkLeads tells the scoring service the current CRM id and owner of every lead the batch
// created or updated: one read of the leads, one write of the links.
func (a *Applier) linkLeads(ctx context.Context, out []Outcome) error {
	if a.Scoring == nil {
		return nil
	}
	var keys []*personv1.LeadKey
	for _, o := range out {
		switch o.Result.GetStatus() {
		case commonv1.RecordStatus_RECORD_STATUS_CREATED, commonv1.RecordStatus_RECORD_STATUS_UPDATED:
			keys = append(keys, &personv1.LeadKey{Key: &personv1.LeadKey_Id{Id: o.Result.GetId()}})
		}
	}
	if len(keys) == 0 {
		return nil
	}
	got, err := a.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: keys, ReadFields: linkFields})
	if err != nil {
		return errorf("reading the synced leads", err)
	}
	linksOut := make([]*scoringv1.LeadLink, len(got.GetLeads()))
	for i, l := range got.GetLeads() {
		linksOut[i] = &scoringv1.LeadLink{LeadId: l.GetId(), ExternalPersonId: l.GetExternalPersonId(), ExternalSalesPersonId: l.GetExternalSalesPersonId()}
	}
	if _, err := a.Scoring.SyncLeadLinks(ctx, &scoringv1.SyncLeadLinksRequest{Links: linksOut}); err != nil {
		return errorf("linking the leads for scoring", err)
	}
	return nil
}

// DeleteLeads deletes leads that have no opportunity role; the others are skipped with
// 1022.
func (a *Applier) DeleteLeads(ctx context.Context, keys []*personv1.LeadKey) ([]Outcome, error) {
	got, err := a.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: keys, ReadFields: []string{"external_person_id"}})
	if err != nil {
		return nil, errorf("looking up leads", err)
	}
	idByExternal := map[string]int32{}
	var ids []int32
	var deleted lockSet
	for _, k := range keys {
		deleted.add(links.Lead, k.GetExternalPersonId())
		deleted.addLeadID(k.GetId())
	}
	for _, l := range got.GetLeads() {
		ids = append(ids, l.GetId())
		if l.GetExternalPersonId() != "" {
			idByExternal[keyOf(l.GetExternalPersonId())] = l.GetId()
		}
		deleted.add(links.Lead, l.GetExternalPersonId())
		deleted.addLeadID(l.GetId())
	}
	unlock, err := a.lockDeleted(ctx, deleted)
	if err != nil {
		return nil, err
	}
	defer unlock()
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
	if err := merge(out, sent, resp.GetResults()); err != nil {
		return nil, err
	}
	return out, a.unlinkLeads(ctx, out)
}

// unlinkLeads makes the scoring service forget the leads the batch deleted.
func (a *Applier) unlinkLeads(ctx context.Context, out []Outcome) error {
	if a.Scoring == nil {
		return nil
	}
	var ids []int32
	for _, o := range out {
		if o.Result.GetStatus() == commonv1.RecordStatus_RECORD_STATUS_DELETED {
			ids = append(ids, o.Result.GetId())
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := a.Scoring.DeleteLeadLinks(ctx, &scoringv1.DeleteLeadLinksRequest{LeadIds: ids}); err != nil {
		return errorf("unlinking the deleted leads from scoring", err)
	}
	return nil
}
