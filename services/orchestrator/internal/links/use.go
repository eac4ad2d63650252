package links

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
)

// Use says, for each parent, which children still reference it ("3 leads, 1 opportunity");
// parents without children are absent.
type Use map[string]string

// InUse returns the 1022 reason for deleting parent, or nil when nothing references it.
// what names the parent, for example "sales person 'x'".
func (u Use) InUse(key, what string) *commonv1.Reason {
	children, ok := u[key]
	if !ok {
		return nil
	}
	return records.Reason(marketo.CodeObjectInUse, "Object in use: %s is still referenced by %s; delete or re-parent them first", what, children)
}

// tally accumulates child counts per parent key.
type tally struct {
	mu     sync.Mutex
	counts map[string]map[string]int32 // parent key → child kind → count
}

func (t *tally) add(kind string, counts []*commonv1.ReferenceCount, key func(*commonv1.ReferenceCount) string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range counts {
		if c.GetCount() == 0 {
			continue
		}
		k := key(c)
		if t.counts[k] == nil {
			t.counts[k] = map[string]int32{}
		}
		t.counts[k][kind] += c.GetCount()
	}
}

func (t *tally) use() Use {
	u := Use{}
	for k, kinds := range t.counts {
		var parts []string
		for kind, n := range kinds {
			noun := kind
			if n != 1 {
				noun = plural(kind)
			}
			parts = append(parts, fmt.Sprintf("%d %s", n, noun))
		}
		sort.Strings(parts)
		u[k] = strings.Join(parts, ", ")
	}
	return u
}

func plural(kind string) string {
	switch kind {
	case "company":
		return "companies"
	case "opportunity":
		return "opportunities"
	}
	return kind + "s"
}

func byExternalID(c *commonv1.ReferenceCount) string { return extid.Key(c.GetExternalId()) }

// SalesPersonUse counts the companies, leads and opportunities each sales person owns.
// Keys of the result are extid keys.
func (c Clients) SalesPersonUse(ctx context.Context, externalIDs []string) (Use, error) {
	t := &tally{counts: map[string]map[string]int32{}}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		r, err := c.Companies.CountCompanyReferences(ctx, &accountv1.CountCompanyReferencesRequest{ExternalSalesPersonIds: externalIDs})
		if err != nil {
			return fmt.Errorf("counting companies per sales person: %w", err)
		}
		t.add("company", r.GetSalesPersons(), byExternalID)
		return nil
	})
	g.Go(func() error {
		r, err := c.Leads.CountLeadReferences(ctx, &personv1.CountLeadReferencesRequest{ExternalSalesPersonIds: externalIDs})
		if err != nil {
			return fmt.Errorf("counting leads per sales person: %w", err)
		}
		t.add("lead", r.GetSalesPersons(), byExternalID)
		return nil
	})
	g.Go(func() error {
		r, err := c.Opportunities.CountOpportunityReferences(ctx, &opportunityv1.CountOpportunityReferencesRequest{ExternalSalesPersonIds: externalIDs})
		if err != nil {
			return fmt.Errorf("counting opportunities per sales person: %w", err)
		}
		t.add("opportunity", r.GetSalesPersons(), byExternalID)
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return t.use(), nil
}

// CompanyUse counts the leads and opportunities of each company (keys: extid keys).
func (c Clients) CompanyUse(ctx context.Context, externalIDs []string) (Use, error) {
	t := &tally{counts: map[string]map[string]int32{}}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		r, err := c.Leads.CountLeadReferences(ctx, &personv1.CountLeadReferencesRequest{ExternalCompanyIds: externalIDs})
		if err != nil {
			return fmt.Errorf("counting leads per company: %w", err)
		}
		t.add("lead", r.GetCompanies(), byExternalID)
		return nil
	})
	g.Go(func() error {
		r, err := c.Opportunities.CountOpportunityReferences(ctx, &opportunityv1.CountOpportunityReferencesRequest{ExternalCompanyIds: externalIDs})
		if err != nil {
			return fmt.Errorf("counting opportunities per company: %w", err)
		}
		t.add("opportunity", r.GetCompanies(), byExternalID)
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return t.use(), nil
}

// OpportunityUse counts the roles of each opportunity (keys: extid keys).
func (c Clients) OpportunityUse(ctx context.Context, externalIDs []string) (Use, error) {
	t := &tally{counts: map[string]map[string]int32{}}
	r, err := c.Roles.CountOpportunityRoleReferences(ctx, &opportunityv1.CountOpportunityRoleReferencesRequest{ExternalOpportunityIds: externalIDs})
	if err != nil {
		return nil, fmt.Errorf("counting roles per opportunity: %w", err)
	}
	t.add("opportunity role", r.GetOpportunities(), byExternalID)
	return t.use(), nil
}

// LeadUse counts the opportunity roles of each lead (keys: the lead id in decimal).
func (c Clients) LeadUse(ctx context.Context, ids []int32) (Use, error) {
	t := &tally{counts: map[string]map[string]int32{}}
	r, err := c.Roles.CountOpportunityRoleReferences(ctx, &opportunityv1.CountOpportunityRoleReferencesRequest{LeadIds: ids})
	if err != nil {
		return nil, fmt.Errorf("counting roles per lead: %w", err)
	}
	t.add("opportunity role", r.GetLeads(), func(c *commonv1.ReferenceCount) string { return fmt.Sprint(c.GetId()) })
	return t.use(), nil
}
