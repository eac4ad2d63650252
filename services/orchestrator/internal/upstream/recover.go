package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Recover resolves the fences created before before: writes whose writer died or failed
// between its local write and the mark. It marks every record a fence's keys name now,
// locally or in Marketo; the forwarder then sends whatever the local state is, so a write
// that committed is delivered and one that did not changes nothing. A fence it cannot
// resolve (an entity service down) stays for the next run, and the others are resolved.
func Recover(ctx context.Context, st store.UpstreamStore, c links.Clients, before, now time.Time, log *slog.Logger) error {
	var errs []error
	for after := int64(0); ; {
		fences, err := st.StaleUpstreamWrites(ctx, before, after, 20)
		if err != nil || len(fences) == 0 {
			return errors.Join(append(errs, err)...)
		}
		for _, fence := range fences {
			after = fence.ID
			keys, err := resolve(ctx, st, c, fence.Keys)
			if err == nil {
				err = st.EndUpstreamWrite(ctx, fence.ID, keys, now)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("resolving the write fenced by %s at %s: %w", fence.Owner, fence.CreatedAt.Format(time.RFC3339), err))
				continue
			}
			log.Info("resolved an interrupted write", "owner", fence.Owner, "at", fence.CreatedAt, "keys", len(fence.Keys), "marked", len(keys))
		}
	}
}

// resolve finds the records the fence keys name: by msisync id as they are, by external id
// or email through the owning service, and, for records deleted since, through what
// Marketo holds.
func resolve(ctx context.Context, st store.UpstreamStore, c links.Clients, keys []store.FenceKey) ([]store.UpstreamKey, error) {
	var out []store.UpstreamKey
	type group struct {
		obj  store.UpstreamObject
		kind string
	}
	values := map[group][]string{}
	for _, k := range keys {
		if k.Kind == byID {
			out = append(out, store.UpstreamKey{Object: k.Object, LocalID: k.Value})
			continue
		}
		g := group{k.Object, k.Kind}
		values[g] = append(values[g], k.Value)
	}
	for g, vals := range values {
		for chunk := range slices.Chunk(vals, 300) {
			ids, err := lookup(ctx, c, g.obj, g.kind, chunk)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				out = append(out, store.UpstreamKey{Object: g.obj, LocalID: id})
			}
			if g.kind == byEmail {
				continue
			}
			held, err := st.DeliveredByExternalKey(ctx, g.obj, chunk)
			if err != nil {
				return nil, err
			}
			for _, d := range held {
				out = append(out, d.Key)
			}
		}
	}
	return out, nil
}

// lookup returns the msisync ids of the records of obj that the values of kind name.
func lookup(ctx context.Context, c links.Clients, obj store.UpstreamObject, kind string, values []string) ([]string, error) {
	var out []string
	switch {
	case obj == store.UpstreamSalesPerson && kind == byExternal:
		keys := make([]*identityv1.SalesPersonKey, len(values))
		for i, v := range values {
			keys[i] = &identityv1.SalesPersonKey{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: v}}
		}
		got, err := c.SalesPersons.BatchGetSalesPersons(ctx, &identityv1.BatchGetSalesPersonsRequest{Keys: keys})
		for _, r := range got.GetSalesPersons() {
			out = append(out, store.LocalID(r.GetId(), ""))
		}
		return out, err
	case obj == store.UpstreamCompany && kind == byExternal:
		keys := make([]*accountv1.CompanyKey, len(values))
		for i, v := range values {
			keys[i] = &accountv1.CompanyKey{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: v}}
		}
		got, err := c.Companies.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: keys})
		for _, r := range got.GetCompanies() {
			out = append(out, store.LocalID(r.GetId(), ""))
		}
		return out, err
	case obj == store.UpstreamLead && kind == byExternal:
		keys := make([]*personv1.LeadKey, len(values))
		for i, v := range values {
			keys[i] = &personv1.LeadKey{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: v}}
		}
		got, err := c.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: keys, ReadFields: []string{"external_person_id"}})
		for _, r := range got.GetLeads() {
			out = append(out, store.LocalID(r.GetId(), ""))
		}
		return out, err
	case obj == store.UpstreamLead && kind == byEmail:
		token := ""
		for {
			got, err := c.Leads.ListLeads(ctx, &personv1.ListLeadsRequest{FilterField: personv1.LeadField_LEAD_FIELD_EMAIL, FilterValues: values, PageToken: token, ReadFields: []string{"email"}})
			if err != nil {
				return nil, err
			}
			for _, r := range got.GetLeads() {
				out = append(out, store.LocalID(r.GetId(), ""))
			}
			if token = got.GetNextPageToken(); token == "" {
				return out, nil
			}
		}
	case obj == store.UpstreamOpportunity && kind == byExternal:
		keys := make([]*opportunityv1.OpportunityKey, len(values))
		for i, v := range values {
			keys[i] = &opportunityv1.OpportunityKey{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: v}}
		}
		got, err := c.Opportunities.BatchGetOpportunities(ctx, &opportunityv1.BatchGetOpportunitiesRequest{Keys: keys})
		for _, r := range got.GetOpportunities() {
			out = append(out, store.LocalID(0, r.GetMarketoGuid()))
		}
		return out, err
	case obj == store.UpstreamRole && kind == byRole:
		var keys []*opportunityv1.OpportunityRoleKey
		for _, v := range values {
			parts := strings.SplitN(v, "|", 3)
			if len(parts) != 3 {
				continue
			}
			lead, _ := strconv.ParseInt(parts[1], 10, 32)
			keys = append(keys, &opportunityv1.OpportunityRoleKey{Key: &opportunityv1.OpportunityRoleKey_DedupeKey{DedupeKey: &opportunityv1.OpportunityRoleDedupeKey{
				ExternalOpportunityId: parts[0], LeadId: int32(lead), Role: parts[2],
			}}})
		}
		got, err := c.Roles.BatchGetOpportunityRoles(ctx, &opportunityv1.BatchGetOpportunityRolesRequest{Keys: keys})
		for _, r := range got.GetOpportunityRoles() {
			out = append(out, store.LocalID(0, r.GetMarketoGuid()))
		}
		return out, err
	}
	return nil, fmt.Errorf("a fence names %s by %q, which msisync does not write", obj, kind)
}
