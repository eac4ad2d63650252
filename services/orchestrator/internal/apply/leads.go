package apply

import (
	"context"
	"fmt"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// SyncLeads writes leads whose owner and company exist (when they name them); the others
// come back Missing.
func (a *Applier) SyncLeads(ctx context.Context, req *personv1.SyncLeadsRequest) ([]Outcome, error) {
	return syncNamed(ctx, a, req.GetInput(), leadParents, "syncing leads",
		func(ctx context.Context, send []*personv1.LeadInput) (*personv1.SyncLeadsResponse, error) {
			return a.Leads.SyncLeads(ctx, &personv1.SyncLeadsRequest{Action: req.GetAction(), LookupField: req.GetLookupField(), CreateDuplicate: req.GetCreateDuplicate(), Input: send})
		}, a.linkLeads)
}

// leadParents are a lead's owner and company, when it names them.
func leadParents(in *personv1.LeadInput) (p parents) {
	p.external(links.SalesPerson, in.ExternalSalesPersonId)
	p.external(links.Company, in.ExternalCompanyId)
	return p
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
	d := &deletes[int32]{count: a.LeadUse}
	idByExternal := map[string]int32{}
	for _, l := range got.GetLeads() {
		d.found = append(d.found, l.GetId())
		if l.GetExternalPersonId() != "" {
			idByExternal[extid.Key(l.GetExternalPersonId())] = l.GetId()
		}
		d.locks.addLead(l.GetId(), l.GetExternalPersonId())
	}
	for _, k := range keys {
		d.locks.addLead(k.GetId(), k.GetExternalPersonId())
		id := k.GetId()
		if e := k.GetExternalPersonId(); e != "" {
			id = idByExternal[extid.Key(e)]
		}
		d.targets = append(d.targets, leadTarget(id))
	}
	return deleteUnused(ctx, a, keys, d, "deleting leads",
		func(ctx context.Context, send []*personv1.LeadKey) (*personv1.DeleteLeadsResponse, error) {
			return a.Leads.DeleteLeads(ctx, &personv1.DeleteLeadsRequest{Keys: send})
		}, a.unlinkLeads)
}

// leadTarget is the lead with the id (0 for none), as a delete checks its roles.
func leadTarget(id int32) target {
	if id == 0 {
		return target{}
	}
	return target{use: fmt.Sprint(id), what: fmt.Sprintf("lead %d", id), id: id}
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
