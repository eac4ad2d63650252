package upstream

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"google.golang.org/protobuf/proto"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// local is one record's current local state, as Marketo receives it.
type local struct {
	// ext is the record's canonical external key (a role's: roleKey); "" for a lead without
	// externalPersonId, which MSI cannot use and msisync does not forward.
	ext string
	// record is the Marketo fields to send, without Marketo's own ids.
	record marketoclient.Record
	// parents are the parents the record names.
	parents []store.UpstreamRef
	// leadID is a role's lead (msisync id), whose Marketo id the role is sent with.
	leadID string
	// hash identifies the version: a version with the hash Marketo already has is not sent.
	hash []byte
}

// catalog is the Marketo object of each upstream object.
var catalog = map[store.UpstreamObject]*objects.Object{
	store.UpstreamSalesPerson: objects.SalesPerson,
	store.UpstreamCompany:     objects.Company,
	store.UpstreamLead:        objects.Lead,
	store.UpstreamOpportunity: objects.Opportunity,
	store.UpstreamRole:        objects.OpportunityRole,
}

// sendFields are the fields of obj that msisync sends: every field but Marketo's ids, the
// timestamps and the fields Marketo computes, plus the declared custom fields.
func sendFields(obj *objects.Object) []string {
	var out []string
	for _, f := range obj.Fields() {
		if _, ro := obj.ReadOnly[f]; ro || f == obj.IDField || f == "createdAt" || f == "updatedAt" {
			continue
		}
		out = append(out, f)
	}
	for _, c := range obj.CustomFields() {
		out = append(out, c.Name)
	}
	return out
}

// encode makes the local form of a stored record.
func encode(obj store.UpstreamObject, rec proto.Message, ext string, parents []store.UpstreamRef) (local, error) {
	o := catalog[obj]
	fields := o.Encode(rec, 0, sendFields(o)).AsMap()
	delete(fields, "seq")
	delete(fields, o.IDField)
	blob, err := json.Marshal(fields)
	if err != nil {
		return local{}, fmt.Errorf("encoding %s %s for Marketo: %w", obj, ext, err)
	}
	h := sha256.Sum256(blob)
	return local{ext: ext, record: fields, parents: parents, hash: h[:]}, nil
}

// ref adds the parent of the kind that the external id names, if it names one.
func ref(refs []store.UpstreamRef, obj store.UpstreamObject, externalID string) []store.UpstreamRef {
	if k := extid.Key(externalID); k != "" {
		return append(refs, store.UpstreamRef{Object: obj, Key: k})
	}
	return refs
}

// readLocal reads the current local state of the records (all of obj) with one batched
// call per 300; records that are gone are left out.
func readLocal(ctx context.Context, c links.Clients, obj store.UpstreamObject, ids []string) (map[string]local, error) {
	out := make(map[string]local, len(ids))
	for chunk := range slices.Chunk(ids, 300) {
		if err := readChunk(ctx, c, obj, chunk, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// intIDs converts decimal local ids (malformed ones name nothing).
func intIDs(ids []string) []int32 {
	out := make([]int32, 0, len(ids))
	for _, s := range ids {
		if n, err := strconv.ParseInt(s, 10, 32); err == nil && n > 0 {
			out = append(out, int32(n))
		}
	}
	return out
}

func readChunk(ctx context.Context, c links.Clients, obj store.UpstreamObject, ids []string, out map[string]local) error {
	put := func(id string, rec proto.Message, ext string, parents []store.UpstreamRef) error {
		l, err := encode(obj, rec, ext, parents)
		out[id] = l
		return err
	}
	switch obj {
	case store.UpstreamSalesPerson:
		var keys []*identityv1.SalesPersonKey
		for _, id := range intIDs(ids) {
			keys = append(keys, &identityv1.SalesPersonKey{Key: &identityv1.SalesPersonKey_Id{Id: id}})
		}
		got, err := c.SalesPersons.BatchGetSalesPersons(ctx, &identityv1.BatchGetSalesPersonsRequest{Keys: keys})
		if err != nil {
			return fmt.Errorf("reading sales persons: %w", err)
		}
		for _, r := range got.GetSalesPersons() {
			if err := put(store.LocalID(r.GetId(), ""), r, extid.Key(r.GetExternalSalesPersonId()), nil); err != nil {
				return err
			}
		}
	case store.UpstreamCompany:
		var keys []*accountv1.CompanyKey
		for _, id := range intIDs(ids) {
			keys = append(keys, &accountv1.CompanyKey{Key: &accountv1.CompanyKey_Id{Id: id}})
		}
		got, err := c.Companies.BatchGetCompanies(ctx, &accountv1.BatchGetCompaniesRequest{Keys: keys})
		if err != nil {
			return fmt.Errorf("reading companies: %w", err)
		}
		for _, r := range got.GetCompanies() {
			if err := put(store.LocalID(r.GetId(), ""), r, extid.Key(r.GetExternalCompanyId()), ref(nil, store.UpstreamSalesPerson, r.GetExternalSalesPersonId())); err != nil {
				return err
			}
		}
	case store.UpstreamLead:
		var keys []*personv1.LeadKey
		for _, id := range intIDs(ids) {
			keys = append(keys, &personv1.LeadKey{Key: &personv1.LeadKey_Id{Id: id}})
		}
		got, err := c.Leads.BatchGetLeads(ctx, &personv1.BatchGetLeadsRequest{Keys: keys})
		if err != nil {
			return fmt.Errorf("reading leads: %w", err)
		}
		for _, r := range got.GetLeads() {
			parents := ref(ref(nil, store.UpstreamSalesPerson, r.GetExternalSalesPersonId()), store.UpstreamCompany, r.GetExternalCompanyId())
			if err := put(store.LocalID(r.GetId(), ""), r, extid.Key(r.GetExternalPersonId()), parents); err != nil {
				return err
			}
		}
	case store.UpstreamOpportunity:
		var keys []*opportunityv1.OpportunityKey
		for _, id := range ids {
			keys = append(keys, &opportunityv1.OpportunityKey{Key: &opportunityv1.OpportunityKey_MarketoGuid{MarketoGuid: id}})
		}
		got, err := c.Opportunities.BatchGetOpportunities(ctx, &opportunityv1.BatchGetOpportunitiesRequest{Keys: keys})
		if err != nil {
			return fmt.Errorf("reading opportunities: %w", err)
		}
		for _, r := range got.GetOpportunities() {
			parents := ref(ref(nil, store.UpstreamSalesPerson, r.GetExternalSalesPersonId()), store.UpstreamCompany, r.GetExternalCompanyId())
			if err := put(store.LocalID(0, r.GetMarketoGuid()), r, extid.Key(r.GetExternalOpportunityId()), parents); err != nil {
				return err
			}
		}
	case store.UpstreamRole:
		var keys []*opportunityv1.OpportunityRoleKey
		for _, id := range ids {
			keys = append(keys, &opportunityv1.OpportunityRoleKey{Key: &opportunityv1.OpportunityRoleKey_MarketoGuid{MarketoGuid: id}})
		}
		got, err := c.Roles.BatchGetOpportunityRoles(ctx, &opportunityv1.BatchGetOpportunityRolesRequest{Keys: keys})
		if err != nil {
			return fmt.Errorf("reading opportunity roles: %w", err)
		}
		for _, r := range got.GetOpportunityRoles() {
			lead := store.LocalID(r.GetLeadId(), "")
			parents := append(ref(nil, store.UpstreamOpportunity, r.GetExternalOpportunityId()), store.UpstreamRef{Object: store.UpstreamLead, Key: lead})
			id := store.LocalID(0, r.GetMarketoGuid())
			if err := put(id, r, roleKey(r.GetExternalOpportunityId(), r.GetLeadId(), r.GetRole()), parents); err != nil {
				return err
			}
			l := out[id]
			l.leadID = lead
			out[id] = l
		}
	default:
		return fmt.Errorf("unknown upstream object %q", obj)
	}
	return nil
}
