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
	var w links.Wanted
	var parents lockSet
	for _, in := range inputs {
		if present(in.ExternalOpportunityId) {
			w.Opportunity(in.GetExternalOpportunityId())
			parents.add(links.Opportunity, in.GetExternalOpportunityId())
		}
		switch {
		case in.LeadId != nil:
			w.LeadID(in.GetLeadId())
			parents.addLeadID(in.GetLeadId())
		case in.ExternalPersonID != "":
			w.LeadByExternalID(in.ExternalPersonID)
			parents.add(links.Lead, in.ExternalPersonID)
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
	var send []*opportunityv1.OpportunityRoleInput
	var sent []int
	for i, in := range inputs {
		role := in.OpportunityRoleInput
		if in.LeadId != nil && in.GetLeadId() == 0 && in.ExternalPersonID == "" {
			// A null or zero leadId names no lead: the key is incomplete.
			out[i] = skipped(i, records.Missing("leadId"))
			continue
		}
		if in.LeadId == nil && in.ExternalPersonID != "" {
			id, ok := found.LeadByExternalID(in.ExternalPersonID)
			if !ok {
				out[i].Missing = links.MissingLeadByExternalID(in.ExternalPersonID)
				continue
			}
			role = cloneRole(role)
			role.LeadId = &id
		}
		switch {
		case present(in.ExternalOpportunityId) && !found.Opportunity(in.GetExternalOpportunityId()):
			out[i].Missing = links.MissingOpportunity(in.GetExternalOpportunityId())
		case role.LeadId != nil && !found.LeadID(role.GetLeadId()):
			out[i].Missing = links.MissingLeadID(role.GetLeadId())
		default:
			send = append(send, role)
			sent = append(sent, i)
		}
	}
	if len(send) == 0 {
		return out, nil
	}
	resp, err := a.Roles.SyncOpportunityRoles(ctx, &opportunityv1.SyncOpportunityRolesRequest{Action: action, DedupeBy: dedupe, Input: send})
	if err != nil {
		return nil, errorf("syncing opportunity roles", err)
	}
	return out, merge(out, sent, resp.GetResults())
}

// DeleteOpportunityRoles deletes roles (nothing references them).
func (a *Applier) DeleteOpportunityRoles(ctx context.Context, keys []*opportunityv1.OpportunityRoleKey) ([]Outcome, error) {
	out := make([]Outcome, len(keys))
	resp, err := a.Roles.DeleteOpportunityRoles(ctx, &opportunityv1.DeleteOpportunityRolesRequest{Keys: keys})
	if err != nil {
		return nil, errorf("deleting opportunity roles", err)
	}
	sent := make([]int, len(keys))
	for i := range sent {
		sent[i] = i
	}
	return out, merge(out, sent, resp.GetResults())
}

func cloneRole(r *opportunityv1.OpportunityRoleInput) *opportunityv1.OpportunityRoleInput {
	return proto.Clone(r).(*opportunityv1.OpportunityRoleInput)
}
