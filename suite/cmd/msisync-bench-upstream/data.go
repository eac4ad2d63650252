package main

import (
	"encoding/json"
	"fmt"

	"github.com/msisync/msisync/suite/internal/suiteproc"
)

// The example mix of docs/upstream.md: a 1M-person initial load.
const (
	mixSalesPersons  = 1_000
	mixCompanies     = 100_000
	mixLeads         = 1_000_000
	mixOpportunities = 200_000
	mixRoles         = 400_000
	mixTotal         = mixSalesPersons + mixCompanies + mixLeads + mixOpportunities + mixRoles
)

// listMax is the most records one list of a sync run may hold.
const listMax = suiteproc.BatchSize

// Opportunity is a CRM opportunity as a sync run takes it.
type Opportunity struct {
	ExternalOpportunityID string `json:"externalOpportunityId"`
	Name                  string `json:"name"`
	ExternalCompanyID     string `json:"externalCompanyId"`
	ExternalSalesPersonID string `json:"externalSalesPersonId"`
	Amount                int    `json:"amount"`
}

// Role is an opportunity role as a sync run takes it, naming its lead by externalPersonId.
type Role struct {
	ExternalOpportunityID string `json:"externalOpportunityId"`
	ExternalPersonID      string `json:"externalPersonId"`
	Role                  string `json:"role"`
	IsPrimary             bool   `json:"isPrimary"`
}

// mix is the generated change set.
type mix struct {
	salesPersons  []suiteproc.SalesPerson
	companies     []suiteproc.Company
	leads         []suiteproc.Lead
	opportunities []Opportunity
	roles         []Role
}

// total is how many records the mix holds.
func (m *mix) total() int {
	return len(m.salesPersons) + len(m.companies) + len(m.leads) + len(m.opportunities) + len(m.roles)
}

// scaleMix splits n records in the proportions of the example mix (at least one of each);
// leads take the rounding.
func scaleMix(n int) (sp, co, le, op, ro int) {
	part := func(w int) int { return max(1, int((int64(n)*int64(w)+mixTotal/2)/mixTotal)) }
	sp, co, op, ro = part(mixSalesPersons), part(mixCompanies), part(mixOpportunities), part(mixRoles)
	return sp, co, n - sp - co - op - ro, op, ro
}

// generateMix builds n records in the example proportions. Each child names a parent at a
// proportional index, never a later one, so that in runs cut by index (see runs) every
// parent comes in the same run as its child or an earlier one. Role i names opportunity
// i·opportunities/roles and lead i.
func generateMix(seed uint64, n int) *mix {
	sp, co, le, op, ro := scaleMix(n)
	rng := suiteproc.NewRand(seed)
	m := &mix{
		salesPersons:  make([]suiteproc.SalesPerson, sp),
		companies:     make([]suiteproc.Company, co),
		leads:         make([]suiteproc.Lead, le),
		opportunities: make([]Opportunity, op),
		roles:         make([]Role, ro),
	}
	for i := range m.salesPersons {
		m.salesPersons[i] = suiteproc.RandomSalesPerson(rng, i)
	}
	for i := range m.companies {
		c := suiteproc.RandomCompany(rng, m.salesPersons, i)
		c.ExternalSalesPersonID = m.salesPersons[i*sp/co].ExternalSalesPersonID
		m.companies[i] = c
	}
	for i := range m.leads {
		l := suiteproc.RandomLead(rng, m.companies, i)
		c := m.companies[i*co/le]
		l.ExternalCompanyID, l.ExternalSalesPersonID = c.ExternalCompanyID, c.ExternalSalesPersonID
		m.leads[i] = l
	}
	for i := range m.opportunities {
		c := m.companies[i*co/op]
		m.opportunities[i] = Opportunity{
			ExternalOpportunityID: suiteproc.MixedGUID(rng),
			Name:                  fmt.Sprintf("Deal %d", i),
			ExternalCompanyID:     c.ExternalCompanyID,
			ExternalSalesPersonID: c.ExternalSalesPersonID,
			Amount:                1000 + rng.IntN(100_000),
		}
	}
	roleNames := []string{"Economic Buyer", "Technical Buyer", "Decision Maker", "Influencer"}
	for i := range m.roles {
		m.roles[i] = Role{
			ExternalOpportunityID: m.opportunities[i*op/ro].ExternalOpportunityID,
			ExternalPersonID:      m.leads[i%le].ExternalPersonID,
			Role:                  roleNames[i%len(roleNames)],
			IsPrimary:             i*op/ro != (i-1)*op/ro || i == 0,
		}
	}
	return m
}

// runBody is one POST /v1/syncs change set.
type runBody struct {
	SalesPersons  []suiteproc.SalesPerson `json:"salesPersons,omitempty"`
	Companies     []suiteproc.Company     `json:"companies,omitempty"`
	Leads         []suiteproc.Lead        `json:"leads,omitempty"`
	Opportunities []Opportunity           `json:"opportunities,omitempty"`
	Roles         []Role                  `json:"opportunityRoles,omitempty"`
	RequestID     string                  `json:"requestId"`
}

// chunk returns the k-th slice of listMax records of s (empty past its end).
func chunk[T any](s []T, k int) []T {
	lo := min(len(s), k*listMax)
	return s[lo:min(len(s), lo+listMax)]
}

// runs cuts the mix into encoded sync runs: run k holds the k-th listMax records of every
// list (a sync run takes at most listMax per list), and the number of records in each.
func (m *mix) runs(seed uint64) ([][]byte, []int, error) {
	n := (max(len(m.salesPersons), len(m.companies), len(m.leads), len(m.opportunities), len(m.roles)) + listMax - 1) / listMax
	bodies, sizes := make([][]byte, n), make([]int, n)
	for k := range n {
		b := runBody{
			SalesPersons: chunk(m.salesPersons, k), Companies: chunk(m.companies, k), Leads: chunk(m.leads, k),
			Opportunities: chunk(m.opportunities, k), Roles: chunk(m.roles, k),
			RequestID: fmt.Sprintf("bench-upstream-%d-%d", seed, k),
		}
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, nil, err
		}
		bodies[k] = raw
		sizes[k] = len(b.SalesPersons) + len(b.Companies) + len(b.Leads) + len(b.Opportunities) + len(b.Roles)
	}
	return bodies, sizes, nil
}
