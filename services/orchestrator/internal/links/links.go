// Package links checks the links between records across services: that the parents a
// batch names exist (one batched lookup per parent kind, never one per record), and which
// parents still have children (so that deleting them can be refused with 1022).
package links

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
)

// Clients are the services that own the records.
type Clients struct {
	SalesPersons  identityv1.SalesPersonServiceClient
	Companies     accountv1.CompanyServiceClient
	Leads         personv1.LeadServiceClient
	Opportunities opportunityv1.OpportunityServiceClient
	Roles         opportunityv1.OpportunityRoleServiceClient
}

// Kind names a kind of parent record.
type Kind string

// The parent kinds, in sync order.
const (
	SalesPerson Kind = "salesPerson"
	Company     Kind = "company"
	Lead        Kind = "lead"
	Opportunity Kind = "opportunity"
)

// Wanted collects the parents a batch names. The zero value is ready to use.
type Wanted struct {
	salesPersons, companies, opportunities, leadsByExternal map[string]string // key → as given
	leadIDs                                                 map[int32]bool
}

func add(m *map[string]string, raw string) {
	k := extid.Key(raw)
	if k == "" {
		return
	}
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = raw
}

// SalesPerson asks for the sales person with the external id.
func (w *Wanted) SalesPerson(externalID string) { add(&w.salesPersons, externalID) }

// Company asks for the company with the external id.
func (w *Wanted) Company(externalID string) { add(&w.companies, externalID) }

// Opportunity asks for the opportunity with the external id.
func (w *Wanted) Opportunity(externalID string) { add(&w.opportunities, externalID) }

// LeadByExternalID asks for the lead with the external person id (its leadId is resolved).
func (w *Wanted) LeadByExternalID(externalID string) { add(&w.leadsByExternal, externalID) }

// LeadID asks for the lead with the msisync id.
func (w *Wanted) LeadID(id int32) {
	if w.leadIDs == nil {
		w.leadIDs = map[int32]bool{}
	}
	w.leadIDs[id] = true
}

// Found says which wanted parents exist.
type Found struct {
	salesPersons, companies, opportunities map[string]bool
	leadIDs                                map[int32]bool
	leadsByExternal                        map[string]int32
}

// SalesPerson reports whether the sales person exists.
func (f Found) SalesPerson(externalID string) bool { return f.salesPersons[extid.Key(externalID)] }

// Company reports whether the company exists.
func (f Found) Company(externalID string) bool { return f.companies[extid.Key(externalID)] }

// Opportunity reports whether the opportunity exists.
func (f Found) Opportunity(externalID string) bool { return f.opportunities[extid.Key(externalID)] }

// LeadID reports whether the lead exists.
func (f Found) LeadID(id int32) bool { return f.leadIDs[id] }

// LeadByExternalID returns the id of the lead with the external person id.
func (f Found) LeadByExternalID(externalID string) (int32, bool) {
	id, ok := f.leadsByExternal[extid.Key(externalID)]
	return id, ok
}

// Resolve looks up every wanted parent: one batched call per kind, run concurrently.
func (c Clients) Resolve(ctx context.Context, w Wanted) (Found, error) {
	f := Found{salesPersons: map[string]bool{}, companies: map[string]bool{}, opportunities: map[string]bool{}, leadIDs: map[int32]bool{}, leadsByExternal: map[string]int32{}}
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	if len(w.salesPersons) > 0 {
		g.Go(func() error {
			var keys []*identityv1.SalesPersonKey
			for _, raw := range w.salesPersons {
				keys = append(keys, &identityv1.SalesPersonKey{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: raw}})
			}
			resp, err := c.SalesPersons.BatchGetSalesPersons(ctx, &identityv1.BatchGetSalesPersonsRequest{Keys: keys})
			if err != nil {
				return fmt.Errorf("looking up sales persons: %w", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, p := range resp.GetSalesPersons() {
				f.salesPersons[extid.Key(p.GetExternalSalesPersonId())] = true
			}
			return nil
		})
	}
	if len(w.companies) > 0 {
		g.Go(func() error {
			var keys []*accountv1.CompanyKey
			for _, raw := range w.companies {
				keys = append(keys, &accountv1.CompanyKey{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: raw}})
			}
			resp, err := c.Companies.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: keys})
			if err != nil {
				return fmt.Errorf("looking up companies: %w", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, co := range resp.GetCompanies() {
				f.companies[extid.Key(co.GetExternalCompanyId())] = true
			}
			return nil
		})
	}
	if len(w.opportunities) > 0 {
		g.Go(func() error {
			var keys []*opportunityv1.OpportunityKey
			for _, raw := range w.opportunities {
				keys = append(keys, &opportunityv1.OpportunityKey{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: raw}})
			}
			resp, err := c.Opportunities.BatchGetOpportunities(ctx, &opportunityv1.BatchGetOpportunitiesRequest{Keys: keys})
			if err != nil {
				return fmt.Errorf("looking up opportunities: %w", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, o := range resp.GetOpportunities() {
				f.opportunities[extid.Key(o.GetExternalOpportunityId())] = true
			}
			return nil
		})
	}
	if len(w.leadIDs) > 0 || len(w.leadsByExternal) > 0 {
		g.Go(func() error {
			var keys []*personv1.LeadKey
			for id := range w.leadIDs {
				keys = append(keys, &personv1.LeadKey{Key: &personv1.LeadKey_Id{Id: id}})
			}
			for _, raw := range w.leadsByExternal {
				keys = append(keys, &personv1.LeadKey{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: raw}})
			}
			// Only the id and the CRM id are needed to say a lead exists.
			resp, err := c.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: keys, ReadFields: []string{"external_person_id"}})
			if err != nil {
				return fmt.Errorf("looking up leads: %w", err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, l := range resp.GetLeads() {
				f.leadIDs[l.GetId()] = true
				if k := extid.Key(l.GetExternalPersonId()); k != "" {
					f.leadsByExternal[k] = l.GetId()
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Found{}, err
	}
	return f, nil
}

// Missing is a parent a record names that is not synced yet.
type Missing struct {
	// Kind is the parent's kind.
	Kind Kind
	// Key is the parent's id as the record gave it (an external id, or a lead id).
	Key string
	// Reason is the Marketo reason a record naming it is skipped with.
	Reason *commonv1.Reason
}

// MissingSalesPerson is an unknown externalSalesPersonId: Marketo's 718.
func MissingSalesPerson(externalID string) *Missing {
	return &Missing{Kind: SalesPerson, Key: externalID, Reason: records.Reason(marketo.CodeSalesPersonNotFound,
		"ExternalSalesPersonID not found: externalSalesPersonId '%s' is not synced; sync the sales person first", externalID)}
}

// MissingCompany is an unknown externalCompanyId: 1013.
func MissingCompany(externalID string) *Missing {
	return &Missing{Kind: Company, Key: externalID, Reason: records.Reason(marketo.CodeObjectNotFound,
		"Object not found: externalCompanyId '%s' is not synced; sync the company first", externalID)}
}

// MissingOpportunity is an unknown externalOpportunityId: 1013.
func MissingOpportunity(externalID string) *Missing {
	return &Missing{Kind: Opportunity, Key: externalID, Reason: records.Reason(marketo.CodeObjectNotFound,
		"Object not found: externalOpportunityId '%s' is not synced; sync the opportunity first", externalID)}
}

// MissingLeadID is an unknown leadId: 1013.
func MissingLeadID(id int32) *Missing {
	return &Missing{Kind: Lead, Key: fmt.Sprint(id), Reason: records.Reason(marketo.CodeObjectNotFound,
		"Object not found: leadId %d is not a lead; sync the lead first", id)}
}

// MissingLeadByExternalID is an unknown externalPersonId: 1013.
func MissingLeadByExternalID(externalID string) *Missing {
	return &Missing{Kind: Lead, Key: externalID, Reason: records.Reason(marketo.CodeObjectNotFound,
		"Object not found: externalPersonId '%s' is not synced; sync the lead first", externalID)}
}
