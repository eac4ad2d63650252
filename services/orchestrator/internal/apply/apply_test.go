package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// world is every service the Applier calls, over a fixed set of stored records, logging
// each call (writes, reads, locks, scoring links) in order.
type world struct {
	identityv1.SalesPersonServiceClient
	accountv1.CompanyServiceClient
	personv1.LeadServiceClient
	opportunityv1.OpportunityServiceClient
	opportunityv1.OpportunityRoleServiceClient
	scoringv1.ScoringServiceClient

	mu  sync.Mutex
	log []string
	// refs counts the children of a parent: "lead>company:acme" is the number of leads of
	// the company with the extid key acme; "role>lead:21" the roles of lead 21.
	refs map[string]int32
}

var (
	salesPersons = []*identityv1.SalesPerson{{Id: 1, ExternalSalesPersonId: "Bob"}, {Id: 2, ExternalSalesPersonId: "amy"}}
	companies    = []*accountv1.Company{{Id: 11, ExternalCompanyId: "Acme"}, {Id: 12, ExternalCompanyId: "free"}}
	leads        = []*personv1.Lead{{Id: 21, ExternalPersonId: "P1", ExternalSalesPersonId: "bob"}, {Id: 22}, {Id: 23, ExternalPersonId: "p3"}}
	opps         = []*opportunityv1.Opportunity{{MarketoGuid: "0f8fad5b-d9cb-469f-a165-70867728950e", ExternalOpportunityId: "O1"}, {MarketoGuid: "7c9e6679-7425-40de-944b-e07fc1f90ae7", ExternalOpportunityId: "o2"}}
)

func newWorld() *world {
	return &world{refs: map[string]int32{
		"company>salesPerson:bob": 2, "lead>salesPerson:bob": 1, "lead>company:acme": 3,
		"opportunity>company:acme": 1, "role>opportunity:o1": 2, "role>lead:21": 1,
	}}
}

func (w *world) logf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log = append(w.log, fmt.Sprintf(format, args...))
}

// calls returns the log with each run of lookups or counts (which run concurrently) sorted.
func (w *world) calls() []string {
	out := slices.Clone(w.log)
	verb := func(s string) string { v, _, _ := strings.Cut(s, " "); return v }
	for i := 0; i < len(out); {
		j := i + 1
		if v := verb(out[i]); v == "get" || v == "count" {
			for j < len(out) && verb(out[j]) == v {
				j++
			}
			slices.Sort(out[i:j])
		}
		i = j
	}
	return out
}

// answer answers a write of n records: results in reverse order, each with its index.
func answer(n int, st commonv1.RecordStatus, id func(i int) int32) []*commonv1.RecordResult {
	out := make([]*commonv1.RecordResult, n)
	for i := range n {
		out[n-1-i] = &commonv1.RecordResult{Index: int32(i), Status: st, Id: id(i)}
	}
	return out
}

func extIDs[T any](in []T, ext func(T) string) string {
	var s []string
	for _, v := range in {
		s = append(s, ext(v))
	}
	return strings.Join(s, ",")
}

func (w *world) counts(child, kind string, ids []string) []*commonv1.ReferenceCount {
	var out []*commonv1.ReferenceCount
	seen := map[string]bool{}
	for _, e := range ids {
		if seen[extid.Key(e)] {
			continue
		}
		seen[extid.Key(e)] = true
		if n := w.refs[child+">"+kind+":"+extid.Key(e)]; n > 0 {
			out = append(out, &commonv1.ReferenceCount{ExternalId: extid.Key(e), Count: n})
		}
	}
	return out
}

func (w *world) SyncSalesPersons(_ context.Context, in *identityv1.SyncSalesPersonsRequest, _ ...grpc.CallOption) (*identityv1.SyncSalesPersonsResponse, error) {
	w.logf("sync salesPersons %s", extIDs(in.GetInput(), (*identityv1.SalesPersonInput).GetExternalSalesPersonId))
	return &identityv1.SyncSalesPersonsResponse{Results: answer(len(in.GetInput()), commonv1.RecordStatus_RECORD_STATUS_CREATED, func(i int) int32 { return int32(100 + i) })}, nil
}

func (w *world) BatchGetSalesPersons(_ context.Context, in *identityv1.BatchGetSalesPersonsRequest, _ ...grpc.CallOption) (*identityv1.BatchGetSalesPersonsResponse, error) {
	var keys []string
	var out []*identityv1.SalesPerson
	for _, k := range in.GetKeys() {
		keys = append(keys, fmt.Sprint(k.GetId(), k.GetExternalSalesPersonId()))
		for _, p := range salesPersons {
			if (k.GetId() != 0 && k.GetId() == p.Id) || (k.GetExternalSalesPersonId() != "" && extid.Key(k.GetExternalSalesPersonId()) == extid.Key(p.ExternalSalesPersonId)) {
				out = append(out, p)
			}
		}
	}
	slices.Sort(keys)
	w.logf("get salesPersons %s", strings.Join(keys, ","))
	return &identityv1.BatchGetSalesPersonsResponse{SalesPersons: out}, nil
}

func (w *world) DeleteSalesPersons(_ context.Context, in *identityv1.DeleteSalesPersonsRequest, _ ...grpc.CallOption) (*identityv1.DeleteSalesPersonsResponse, error) {
	w.logf("delete salesPersons %s", extIDs(in.GetKeys(), func(k *identityv1.SalesPersonKey) string { return fmt.Sprint(k.GetId(), k.GetExternalSalesPersonId()) }))
	return &identityv1.DeleteSalesPersonsResponse{Results: answer(len(in.GetKeys()), commonv1.RecordStatus_RECORD_STATUS_DELETED, func(i int) int32 { return in.GetKeys()[i].GetId() })}, nil
}

func (w *world) SyncCompanies(_ context.Context, in *accountv1.SyncCompaniesRequest, _ ...grpc.CallOption) (*accountv1.SyncCompaniesResponse, error) {
	w.logf("sync companies %v %v %s", in.GetAction(), in.GetDedupeBy(), extIDs(in.GetInput(), (*accountv1.CompanyInput).GetExternalCompanyId))
	return &accountv1.SyncCompaniesResponse{Results: answer(len(in.GetInput()), commonv1.RecordStatus_RECORD_STATUS_CREATED, func(i int) int32 { return int32(200 + i) })}, nil
}

func (w *world) BatchGetCompanies(_ context.Context, in *accountv1.BatchGetCompaniesRequest, _ ...grpc.CallOption) (*accountv1.BatchGetCompaniesResponse, error) {
	var keys []string
	var out []*accountv1.Company
	for _, k := range in.GetKeys() {
		keys = append(keys, fmt.Sprint(k.GetId(), k.GetExternalCompanyId()))
		for _, c := range companies {
			if (k.GetId() != 0 && k.GetId() == c.Id) || (k.GetExternalCompanyId() != "" && extid.Key(k.GetExternalCompanyId()) == extid.Key(c.ExternalCompanyId)) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(keys)
	w.logf("get companies %s", strings.Join(keys, ","))
	return &accountv1.BatchGetCompaniesResponse{Companies: out}, nil
}

func (w *world) DeleteCompanies(_ context.Context, in *accountv1.DeleteCompaniesRequest, _ ...grpc.CallOption) (*accountv1.DeleteCompaniesResponse, error) {
	w.logf("delete companies %s", extIDs(in.GetKeys(), func(k *accountv1.CompanyKey) string { return fmt.Sprint(k.GetId(), k.GetExternalCompanyId()) }))
	return &accountv1.DeleteCompaniesResponse{Results: answer(len(in.GetKeys()), commonv1.RecordStatus_RECORD_STATUS_DELETED, func(i int) int32 { return in.GetKeys()[i].GetId() })}, nil
}

func (w *world) CountCompanyReferences(_ context.Context, in *accountv1.CountCompanyReferencesRequest, _ ...grpc.CallOption) (*accountv1.CountCompanyReferencesResponse, error) {
	w.logf("count companies of salesPersons %s", strings.Join(in.GetExternalSalesPersonIds(), ","))
	return &accountv1.CountCompanyReferencesResponse{SalesPersons: w.counts("company", "salesPerson", in.GetExternalSalesPersonIds())}, nil
}

func (w *world) SyncLeads(_ context.Context, in *personv1.SyncLeadsRequest, _ ...grpc.CallOption) (*personv1.SyncLeadsResponse, error) {
	w.logf("sync leads %v %v %v %s", in.GetAction(), in.GetLookupField(), in.GetCreateDuplicate(), extIDs(in.GetInput(), (*personv1.LeadInput).GetExternalPersonId))
	res := answer(len(in.GetInput()), commonv1.RecordStatus_RECORD_STATUS_CREATED, func(i int) int32 { return int32(21 + 2*i) })
	res[0].Status = commonv1.RecordStatus_RECORD_STATUS_SKIPPED // the last input
	return &personv1.SyncLeadsResponse{Results: res}, nil
}

func (w *world) BatchGetLeads(_ context.Context, in *personv1.BatchGetLeadsRequest, _ ...grpc.CallOption) (*personv1.BatchGetLeadsResponse, error) {
	var keys []string
	var out []*personv1.Lead
	for _, k := range in.GetKeys() {
		keys = append(keys, fmt.Sprint(k.GetId(), k.GetExternalPersonId()))
		for _, l := range leads {
			if (k.GetId() != 0 && k.GetId() == l.Id) || (k.GetExternalPersonId() != "" && l.ExternalPersonId != "" && extid.Key(k.GetExternalPersonId()) == extid.Key(l.ExternalPersonId)) {
				out = append(out, l)
			}
		}
	}
	slices.Sort(keys)
	w.logf("get leads %s fields %s", strings.Join(keys, ","), strings.Join(in.GetReadFields(), ","))
	return &personv1.BatchGetLeadsResponse{Leads: out}, nil
}

func (w *world) DeleteLeads(_ context.Context, in *personv1.DeleteLeadsRequest, _ ...grpc.CallOption) (*personv1.DeleteLeadsResponse, error) {
	w.logf("delete leads %s", extIDs(in.GetKeys(), func(k *personv1.LeadKey) string { return fmt.Sprint(k.GetId(), k.GetExternalPersonId()) }))
	return &personv1.DeleteLeadsResponse{Results: answer(len(in.GetKeys()), commonv1.RecordStatus_RECORD_STATUS_DELETED, func(i int) int32 { return in.GetKeys()[i].GetId() })}, nil
}

func (w *world) CountLeadReferences(_ context.Context, in *personv1.CountLeadReferencesRequest, _ ...grpc.CallOption) (*personv1.CountLeadReferencesResponse, error) {
	w.logf("count leads of salesPersons %s companies %s", strings.Join(in.GetExternalSalesPersonIds(), ","), strings.Join(in.GetExternalCompanyIds(), ","))
	return &personv1.CountLeadReferencesResponse{
		SalesPersons: w.counts("lead", "salesPerson", in.GetExternalSalesPersonIds()),
		Companies:    w.counts("lead", "company", in.GetExternalCompanyIds()),
	}, nil
}

func (w *world) SyncOpportunities(_ context.Context, in *opportunityv1.SyncOpportunitiesRequest, _ ...grpc.CallOption) (*opportunityv1.SyncOpportunitiesResponse, error) {
	w.logf("sync opportunities %v %v %s", in.GetAction(), in.GetDedupeBy(), extIDs(in.GetInput(), (*opportunityv1.OpportunityInput).GetExternalOpportunityId))
	return &opportunityv1.SyncOpportunitiesResponse{Results: answer(len(in.GetInput()), commonv1.RecordStatus_RECORD_STATUS_UPDATED, func(int) int32 { return 0 })}, nil
}

func (w *world) BatchGetOpportunities(_ context.Context, in *opportunityv1.BatchGetOpportunitiesRequest, _ ...grpc.CallOption) (*opportunityv1.BatchGetOpportunitiesResponse, error) {
	var keys []string
	var out []*opportunityv1.Opportunity
	for _, k := range in.GetKeys() {
		keys = append(keys, k.GetMarketoGuid()+k.GetExternalOpportunityId())
		for _, o := range opps {
			if (k.GetMarketoGuid() != "" && strings.ToLower(strings.Trim(k.GetMarketoGuid(), "{}")) == o.MarketoGuid) || (k.GetExternalOpportunityId() != "" && extid.Key(k.GetExternalOpportunityId()) == extid.Key(o.ExternalOpportunityId)) {
				out = append(out, o)
			}
		}
	}
	slices.Sort(keys)
	w.logf("get opportunities %s", strings.Join(keys, ","))
	return &opportunityv1.BatchGetOpportunitiesResponse{Opportunities: out}, nil
}

func (w *world) DeleteOpportunities(_ context.Context, in *opportunityv1.DeleteOpportunitiesRequest, _ ...grpc.CallOption) (*opportunityv1.DeleteOpportunitiesResponse, error) {
	w.logf("delete opportunities %s", extIDs(in.GetKeys(), func(k *opportunityv1.OpportunityKey) string { return k.GetMarketoGuid() + k.GetExternalOpportunityId() }))
	return &opportunityv1.DeleteOpportunitiesResponse{Results: answer(len(in.GetKeys()), commonv1.RecordStatus_RECORD_STATUS_DELETED, func(int) int32 { return 0 })}, nil
}

func (w *world) CountOpportunityReferences(_ context.Context, in *opportunityv1.CountOpportunityReferencesRequest, _ ...grpc.CallOption) (*opportunityv1.CountOpportunityReferencesResponse, error) {
	w.logf("count opportunities of salesPersons %s companies %s", strings.Join(in.GetExternalSalesPersonIds(), ","), strings.Join(in.GetExternalCompanyIds(), ","))
	return &opportunityv1.CountOpportunityReferencesResponse{
		SalesPersons: w.counts("opportunity", "salesPerson", in.GetExternalSalesPersonIds()),
		Companies:    w.counts("opportunity", "company", in.GetExternalCompanyIds()),
	}, nil
}

func (w *world) SyncOpportunityRoles(_ context.Context, in *opportunityv1.SyncOpportunityRolesRequest, _ ...grpc.CallOption) (*opportunityv1.SyncOpportunityRolesResponse, error) {
	w.logf("sync roles %v %v %s", in.GetAction(), in.GetDedupeBy(), extIDs(in.GetInput(), func(r *opportunityv1.OpportunityRoleInput) string {
		return fmt.Sprintf("%s/%d", r.GetExternalOpportunityId(), r.GetLeadId())
	}))
	return &opportunityv1.SyncOpportunityRolesResponse{Results: answer(len(in.GetInput()), commonv1.RecordStatus_RECORD_STATUS_CREATED, func(int) int32 { return 0 })}, nil
}

func (w *world) DeleteOpportunityRoles(_ context.Context, in *opportunityv1.DeleteOpportunityRolesRequest, _ ...grpc.CallOption) (*opportunityv1.DeleteOpportunityRolesResponse, error) {
	w.logf("delete roles %s", extIDs(in.GetKeys(), (*opportunityv1.OpportunityRoleKey).GetMarketoGuid))
	return &opportunityv1.DeleteOpportunityRolesResponse{Results: answer(len(in.GetKeys()), commonv1.RecordStatus_RECORD_STATUS_DELETED, func(int) int32 { return 0 })}, nil
}

func (w *world) CountOpportunityRoleReferences(_ context.Context, in *opportunityv1.CountOpportunityRoleReferencesRequest, _ ...grpc.CallOption) (*opportunityv1.CountOpportunityRoleReferencesResponse, error) {
	w.logf("count roles of opportunities %s leads %v", strings.Join(in.GetExternalOpportunityIds(), ","), in.GetLeadIds())
	var byLead []*commonv1.ReferenceCount
	for _, id := range slices.Compact(slices.Sorted(slices.Values(in.GetLeadIds()))) {
		if n := w.refs[fmt.Sprintf("role>lead:%d", id)]; n > 0 {
			byLead = append(byLead, &commonv1.ReferenceCount{Id: id, Count: n})
		}
	}
	return &opportunityv1.CountOpportunityRoleReferencesResponse{Opportunities: w.counts("role", "opportunity", in.GetExternalOpportunityIds()), Leads: byLead}, nil
}

func (w *world) SyncLeadLinks(_ context.Context, in *scoringv1.SyncLeadLinksRequest, _ ...grpc.CallOption) (*scoringv1.SyncLeadLinksResponse, error) {
	w.logf("link %s", extIDs(in.GetLinks(), func(l *scoringv1.LeadLink) string {
		return fmt.Sprintf("%d/%s/%s", l.GetLeadId(), l.GetExternalPersonId(), l.GetExternalSalesPersonId())
	}))
	return &scoringv1.SyncLeadLinksResponse{}, nil
}

func (w *world) DeleteLeadLinks(_ context.Context, in *scoringv1.DeleteLeadLinksRequest, _ ...grpc.CallOption) (*scoringv1.DeleteLeadLinksResponse, error) {
	w.logf("unlink %v", in.GetLeadIds())
	return &scoringv1.DeleteLeadLinksResponse{}, nil
}

// LockKeys implements store.KeyLocker, logging the keys (sorted) and the unlock.
func (w *world) LockKeys(_ context.Context, shared, exclusive []store.LockKey) (func(), error) {
	names := func(ks []store.LockKey) string {
		var s []string
		for _, k := range ks {
			s = append(s, k.Kind+":"+k.Key)
		}
		slices.Sort(s)
		return strings.Join(s, ",")
	}
	w.logf("lock shared %s exclusive %s", names(shared), names(exclusive))
	return func() { w.logf("unlock") }, nil
}

func (w *world) applier() *Applier {
	a := New(links.Clients{SalesPersons: w, Companies: w, Leads: w, Opportunities: w, Roles: w}, w)
	a.Locks = w
	return a
}

// render writes outcomes one a line: the result (status, id, guid, reasons) or the missing
// parent.
func render(out []Outcome) []string {
	var s []string
	for i, o := range out {
		switch {
		case o.Missing != nil:
			s = append(s, fmt.Sprintf("%d missing %s %s: %s %s", i, o.Missing.Kind, o.Missing.Key, o.Missing.Reason.GetCode(), o.Missing.Reason.GetMessage()))
		case o.Result != nil:
			line := fmt.Sprintf("%d %d %v id=%d guid=%s", i, o.Result.GetIndex(), o.Result.GetStatus(), o.Result.GetId(), o.Result.GetGuid())
			for _, r := range o.Result.GetReasons() {
				line += " [" + r.GetCode() + " " + r.GetMessage() + "]"
			}
			s = append(s, line)
		default:
			s = append(s, fmt.Sprintf("%d none", i))
		}
	}
	return s
}

func check(t *testing.T, w *world, out []Outcome, err error, wantOut, wantLog []string) {
	t.Helper()
	if err != nil {
		t.Fatalf("error: %v", err)
	}
	if got := render(out); !slices.Equal(got, wantOut) {
		t.Errorf("outcomes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantOut, "\n"))
	}
	if got := w.calls(); !slices.Equal(got, wantLog) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLog, "\n"))
	}
}

func TestSyncSalesPersons(t *testing.T) {
	w := newWorld()
	out, err := w.applier().SyncSalesPersons(context.Background(), &identityv1.SyncSalesPersonsRequest{Input: []*identityv1.SalesPersonInput{
		{ExternalSalesPersonId: proto.String("a")}, {ExternalSalesPersonId: proto.String("b")},
	}})
	check(t, w, out, err, []string{
		"0 0 RECORD_STATUS_CREATED id=100 guid=",
		"1 1 RECORD_STATUS_CREATED id=101 guid=",
	}, []string{"sync salesPersons a,b"})
}

func TestSyncCompaniesSendsThoseWhoseOwnerExists(t *testing.T) {
	w := newWorld()
	out, err := w.applier().SyncCompanies(context.Background(), commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY, commonv1.DedupeBy_DEDUPE_BY_ID_FIELD, []*accountv1.CompanyInput{
		{ExternalCompanyId: proto.String("c0"), ExternalSalesPersonId: proto.String("nobody")},
		{ExternalCompanyId: proto.String("c1"), ExternalSalesPersonId: proto.String("BOB")},
		{ExternalCompanyId: proto.String("c2")},
		{ExternalCompanyId: proto.String("c3"), ExternalSalesPersonId: proto.String("")},
	})
	check(t, w, out, err, []string{
		"0 missing salesPerson nobody: 718 ExternalSalesPersonID not found: externalSalesPersonId 'nobody' is not synced; sync the sales person first",
		"1 1 RECORD_STATUS_CREATED id=200 guid=",
		"2 2 RECORD_STATUS_CREATED id=201 guid=",
		"3 3 RECORD_STATUS_CREATED id=202 guid=",
	}, []string{
		"lock shared salesPerson:bob,salesPerson:nobody exclusive ",
		"get salesPersons 0BOB,0nobody",
		"sync companies SYNC_ACTION_CREATE_ONLY DEDUPE_BY_ID_FIELD c1,c2,c3",
		"unlock",
	})
}

func TestSyncCompaniesWithNoneToSendWritesNothing(t *testing.T) {
	w := newWorld()
	out, err := w.applier().SyncCompanies(context.Background(), 0, 0, []*accountv1.CompanyInput{
		{ExternalCompanyId: proto.String("c0"), ExternalSalesPersonId: proto.String("nobody")},
	})
	check(t, w, out, err, []string{
		"0 missing salesPerson nobody: 718 ExternalSalesPersonID not found: externalSalesPersonId 'nobody' is not synced; sync the sales person first",
	}, []string{
		"lock shared salesPerson:nobody exclusive ",
		"get salesPersons 0nobody",
		"unlock",
	})
}

func TestSyncLeadsChecksOwnerThenCompanyAndLinksUnderTheLocks(t *testing.T) {
	w := newWorld()
	out, err := w.applier().SyncLeads(context.Background(), &personv1.SyncLeadsRequest{
		Action: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY, LookupField: personv1.LeadLookupField_LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID, CreateDuplicate: true,
		Input: []*personv1.LeadInput{
			{ExternalPersonId: proto.String("l0"), ExternalSalesPersonId: proto.String("nobody"), ExternalCompanyId: proto.String("none")},
			{ExternalPersonId: proto.String("l1"), ExternalSalesPersonId: proto.String("bob"), ExternalCompanyId: proto.String("none")},
			{ExternalPersonId: proto.String("l2"), ExternalSalesPersonId: proto.String("amy"), ExternalCompanyId: proto.String("ACME")},
			{ExternalPersonId: proto.String("l3")},
			{ExternalPersonId: proto.String("l4"), ExternalCompanyId: proto.String("free")},
		},
	})
	check(t, w, out, err, []string{
		"0 missing salesPerson nobody: 718 ExternalSalesPersonID not found: externalSalesPersonId 'nobody' is not synced; sync the sales person first",
		"1 missing company none: 1013 Object not found: externalCompanyId 'none' is not synced; sync the company first",
		"2 2 RECORD_STATUS_CREATED id=21 guid=",
		"3 3 RECORD_STATUS_CREATED id=23 guid=",
		"4 4 RECORD_STATUS_SKIPPED id=25 guid=",
	}, []string{
		"lock shared company:acme,company:free,company:none,company:none,salesPerson:amy,salesPerson:bob,salesPerson:nobody exclusive ",
		"get companies 0ACME,0free,0none",
		"get salesPersons 0amy,0bob,0nobody",
		"sync leads SYNC_ACTION_UPDATE_ONLY LEAD_LOOKUP_FIELD_EXTERNAL_PERSON_ID true l2,l3,l4",
		"get leads 21,23 fields external_person_id,external_sales_person_id",
		"link 21/P1/bob,23/p3/",
		"unlock",
	})
}

func TestSyncOpportunitiesChecksOwnerThenCompany(t *testing.T) {
	w := newWorld()
	out, err := w.applier().SyncOpportunities(context.Background(), commonv1.SyncAction_SYNC_ACTION_CREATE_OR_UPDATE, commonv1.DedupeBy_DEDUPE_BY_DEDUPE_FIELDS, []*opportunityv1.OpportunityInput{
		{ExternalOpportunityId: proto.String("o0"), ExternalSalesPersonId: proto.String("nobody"), ExternalCompanyId: proto.String("none")},
		{ExternalOpportunityId: proto.String("o1"), ExternalCompanyId: proto.String("none")},
		{ExternalOpportunityId: proto.String("o2"), ExternalSalesPersonId: proto.String("bob"), ExternalCompanyId: proto.String("acme")},
	})
	check(t, w, out, err, []string{
		"0 missing salesPerson nobody: 718 ExternalSalesPersonID not found: externalSalesPersonId 'nobody' is not synced; sync the sales person first",
		"1 missing company none: 1013 Object not found: externalCompanyId 'none' is not synced; sync the company first",
		"2 2 RECORD_STATUS_UPDATED id=0 guid=",
	}, []string{
		"lock shared company:acme,company:none,company:none,salesPerson:bob,salesPerson:nobody exclusive ",
		"get companies 0acme,0none",
		"get salesPersons 0bob,0nobody",
		"sync opportunities SYNC_ACTION_CREATE_OR_UPDATE DEDUPE_BY_DEDUPE_FIELDS o2",
		"unlock",
	})
}

func TestSyncOpportunityRolesResolvesLeadsAndChecksParents(t *testing.T) {
	w := newWorld()
	role := func(opp string, lead *int32, person string) RoleInput {
		r := &opportunityv1.OpportunityRoleInput{LeadId: lead, Role: proto.String("r")}
		if opp != "" {
			r.ExternalOpportunityId = proto.String(opp)
		}
		return RoleInput{OpportunityRoleInput: r, ExternalPersonID: person}
	}
	in := []RoleInput{
		role("O1", proto.Int32(0), ""),      // incomplete key
		role("O1", nil, "nobody"),           // unknown lead by CRM id
		role("none", nil, "p1"),             // unknown opportunity
		role("o1", nil, "P1"),               // resolved to lead 21
		role("none", proto.Int32(21), ""),   // unknown opportunity, by id
		role("o2", proto.Int32(99), ""),     // unknown lead id
		role("o2", proto.Int32(0), "p3"),    // zero lead id with a CRM id: lead 0 is unknown
		role("o2", proto.Int32(23), "junk"), // by id: the CRM id is ignored
	}
	out, err := w.applier().SyncOpportunityRoles(context.Background(), commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY, commonv1.DedupeBy_DEDUPE_BY_DEDUPE_FIELDS, in)
	check(t, w, out, err, []string{
		"0 0 RECORD_STATUS_SKIPPED id=0 guid= [1002 Missing value for the required parameter 'leadId']",
		"1 missing lead nobody: 1013 Object not found: externalPersonId 'nobody' is not synced; sync the lead first",
		"2 missing opportunity none: 1013 Object not found: externalOpportunityId 'none' is not synced; sync the opportunity first",
		"3 3 RECORD_STATUS_CREATED id=0 guid=",
		"4 missing opportunity none: 1013 Object not found: externalOpportunityId 'none' is not synced; sync the opportunity first",
		"5 missing lead 99: 1013 Object not found: leadId 99 is not a lead; sync the lead first",
		"6 missing lead 0: 1013 Object not found: leadId 0 is not a lead; sync the lead first",
		"7 7 RECORD_STATUS_CREATED id=0 guid=",
	}, []string{
		"lock shared lead:nobody,lead:p1,lead:p1,leadId:21,leadId:23,leadId:99,opportunity:none,opportunity:none,opportunity:o1,opportunity:o1,opportunity:o1,opportunity:o2,opportunity:o2,opportunity:o2 exclusive ",
		"get leads 0,0P1,0nobody,21,23,99 fields external_person_id",
		"get opportunities none,o1,o2",
		"sync roles SYNC_ACTION_CREATE_ONLY DEDUPE_BY_DEDUPE_FIELDS o1/21,o2/23",
		"unlock",
	})
	if in[3].LeadId != nil {
		t.Errorf("the caller's role was changed: leadId %d", in[3].GetLeadId())
	}
}

func TestDeleteSalesPersonsRefusesThoseInUse(t *testing.T) {
	w := newWorld()
	out, err := w.applier().DeleteSalesPersons(context.Background(), []*identityv1.SalesPersonKey{
		{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: "BOB"}},
		{Key: &identityv1.SalesPersonKey_Id{Id: 1}},
		{Key: &identityv1.SalesPersonKey_Id{Id: 2}},
		{Key: &identityv1.SalesPersonKey_ExternalSalesPersonId{ExternalSalesPersonId: "ghost"}},
		{Key: &identityv1.SalesPersonKey_Id{Id: 7}},
	})
	check(t, w, out, err, []string{
		"0 0 RECORD_STATUS_SKIPPED id=1 guid= [1022 Object in use: sales person 'BOB' is still referenced by 1 lead, 2 companies; delete or re-parent them first]",
		"1 1 RECORD_STATUS_SKIPPED id=1 guid= [1022 Object in use: sales person 'Bob' is still referenced by 1 lead, 2 companies; delete or re-parent them first]",
		"2 2 RECORD_STATUS_DELETED id=2 guid=",
		"3 3 RECORD_STATUS_DELETED id=0 guid=",
		"4 4 RECORD_STATUS_DELETED id=7 guid=",
	}, []string{
		"get salesPersons 0BOB,0ghost,1,2,7",
		"lock shared  exclusive salesPerson:amy,salesPerson:bob,salesPerson:bob,salesPerson:bob,salesPerson:ghost",
		"count companies of salesPersons Bob,Bob,amy",
		"count leads of salesPersons Bob,Bob,amy companies ",
		"count opportunities of salesPersons Bob,Bob,amy companies ",
		"delete salesPersons 2,0ghost,7",
		"unlock",
	})
}

func TestDeleteCompaniesRefusesThoseInUse(t *testing.T) {
	w := newWorld()
	out, err := w.applier().DeleteCompanies(context.Background(), []*accountv1.CompanyKey{
		{Key: &accountv1.CompanyKey_Id{Id: 11}},
		{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: "FREE"}},
		{Key: &accountv1.CompanyKey_ExternalCompanyId{ExternalCompanyId: "acme"}},
	})
	check(t, w, out, err, []string{
		"0 0 RECORD_STATUS_SKIPPED id=11 guid= [1022 Object in use: company 'Acme' is still referenced by 1 opportunity, 3 leads; delete or re-parent them first]",
		"1 1 RECORD_STATUS_DELETED id=0 guid=",
		"2 2 RECORD_STATUS_SKIPPED id=11 guid= [1022 Object in use: company 'acme' is still referenced by 1 opportunity, 3 leads; delete or re-parent them first]",
	}, []string{
		"get companies 0FREE,0acme,11",
		"lock shared  exclusive company:acme,company:acme,company:acme,company:free,company:free",
		"count leads of salesPersons  companies Acme,free,Acme",
		"count opportunities of salesPersons  companies Acme,free,Acme",
		"delete companies 0FREE",
		"unlock",
	})
}

func TestDeleteCompaniesWithAllInUseDeletesNothing(t *testing.T) {
	w := newWorld()
	out, err := w.applier().DeleteCompanies(context.Background(), []*accountv1.CompanyKey{{Key: &accountv1.CompanyKey_Id{Id: 11}}})
	if err != nil || len(out) != 1 || out[0].Result.GetStatus() != commonv1.RecordStatus_RECORD_STATUS_SKIPPED {
		t.Fatalf("got %v, %v", render(out), err)
	}
	for _, l := range w.log {
		if strings.HasPrefix(l, "delete") {
			t.Errorf("deleted: %s", l)
		}
	}
}

func TestDeleteOpportunitiesRefusesThoseWithRoles(t *testing.T) {
	w := newWorld()
	out, err := w.applier().DeleteOpportunities(context.Background(), []*opportunityv1.OpportunityKey{
		{Key: &opportunityv1.OpportunityKey_MarketoGuid{MarketoGuid: "{0F8FAD5B-D9CB-469F-A165-70867728950E}"}},
		{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: "o1"}},
		{Key: &opportunityv1.OpportunityKey_ExternalOpportunityId{ExternalOpportunityId: "O2"}},
		{Key: &opportunityv1.OpportunityKey_MarketoGuid{MarketoGuid: "unknown"}},
	})
	check(t, w, out, err, []string{
		"0 0 RECORD_STATUS_SKIPPED id=0 guid=0f8fad5b-d9cb-469f-a165-70867728950e [1022 Object in use: opportunity 'O1' is still referenced by 2 opportunity roles; delete or re-parent them first]",
		"1 1 RECORD_STATUS_SKIPPED id=0 guid=0f8fad5b-d9cb-469f-a165-70867728950e [1022 Object in use: opportunity 'o1' is still referenced by 2 opportunity roles; delete or re-parent them first]",
		"2 2 RECORD_STATUS_DELETED id=0 guid=",
		"3 3 RECORD_STATUS_DELETED id=0 guid=",
	}, []string{
		"get opportunities O2,o1,unknown,{0F8FAD5B-D9CB-469F-A165-70867728950E}",
		"lock shared  exclusive opportunity:o1,opportunity:o1,opportunity:o1,opportunity:o2,opportunity:o2",
		"count roles of opportunities O1,O1,o2 leads []",
		"delete opportunities O2,unknown",
		"unlock",
	})
}

func TestDeleteLeadsRefusesThoseWithRolesAndUnlinksUnderTheLocks(t *testing.T) {
	w := newWorld()
	out, err := w.applier().DeleteLeads(context.Background(), []*personv1.LeadKey{
		{Key: &personv1.LeadKey_Id{Id: 21}},
		{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: "p1"}},
		{Key: &personv1.LeadKey_Id{Id: 22}},
		{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: "P3"}},
		{Key: &personv1.LeadKey_ExternalPersonId{ExternalPersonId: "ghost"}},
		{Key: &personv1.LeadKey_Id{Id: 0}},
	})
	check(t, w, out, err, []string{
		"0 0 RECORD_STATUS_SKIPPED id=21 guid= [1022 Object in use: lead 21 is still referenced by 1 opportunity role; delete or re-parent them first]",
		"1 1 RECORD_STATUS_SKIPPED id=21 guid= [1022 Object in use: lead 21 is still referenced by 1 opportunity role; delete or re-parent them first]",
		"2 2 RECORD_STATUS_DELETED id=22 guid=",
		"3 3 RECORD_STATUS_DELETED id=0 guid=",
		"4 4 RECORD_STATUS_DELETED id=0 guid=",
		"5 5 RECORD_STATUS_DELETED id=0 guid=",
	}, []string{
		"get leads 0,0P3,0ghost,0p1,21,22 fields external_person_id",
		"lock shared  exclusive lead:ghost,lead:p1,lead:p1,lead:p1,lead:p3,lead:p3,leadId:21,leadId:21,leadId:21,leadId:22,leadId:22,leadId:23",
		"count roles of opportunities  leads [21 21 22 23]",
		"delete leads 22,0P3,0ghost,0",
		"unlink [22 0 0 0]",
		"unlock",
	})
}

func TestDeleteOpportunityRoles(t *testing.T) {
	w := newWorld()
	out, err := w.applier().DeleteOpportunityRoles(context.Background(), []*opportunityv1.OpportunityRoleKey{
		{Key: &opportunityv1.OpportunityRoleKey_MarketoGuid{MarketoGuid: "g0"}},
		{Key: &opportunityv1.OpportunityRoleKey_MarketoGuid{MarketoGuid: "g1"}},
	})
	check(t, w, out, err, []string{
		"0 0 RECORD_STATUS_DELETED id=0 guid=",
		"1 1 RECORD_STATUS_DELETED id=0 guid=",
	}, []string{"delete roles g0,g1"})
}

func TestMergeRefusesAnswersThatDoNotMatch(t *testing.T) {
	for name, results := range map[string][]*commonv1.RecordResult{
		"too few":      {{Index: 0}},
		"repeated":     {{Index: 1}, {Index: 1}},
		"out of range": {{Index: 0}, {Index: 2}},
	} {
		t.Run(name, func(t *testing.T) {
			if err := merge(make([]Outcome, 3), []int{0, 1}, results); err == nil {
				t.Error("merged")
			}
		})
	}
}
