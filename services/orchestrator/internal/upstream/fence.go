package upstream

import (
	"context"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// Fences fences the writes the orchestrator sends to the entity services.
type Fences struct {
	Store store.UpstreamStore
	// Owner names this process in its fences (for the logs of Recover).
	Owner string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (f *Fences) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// write is how one write RPC names its records before and after the call.
type write struct {
	object store.UpstreamObject
	keys   func(req any) []store.FenceKey
}

// fenced is the write of obj whose request R lists its items with list; add adds the keys
// each item names.
func fenced[R, T any](obj store.UpstreamObject, list func(R) []T, add func(*keys, T)) write {
	return write{object: obj, keys: func(req any) []store.FenceKey {
		k := keys{obj: obj}
		for _, item := range list(req.(R)) {
			add(&k, item)
		}
		return k.out
	}}
}

// writes are the entity services' write RPCs, by full method name.
var writes = map[string]write{
	identityv1.SalesPersonService_SyncSalesPersons_FullMethodName: fenced(store.UpstreamSalesPerson, (*identityv1.SyncSalesPersonsRequest).GetInput,
		func(k *keys, in *identityv1.SalesPersonInput) {
			k.id(in.GetId())
			k.external(in.GetExternalSalesPersonId())
		}),
	identityv1.SalesPersonService_DeleteSalesPersons_FullMethodName: fenced(store.UpstreamSalesPerson, (*identityv1.DeleteSalesPersonsRequest).GetKeys,
		func(k *keys, key *identityv1.SalesPersonKey) {
			k.id(key.GetId())
			k.external(key.GetExternalSalesPersonId())
		}),
	accountv1.CompanyService_SyncCompanies_FullMethodName: fenced(store.UpstreamCompany, (*accountv1.SyncCompaniesRequest).GetInput,
		func(k *keys, in *accountv1.CompanyInput) { k.id(in.GetId()); k.external(in.GetExternalCompanyId()) }),
	accountv1.CompanyService_DeleteCompanies_FullMethodName: fenced(store.UpstreamCompany, (*accountv1.DeleteCompaniesRequest).GetKeys,
		func(k *keys, key *accountv1.CompanyKey) { k.id(key.GetId()); k.external(key.GetExternalCompanyId()) }),
	personv1.LeadService_SyncLeads_FullMethodName: fenced(store.UpstreamLead, (*personv1.SyncLeadsRequest).GetInput,
		func(k *keys, in *personv1.LeadInput) {
			k.id(in.GetId())
			k.external(in.GetExternalPersonId())
			k.add(byEmail, strings.ToLower(in.GetEmail()))
		}),
	personv1.LeadService_DeleteLeads_FullMethodName: fenced(store.UpstreamLead, (*personv1.DeleteLeadsRequest).GetKeys,
		func(k *keys, key *personv1.LeadKey) { k.id(key.GetId()); k.external(key.GetExternalPersonId()) }),
	opportunityv1.OpportunityService_SyncOpportunities_FullMethodName: fenced(store.UpstreamOpportunity, (*opportunityv1.SyncOpportunitiesRequest).GetInput,
		func(k *keys, in *opportunityv1.OpportunityInput) {
			k.guid(in.GetMarketoGuid())
			k.external(in.GetExternalOpportunityId())
		}),
	opportunityv1.OpportunityService_DeleteOpportunities_FullMethodName: fenced(store.UpstreamOpportunity, (*opportunityv1.DeleteOpportunitiesRequest).GetKeys,
		func(k *keys, key *opportunityv1.OpportunityKey) {
			k.guid(key.GetMarketoGuid())
			k.external(key.GetExternalOpportunityId())
		}),
	opportunityv1.OpportunityRoleService_SyncOpportunityRoles_FullMethodName: fenced(store.UpstreamRole, (*opportunityv1.SyncOpportunityRolesRequest).GetInput,
		func(k *keys, in *opportunityv1.OpportunityRoleInput) {
			k.guid(in.GetMarketoGuid())
			k.role(in.GetExternalOpportunityId(), in.GetLeadId(), in.GetRole())
		}),
	opportunityv1.OpportunityRoleService_DeleteOpportunityRoles_FullMethodName: fenced(store.UpstreamRole, (*opportunityv1.DeleteOpportunityRolesRequest).GetKeys,
		func(k *keys, key *opportunityv1.OpportunityRoleKey) {
			k.guid(key.GetMarketoGuid())
			if d := key.GetDedupeKey(); d != nil {
				k.role(d.GetExternalOpportunityId(), d.GetLeadId(), d.GetRole())
			}
		}),
}

// UnaryClientInterceptor fences every write RPC: the keys it names are stored before the
// call; after a successful call the records it created, updated or deleted are marked for
// delivery and the fence is removed, in one transaction. A failed call leaves its fence for
// Recover, since the service may have committed before the call failed. Other RPCs pass.
func (f *Fences) UnaryClientInterceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		w, ok := writes[method]
		if !ok {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		fence, err := f.Store.BeginUpstreamWrite(ctx, f.Owner, w.keys(req), f.now())
		if err != nil {
			return status.Errorf(codes.Unavailable, "recording the write for delivery to Marketo: %v", err)
		}
		if err := invoker(ctx, method, req, reply, cc, opts...); err != nil {
			return err
		}
		if err := f.Store.EndUpstreamWrite(ctx, fence, changed(w.object, reply), f.now()); err != nil {
			return status.Errorf(codes.Unavailable, "marking the write for delivery to Marketo: %v", err)
		}
		return nil
	}
}

// changed returns the records a write's results say it created, updated or deleted.
func changed(obj store.UpstreamObject, reply any) []store.UpstreamKey {
	r, ok := reply.(interface {
		GetResults() []*commonv1.RecordResult
	})
	if !ok {
		return nil
	}
	var out []store.UpstreamKey
	for _, res := range r.GetResults() {
		switch res.GetStatus() {
		case commonv1.RecordStatus_RECORD_STATUS_CREATED, commonv1.RecordStatus_RECORD_STATUS_UPDATED, commonv1.RecordStatus_RECORD_STATUS_DELETED:
			if id := store.LocalID(res.GetId(), res.GetGuid()); id != "" {
				out = append(out, store.UpstreamKey{Object: obj, LocalID: id})
			}
		}
	}
	return out
}

// Fence key kinds.
const (
	byID       = "id"
	byExternal = "external"
	byEmail    = "email"
	byRole     = "role" // a role's dedupe key, see roleKey
)

// keys collects the fence keys of one write.
type keys struct {
	obj store.UpstreamObject
	out []store.FenceKey
}

func (k *keys) add(kind, value string) {
	if value != "" && value != "0" {
		k.out = append(k.out, store.FenceKey{Object: k.obj, Kind: kind, Value: value})
	}
}

func (k *keys) id(id int32)         { k.add(byID, store.LocalID(id, "")) }
func (k *keys) guid(g string)       { k.add(byID, store.LocalID(0, g)) }
func (k *keys) external(ext string) { k.add(byExternal, extid.Key(ext)) }

// role adds a role's dedupe key, when it names its opportunity and lead.
func (k *keys) role(extOpportunity string, leadID int32, role string) {
	if extOpportunity != "" && leadID != 0 {
		k.add(byRole, roleKey(extOpportunity, leadID, role))
	}
}

// roleKey is a role's dedupe key as stored: the canonical external opportunity id, the
// msisync lead id and the role.
func roleKey(extOpportunity string, leadID int32, role string) string {
	return extid.Key(extOpportunity) + "|" + strconv.Itoa(int(leadID)) + "|" + role
}
