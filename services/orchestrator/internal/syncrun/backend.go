// Package syncrun implements msisync's sync runs (msisync.orchestrator.v1.SyncRunService):
// a CRM change set of any mix of the five object types is stored durably, then applied by
// a worker in dependency order (sales persons, companies, leads, opportunities, roles). A
// record whose parent is missing is parked with its reason and released — made pending
// again and applied in order — as soon as the parent is applied by any run (or, found by
// the periodic sweep, by any other route such as the Marketo API). Parked records expire
// to the dead-letter list after the configured time; people retry or drop them.
//
// Everything that must hold across replicas lives in the store: runs are claimed with a
// lease, so a killed worker's run is resumed by the next worker once the lease ends.
package syncrun

import (
	"context"
	"strconv"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Backend is what the engine writes through: the batch writes of *apply.Applier (a
// record whose parent is missing comes back with Outcome.Missing) and a check of which
// parents exist. FromApplier adapts an *apply.Applier.
type Backend interface {
	// SyncSalesPersons is apply.Applier.SyncSalesPersons.
	SyncSalesPersons(ctx context.Context, req *identityv1.SyncSalesPersonsRequest) ([]apply.Outcome, error)
	// SyncCompanies is apply.Applier.SyncCompanies.
	SyncCompanies(ctx context.Context, action commonv1.SyncAction, dedupe commonv1.DedupeBy, inputs []*accountv1.CompanyInput) ([]apply.Outcome, error)
	// SyncLeads is apply.Applier.SyncLeads.
	SyncLeads(ctx context.Context, req *personv1.SyncLeadsRequest) ([]apply.Outcome, error)
	// SyncOpportunities is apply.Applier.SyncOpportunities.
	SyncOpportunities(ctx context.Context, action commonv1.SyncAction, dedupe commonv1.DedupeBy, inputs []*opportunityv1.OpportunityInput) ([]apply.Outcome, error)
	// SyncOpportunityRoles is apply.Applier.SyncOpportunityRoles.
	SyncOpportunityRoles(ctx context.Context, action commonv1.SyncAction, dedupe commonv1.DedupeBy, inputs []apply.RoleInput) ([]apply.Outcome, error)
	// ParentsExist reports, for each parent (in order), whether it is synced now.
	ParentsExist(ctx context.Context, parents []store.ParkedParent) ([]bool, error)
}

// FromApplier returns the Backend over the owning services.
func FromApplier(a *apply.Applier) Backend { return applierBackend{a} }

type applierBackend struct{ *apply.Applier }

// The kinds of parents a parked record waits for (store.Parent.Kind).
const (
	kindSalesPerson = string(links.SalesPerson)
	kindCompany     = string(links.Company)
	kindLead        = string(links.Lead) // by externalPersonId
	kindLeadID      = "leadId"           // by msisync lead id
	kindOpportunity = string(links.Opportunity)
)

// ParentsExist implements Backend with one batched lookup per parent kind.
func (b applierBackend) ParentsExist(ctx context.Context, parents []store.ParkedParent) ([]bool, error) {
	var w links.Wanted
	for _, p := range parents {
		switch p.Kind {
		case kindSalesPerson:
			w.SalesPerson(p.Display)
		case kindCompany:
			w.Company(p.Display)
		case kindOpportunity:
			w.Opportunity(p.Display)
		case kindLead:
			w.LeadByExternalID(p.Display)
		case kindLeadID:
			if id, err := strconv.ParseInt(p.Key, 10, 32); err == nil {
				w.LeadID(int32(id))
			}
		}
	}
	found, err := b.Resolve(ctx, w)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(parents))
	for i, p := range parents {
		switch p.Kind {
		case kindSalesPerson:
			out[i] = found.SalesPerson(p.Display)
		case kindCompany:
			out[i] = found.Company(p.Display)
		case kindOpportunity:
			out[i] = found.Opportunity(p.Display)
		case kindLead:
			_, out[i] = found.LeadByExternalID(p.Display)
		case kindLeadID:
			if id, err := strconv.ParseInt(p.Key, 10, 32); err == nil {
				out[i] = found.LeadID(int32(id))
			}
		}
	}
	return out, nil
}
