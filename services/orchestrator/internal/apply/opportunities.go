package apply

import (
	"context"
	"strings"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// keyOf is the match key of an external id.
func keyOf(externalID string) string { return extid.Key(externalID) }

// SyncOpportunities writes opportunities whose company and owner exist; the others come
// back Missing (718 for the owner, 1013 for the company).
func (a *Applier) SyncOpportunities(ctx context.Context, action commonv1.SyncAction, dedupe commonv1.DedupeBy, inputs []*opportunityv1.OpportunityInput) ([]Outcome, error) {
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
	var send []*opportunityv1.OpportunityInput
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
	resp, err := a.Opportunities.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{Action: action, DedupeBy: dedupe, Input: send})
	if err != nil {
		return nil, errorf("syncing opportunities", err)
	}
	return out, merge(out, sent, resp.GetResults())
}

// DeleteOpportunities deletes opportunities without roles; the others are skipped with
// 1022.
func (a *Applier) DeleteOpportunities(ctx context.Context, keys []*opportunityv1.OpportunityKey) ([]Outcome, error) {
	got, err := a.Opportunities.BatchGetOpportunities(ctx, &opportunityv1.BatchGetOpportunitiesRequest{Keys: keys})
	if err != nil {
		return nil, errorf("looking up opportunities", err)
	}
	byGUID := map[string]string{}
	guidByKey := map[string]string{}
	var ext []string
	var deleted lockSet
	for _, k := range keys {
		deleted.add(links.Opportunity, k.GetExternalOpportunityId())
	}
	for _, o := range got.GetOpportunities() {
		byGUID[o.GetMarketoGuid()] = o.GetExternalOpportunityId()
		guidByKey[keyOf(o.GetExternalOpportunityId())] = o.GetMarketoGuid()
		ext = append(ext, o.GetExternalOpportunityId())
		deleted.add(links.Opportunity, o.GetExternalOpportunityId())
	}
	unlock, err := a.lockDeleted(ctx, deleted)
	if err != nil {
		return nil, err
	}
	defer unlock()
	use := links.Use{}
	if len(ext) > 0 {
		if use, err = a.OpportunityUse(ctx, ext); err != nil {
			return nil, err
		}
	}
	out := make([]Outcome, len(keys))
	var send []*opportunityv1.OpportunityKey
	var sent []int
	for i, k := range keys {
		e := k.GetExternalOpportunityId()
		if g := k.GetMarketoGuid(); g != "" {
			e = byGUID[strings.ToLower(strings.Trim(g, "{}"))]
		}
		if why := use.InUse(keyOf(e), "opportunity '"+e+"'"); e != "" && why != nil {
			out[i] = inUse(i, why, 0, guidByKey[keyOf(e)])
			continue
		}
		send = append(send, k)
		sent = append(sent, i)
	}
	if len(send) == 0 {
		return out, nil
	}
	resp, err := a.Opportunities.DeleteOpportunities(ctx, &opportunityv1.DeleteOpportunitiesRequest{Keys: send})
	if err != nil {
		return nil, errorf("deleting opportunities", err)
	}
	return out, merge(out, sent, resp.GetResults())
}
