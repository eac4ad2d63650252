package syncrun

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// fakeBackend is an in-memory suite with the parent checks of apply: a record whose parent
// is missing comes back Missing, the others are upserted.
type fakeBackend struct {
	mu                 sync.Mutex
	next               int32
	salesPersons       map[string]int32
	companies          map[string]int32
	leads              map[string]int32 // externalPersonId key → id
	leadIDs            map[int32]bool
	opportunities      map[string]string // key → guid
	roles              map[string]string // opp|lead|role → guid
	calls              map[store.ObjectType]int
	fail               error         // returned by every write when set
	leadGate, leadSeen chan struct{} // when set, SyncLeads signals leadSeen then waits for leadGate
	refuseLead         string        // when set, a lead batch holding this externalPersonId fails whole with InvalidArgument
}

func newFake() *fakeBackend {
	return &fakeBackend{
		salesPersons: map[string]int32{}, companies: map[string]int32{}, leads: map[string]int32{}, leadIDs: map[int32]bool{},
		opportunities: map[string]string{}, roles: map[string]string{}, calls: map[store.ObjectType]int{},
	}
}

// upsert writes key into m and returns the result for input i.
func upsert[V any](f *fakeBackend, m map[string]V, key string, i int, mk func(id int32) V) (*commonv1.RecordResult, V) {
	if v, ok := m[key]; ok {
		return &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_UPDATED}, v
	}
	f.next++
	v := mk(f.next)
	m[key] = v
	return &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_CREATED}, v
}

func (f *fakeBackend) begin(t store.ObjectType) error {
	f.calls[t]++
	return f.fail
}

func has(s *string) bool { return s != nil && *s != "" }

func (f *fakeBackend) SyncSalesPersons(_ context.Context, req *identityv1.SyncSalesPersonsRequest) ([]apply.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(store.SalesPerson); err != nil {
		return nil, err
	}
	out := make([]apply.Outcome, len(req.GetInput()))
	for i, in := range req.GetInput() {
		r, id := upsert(f, f.salesPersons, extid.Key(in.GetExternalSalesPersonId()), i, func(id int32) int32 { return id })
		r.Id = id
		out[i].Result = r
	}
	return out, nil
}

func (f *fakeBackend) SyncCompanies(_ context.Context, _ commonv1.SyncAction, _ commonv1.DedupeBy, inputs []*accountv1.CompanyInput) ([]apply.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(store.Company); err != nil {
		return nil, err
	}
	out := make([]apply.Outcome, len(inputs))
	for i, in := range inputs {
		if _, ok := f.salesPersons[extid.Key(in.GetExternalSalesPersonId())]; has(in.ExternalSalesPersonId) && !ok {
			out[i].Missing = links.MissingSalesPerson(in.GetExternalSalesPersonId())
			continue
		}
		r, id := upsert(f, f.companies, extid.Key(in.GetExternalCompanyId()), i, func(id int32) int32 { return id })
		r.Id = id
		out[i].Result = r
	}
	return out, nil
}

func (f *fakeBackend) SyncLeads(ctx context.Context, req *personv1.SyncLeadsRequest) ([]apply.Outcome, error) {
	if f.leadGate != nil {
		f.leadSeen <- struct{}{}
		select {
		case <-f.leadGate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(store.Lead); err != nil {
		return nil, err
	}
	if req.GetLookupField() != personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID {
		return nil, fmt.Errorf("leads synced by %v, want externalPersonId", req.GetLookupField())
	}
	for _, in := range req.GetInput() {
		if f.refuseLead != "" && in.GetExternalPersonId() == f.refuseLead {
			return nil, status.Errorf(codes.InvalidArgument, "lead %s holds a value the database refuses", f.refuseLead)
		}
	}
	out := make([]apply.Outcome, len(req.GetInput()))
	for i, in := range req.GetInput() {
		if _, ok := f.salesPersons[extid.Key(in.GetExternalSalesPersonId())]; has(in.ExternalSalesPersonId) && !ok {
			out[i].Missing = links.MissingSalesPerson(in.GetExternalSalesPersonId())
			continue
		}
		if _, ok := f.companies[extid.Key(in.GetExternalCompanyId())]; has(in.ExternalCompanyId) && !ok {
			out[i].Missing = links.MissingCompany(in.GetExternalCompanyId())
			continue
		}
		r, id := upsert(f, f.leads, extid.Key(in.GetExternalPersonId()), i, func(id int32) int32 { return id })
		f.leadIDs[id] = true
		r.Id = id
		out[i].Result = r
	}
	return out, nil
}

func (f *fakeBackend) SyncOpportunities(_ context.Context, _ commonv1.SyncAction, _ commonv1.DedupeBy, inputs []*opportunityv1.OpportunityInput) ([]apply.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(store.Opportunity); err != nil {
		return nil, err
	}
	out := make([]apply.Outcome, len(inputs))
	for i, in := range inputs {
		if _, ok := f.salesPersons[extid.Key(in.GetExternalSalesPersonId())]; has(in.ExternalSalesPersonId) && !ok {
			out[i].Missing = links.MissingSalesPerson(in.GetExternalSalesPersonId())
			continue
		}
		if _, ok := f.companies[extid.Key(in.GetExternalCompanyId())]; has(in.ExternalCompanyId) && !ok {
			out[i].Missing = links.MissingCompany(in.GetExternalCompanyId())
			continue
		}
		r, guid := upsert(f, f.opportunities, extid.Key(in.GetExternalOpportunityId()), i, func(id int32) string { return fmt.Sprintf("opp-guid-%d", id) })
		r.Guid = guid
		out[i].Result = r
	}
	return out, nil
}

func (f *fakeBackend) SyncOpportunityRoles(_ context.Context, _ commonv1.SyncAction, _ commonv1.DedupeBy, inputs []apply.RoleInput) ([]apply.Outcome, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.begin(store.OpportunityRole); err != nil {
		return nil, err
	}
	out := make([]apply.Outcome, len(inputs))
	for i, in := range inputs {
		lead := in.GetLeadId()
		if in.LeadId == nil {
			id, ok := f.leads[extid.Key(in.ExternalPersonID)]
			if !ok {
				out[i].Missing = links.MissingLeadByExternalID(in.ExternalPersonID)
				continue
			}
			lead = id
		}
		if _, ok := f.opportunities[extid.Key(in.GetExternalOpportunityId())]; !ok {
			out[i].Missing = links.MissingOpportunity(in.GetExternalOpportunityId())
			continue
		}
		if !f.leadIDs[lead] {
			out[i].Missing = links.MissingLeadID(lead)
			continue
		}
		if in.GetRole() == "" {
			out[i].Result = &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_SKIPPED,
				Reasons: []*commonv1.Reason{{Code: marketo.CodeMissingValue, Message: "Missing value for the required parameter 'role'"}}}
			continue
		}
		key := extid.Key(in.GetExternalOpportunityId()) + "|" + strconv.Itoa(int(lead)) + "|" + in.GetRole()
		r, guid := upsert(f, f.roles, key, i, func(id int32) string { return fmt.Sprintf("role-guid-%d", id) })
		r.Guid = guid
		out[i].Result = r
	}
	return out, nil
}

func (f *fakeBackend) ParentsExist(_ context.Context, parents []store.ParkedParent) ([]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]bool, len(parents))
	for i, p := range parents {
		switch p.Kind {
		case kindSalesPerson:
			_, out[i] = f.salesPersons[p.Key]
		case kindCompany:
			_, out[i] = f.companies[p.Key]
		case kindLead:
			_, out[i] = f.leads[p.Key]
		case kindOpportunity:
			_, out[i] = f.opportunities[p.Key]
		case kindLeadID:
			id, _ := strconv.Atoi(p.Key)
			out[i] = f.leadIDs[int32(id)]
		}
	}
	return out, nil
}

// addCompany syncs a company behind the engine's back (as the Marketo API would).
func (f *fakeBackend) addCompany(externalID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.companies[extid.Key(externalID)] = f.next
}

func (f *fakeBackend) sizes() [5]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return [5]int{len(f.salesPersons), len(f.companies), len(f.leads), len(f.opportunities), len(f.roles)}
}
