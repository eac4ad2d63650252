package apply

import (
	"context"
	"strings"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// SyncOpportunities writes opportunities whose company and owner exist; the others come
// back Missing (718 for the owner, 1013 for the company).
func (a *Applier) SyncOpportunities(ctx context.Context, action commonv1.SyncAction, dedupe commonv1.DedupeBy, inputs []*opportunityv1.OpportunityInput) ([]Outcome, error) {
	return syncNamed(ctx, a, inputs, opportunityParents, "syncing opportunities",
		func(ctx context.Context, send []*opportunityv1.OpportunityInput) (*opportunityv1.SyncOpportunitiesResponse, error) {
			return a.Opportunities.SyncOpportunities(ctx, &opportunityv1.SyncOpportunitiesRequest{Action: action, DedupeBy: dedupe, Input: send})
		}, nil)
}

// opportunityParents are an opportunity's owner and company, when it names them.
func opportunityParents(in *opportunityv1.OpportunityInput) (p parents) {
	p.external(links.SalesPerson, in.ExternalSalesPersonId)
	p.external(links.Company, in.ExternalCompanyId)
	return p
}

// DeleteOpportunities deletes opportunities without roles; the others are skipped with
// 1022.
func (a *Applier) DeleteOpportunities(ctx context.Context, keys []*opportunityv1.OpportunityKey) ([]Outcome, error) {
	got, err := a.Opportunities.BatchGetOpportunities(ctx, &opportunityv1.BatchGetOpportunitiesRequest{Keys: keys})
	if err != nil {
		return nil, errorf("looking up opportunities", err)
	}
	d := newByExternalID[string](links.Opportunity, "opportunity", a.OpportunityUse)
	for _, o := range got.GetOpportunities() {
		d.record(o.GetMarketoGuid(), o.GetExternalOpportunityId())
	}
	for _, k := range keys {
		if g := k.GetMarketoGuid(); g != "" {
			d.keyID(strings.ToLower(strings.Trim(g, "{}")))
		} else {
			d.keyExternalID(k.GetExternalOpportunityId())
		}
	}
	return deleteUnused(ctx, a, keys, &d.deletes, "deleting opportunities",
		func(ctx context.Context, send []*opportunityv1.OpportunityKey) (*opportunityv1.DeleteOpportunitiesResponse, error) {
			return a.Opportunities.DeleteOpportunities(ctx, &opportunityv1.DeleteOpportunitiesRequest{Keys: send})
		}, nil)
}
