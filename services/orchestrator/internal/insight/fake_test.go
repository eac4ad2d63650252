package insight

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	scoringv1 "github.com/msisync/msisync/gen/msisync/scoring/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store/sqlstore"
)

// The fakes below hold the downstream services' records in memory; each embeds its client
// interface, so a call the tests do not expect panics.

type fakeIdentity struct {
	identityv1.SalesPersonServiceClient
	byKey map[string]*identityv1.SalesPerson
	calls int // BatchGetSalesPersons calls
}

func (f *fakeIdentity) add(id, email string) {
	f.byKey[extid.Key(id)] = &identityv1.SalesPerson{Id: int32(len(f.byKey) + 1), ExternalSalesPersonId: id, Email: email}
}

func (f *fakeIdentity) BatchGetSalesPersons(_ context.Context, in *identityv1.BatchGetSalesPersonsRequest, _ ...grpc.CallOption) (*identityv1.BatchGetSalesPersonsResponse, error) {
	f.calls++
	if len(in.GetKeys()) > 300 {
		return nil, fmt.Errorf("BatchGetSalesPersons got %d keys, at most 300", len(in.GetKeys()))
	}
	out := &identityv1.BatchGetSalesPersonsResponse{}
	seen := map[string]bool{}
	for _, k := range in.GetKeys() {
		key := extid.Key(k.GetExternalSalesPersonId())
		if sp, ok := f.byKey[key]; ok && !seen[key] {
			seen[key] = true
			out.SalesPersons = append(out.SalesPersons, sp)
		}
	}
	return out, nil
}

type fakeCompanies struct {
	accountv1.CompanyServiceClient
	byKey map[string]*accountv1.Company
}

func (f *fakeCompanies) BatchGetCompanies(_ context.Context, in *accountv1.BatchGetCompaniesRequest, _ ...grpc.CallOption) (*accountv1.BatchGetCompaniesResponse, error) {
	out := &accountv1.BatchGetCompaniesResponse{}
	for _, k := range in.GetKeys() {
		if c, ok := f.byKey[extid.Key(k.GetExternalCompanyId())]; ok {
			out.Companies = append(out.Companies, c)
		}
	}
	return out, nil
}

type fakeLeads struct {
	personv1.LeadServiceClient
	byKey map[string]*personv1.Lead
}

func (f *fakeLeads) BatchGetLeads(_ context.Context, in *personv1.BatchGetLeadsRequest, _ ...grpc.CallOption) (*personv1.BatchGetLeadsResponse, error) {
	out := &personv1.BatchGetLeadsResponse{}
	for _, k := range in.GetKeys() {
		if l, ok := f.byKey[extid.Key(k.GetExternalPersonId())]; ok {
			out.Leads = append(out.Leads, l)
		}
	}
	return out, nil
}

func (f *fakeLeads) CountLeadReferences(context.Context, *personv1.CountLeadReferencesRequest, ...grpc.CallOption) (*personv1.CountLeadReferencesResponse, error) {
	return &personv1.CountLeadReferencesResponse{}, nil
}

type fakeOpportunities struct {
	opportunityv1.OpportunityServiceClient
	byKey map[string]*opportunityv1.Opportunity
}

func (f *fakeOpportunities) BatchGetOpportunities(_ context.Context, in *opportunityv1.BatchGetOpportunitiesRequest, _ ...grpc.CallOption) (*opportunityv1.BatchGetOpportunitiesResponse, error) {
	out := &opportunityv1.BatchGetOpportunitiesResponse{}
	for _, k := range in.GetKeys() {
		if o, ok := f.byKey[extid.Key(k.GetExternalOpportunityId())]; ok {
			out.Opportunities = append(out.Opportunities, o)
		}
	}
	return out, nil
}

func (f *fakeOpportunities) CountOpportunityReferences(context.Context, *opportunityv1.CountOpportunityReferencesRequest, ...grpc.CallOption) (*opportunityv1.CountOpportunityReferencesResponse, error) {
	return &opportunityv1.CountOpportunityReferencesResponse{}, nil
}

// fakeRoles has no roles.
type fakeRoles struct {
	opportunityv1.OpportunityRoleServiceClient
}

func (fakeRoles) ListOpportunityRoles(context.Context, *opportunityv1.ListOpportunityRolesRequest, ...grpc.CallOption) (*opportunityv1.ListOpportunityRolesResponse, error) {
	return &opportunityv1.ListOpportunityRolesResponse{}, nil
}

// fakeScoring has no insight.
type fakeScoring struct {
	scoringv1.ScoringServiceClient
}

func (fakeScoring) BatchGetInsights(context.Context, *scoringv1.BatchGetInsightsRequest, ...grpc.CallOption) (*scoringv1.BatchGetInsightsResponse, error) {
	return &scoringv1.BatchGetInsightsResponse{}, nil
}

// harness is an InsightService over the fakes and a real SQLite store.
type harness struct {
	srv           *Server
	store         *sqlstore.Store
	identity      *fakeIdentity
	companies     *fakeCompanies
	leads         *fakeLeads
	opportunities *fakeOpportunities
}

var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{
		store:         st,
		identity:      &fakeIdentity{byKey: map[string]*identityv1.SalesPerson{}},
		companies:     &fakeCompanies{byKey: map[string]*accountv1.Company{}},
		leads:         &fakeLeads{byKey: map[string]*personv1.Lead{}},
		opportunities: &fakeOpportunities{byKey: map[string]*opportunityv1.Opportunity{}},
	}
	clients := links.Clients{SalesPersons: h.identity, Companies: h.companies, Leads: h.leads, Opportunities: h.opportunities, Roles: fakeRoles{}}
	h.srv = New(clients, fakeScoring{}, DefaultColumns, st, []byte("page-key-for-tests-0123456789abc"))
	h.srv.now = func() time.Time { return t0 }
	return h
}
