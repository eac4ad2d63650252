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

// writes are the entity services' write RPCs, by full method name.
var writes = map[string]write{
	identityv1.SalesPersonService_SyncSalesPersons_FullMethodName:              {store.UpstreamSalesPerson, salesPersonInputs},
	identityv1.SalesPersonService_DeleteSalesPersons_FullMethodName:            {store.UpstreamSalesPerson, salesPersonKeys},
	accountv1.CompanyService_SyncCompanies_FullMethodName:                      {store.UpstreamCompany, companyInputs},
	accountv1.CompanyService_DeleteCompanies_FullMethodName:                    {store.UpstreamCompany, companyKeys},
	personv1.LeadService_SyncLeads_FullMethodName:                              {store.UpstreamLead, leadInputs},
	personv1.LeadService_DeleteLeads_FullMethodName:                            {store.UpstreamLead, leadKeys},
	opportunityv1.OpportunityService_SyncOpportunities_FullMethodName:          {store.UpstreamOpportunity, opportunityInputs},
	opportunityv1.OpportunityService_DeleteOpportunities_FullMethodName:        {store.UpstreamOpportunity, opportunityKeys},
	opportunityv1.OpportunityRoleService_SyncOpportunityRoles_FullMethodName:   {store.UpstreamRole, roleInputs},
	opportunityv1.OpportunityRoleService_DeleteOpportunityRoles_FullMethodName: {store.UpstreamRole, roleKeys},
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
			if id := localID(res.GetId(), res.GetGuid()); id != "" {
				out = append(out, store.UpstreamKey{Object: obj, LocalID: id})
			}
		}
	}
	return out
}

// localID is a record's msisync id as UpstreamKey.LocalID: the decimal id, or the GUID
// (lower case, without braces) of an opportunity or role.
func localID(id int32, guid string) string {
	if guid != "" {
		return strings.ToLower(strings.Trim(guid, "{}"))
	}
	if id > 0 {
		return strconv.Itoa(int(id))
	}
	return ""
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

func (k *keys) id(id int32)         { k.add(byID, localID(id, "")) }
func (k *keys) guid(g string)       { k.add(byID, localID(0, g)) }
func (k *keys) external(ext string) { k.add(byExternal, extid.Key(ext)) }

// roleKey is a role's dedupe key as stored: the canonical external opportunity id, the
// msisync lead id and the role.
func roleKey(extOpportunity string, leadID int32, role string) string {
	return extid.Key(extOpportunity) + "|" + strconv.Itoa(int(leadID)) + "|" + role
}

func salesPersonInputs(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamSalesPerson}
	for _, in := range req.(*identityv1.SyncSalesPersonsRequest).GetInput() {
		k.id(in.GetId())
		k.external(in.GetExternalSalesPersonId())
	}
	return k.out
}

func salesPersonKeys(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamSalesPerson}
	for _, key := range req.(*identityv1.DeleteSalesPersonsRequest).GetKeys() {
		k.id(key.GetId())
		k.external(key.GetExternalSalesPersonId())
	}
	return k.out
}

func companyInputs(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamCompany}
	for _, in := range req.(*accountv1.SyncCompaniesRequest).GetInput() {
		k.id(in.GetId())
		k.external(in.GetExternalCompanyId())
	}
	return k.out
}

func companyKeys(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamCompany}
	for _, key := range req.(*accountv1.DeleteCompaniesRequest).GetKeys() {
		k.id(key.GetId())
		k.external(key.GetExternalCompanyId())
	}
	return k.out
}

func leadInputs(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamLead}
	for _, in := range req.(*personv1.SyncLeadsRequest).GetInput() {
		k.id(in.GetId())
		k.external(in.GetExternalPersonId())
		k.add(byEmail, strings.ToLower(in.GetEmail()))
	}
	return k.out
}

func leadKeys(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamLead}
	for _, key := range req.(*personv1.DeleteLeadsRequest).GetKeys() {
		k.id(key.GetId())
		k.external(key.GetExternalPersonId())
	}
	return k.out
}

func opportunityInputs(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamOpportunity}
	for _, in := range req.(*opportunityv1.SyncOpportunitiesRequest).GetInput() {
		k.guid(in.GetMarketoGuid())
		k.external(in.GetExternalOpportunityId())
	}
	return k.out
}

func opportunityKeys(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamOpportunity}
	for _, key := range req.(*opportunityv1.DeleteOpportunitiesRequest).GetKeys() {
		k.guid(key.GetMarketoGuid())
		k.external(key.GetExternalOpportunityId())
	}
	return k.out
}

func roleInputs(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamRole}
	for _, in := range req.(*opportunityv1.SyncOpportunityRolesRequest).GetInput() {
		k.guid(in.GetMarketoGuid())
		if in.GetExternalOpportunityId() != "" && in.GetLeadId() != 0 {
			k.add(byRole, roleKey(in.GetExternalOpportunityId(), in.GetLeadId(), in.GetRole()))
		}
	}
	return k.out
}

func roleKeys(req any) []store.FenceKey {
	k := keys{obj: store.UpstreamRole}
	for _, key := range req.(*opportunityv1.DeleteOpportunityRolesRequest).GetKeys() {
		k.guid(key.GetMarketoGuid())
		if d := key.GetDedupeKey(); d != nil {
			k.add(byRole, roleKey(d.GetExternalOpportunityId(), d.GetLeadId(), d.GetRole()))
		}
	}
	return k.out
}
