package apply

import (
	"context"

	"google.golang.org/protobuf/proto"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
)

// RoleInput is an opportunity role to write. A sync run may name the lead by its CRM id
// (ExternalPersonID) instead of its msisync leadId; it is resolved here.
type RoleInput struct {
	*opportunityv1.OpportunityRoleInput
	// ExternalPersonID names the lead when LeadId is unset.
	ExternalPersonID string
}

// SyncOpportunityRoles writes roles whose opportunity and lead exist; the others come
// back Missing (1013).
func (a *Applier) SyncOpportunityRoles(ctx context.Context, action commonv1.SyncAction, dedupe commonv1.DedupeBy, inputs []RoleInput) ([]Outcome, error) {
	found, unlock, err := findParents(ctx, a, inputs, roleParents)
	if err != nil {
		return nil, err
	}
	defer unlock()
	b := newBatch[*opportunityv1.OpportunityRoleInput](len(inputs))
	for i, in := range inputs {
		if in.LeadId != nil && in.GetLeadId() == 0 && in.ExternalPersonID == "" {
			// A null or zero leadId names no lead: the key is incomplete.
			b.out[i] = skipped(i, records.Missing("leadId"))
			continue
		}
		if m := roleParents(in).missing(found); m != nil {
			b.out[i].Missing = m
			continue
		}
		b.add(i, in.withLeadID(found))
	}
	return sendBatch(ctx, b, "syncing opportunity roles",
		func(ctx context.Context, send []*opportunityv1.OpportunityRoleInput) (*opportunityv1.SyncOpportunityRolesResponse, error) {
			return a.Roles.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{Action: action, DedupeBy: dedupe, Input: send})
		})
}

// roleParents are a role's lead and opportunity. A lead named by its CRM id is checked
// first; one named by leadId after the opportunity.
func roleParents(in RoleInput) (p parents) {
	if in.LeadId == nil {
		p.external(links.Lead, &in.ExternalPersonID)
	}
	p.external(links.Opportunity, in.ExternalOpportunityId)
	if in.LeadId != nil {
		p.lead(in.GetLeadId())
	}
	return p
}

// withLeadID returns the role to send: with the leadId of the lead its CRM id names, when
// it names its lead that way (a copy: the caller's role is left as it is).
func (in RoleInput) withLeadID(found links.Found) *opportunityv1.OpportunityRoleInput {
	if in.LeadId != nil || in.ExternalPersonID == "" {
		return in.OpportunityRoleInput
	}
	id, _ := found.LeadByExternalID(in.ExternalPersonID)
	role := proto.Clone(in.OpportunityRoleInput).(*opportunityv1.OpportunityRoleInput)
	role.LeadId = &id
	return role
}

// DeleteOpportunityRoles deletes roles (nothing references them).
func (a *Applier) DeleteOpportunityRoles(ctx context.Context, keys []*opportunityv1.OpportunityRoleKey) ([]Outcome, error) {
	resp, err := a.Roles.DeleteOpportunityRoles(ctx, &opportunityv1.DeleteOpportunityRolesRequest{Keys: keys})
	if err != nil {
		return nil, errorf("deleting opportunity roles", err)
	}
	return mergeAll(len(keys), resp.GetResults())
}
