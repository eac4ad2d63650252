package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketoclient"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
	"github.com/msisync/msisync/services/orchestrator/internal/store/sqlstore"
)

// t0 is when every test starts, on the fake clock.
var t0 = time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)

// clock is a fake clock that moves only when the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// noSleep makes the client's backoff and rate waits instant.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// call is one REST call the fake Marketo received (token requests are not recorded).
type call struct {
	Method, Path string
	Query        url.Values
	Body         map[string]any
}

// inputs returns the call's body input records.
func (c call) inputs() []map[string]any {
	in, _ := c.Body["input"].([]any)
	out := make([]map[string]any, len(in))
	for i, r := range in {
		out[i], _ = r.(map[string]any)
	}
	return out
}

// fakeMarketo is a Marketo instance of the test's. It records every REST call in order,
// hands out ids (stable per object and key) for synced records, and answers the MSI
// poller's reads from msi, pages and types.
type fakeMarketo struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	calls  []call
	ids    map[string]int64                      // "path|key" → id
	nextID int64                                 // last id handed out
	answer map[string]func(c call) any           // "METHOD path" → result (a string: the whole envelope)
	msi    map[int64]map[string]any              // Marketo lead id → MSI fields
	pages  map[string]marketoclient.ActivityPage // paging token → page
}

func newFakeMarketo(t *testing.T) *fakeMarketo {
	f := &fakeMarketo{t: t, ids: map[string]int64{}, nextID: 1000, answer: map[string]func(call) any{},
		msi: map[int64]map[string]any{}, pages: map[string]marketoclient.ActivityPage{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// on makes the fake answer METHOD path with what reply returns (nil: the default answer;
// a string: the whole envelope) until off.
func (f *fakeMarketo) on(method, path string, reply func(c call) any) {
	f.mu.Lock()
	f.answer[method+" "+path] = reply
	f.mu.Unlock()
}

func (f *fakeMarketo) off(method, path string) {
	f.mu.Lock()
	delete(f.answer, method+" "+path)
	f.mu.Unlock()
}

// recorded returns the calls received so far and forgets them.
func (f *fakeMarketo) recorded() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

// failure is a Marketo envelope with one response-level error.
func failure(code, msg string) string {
	return fmt.Sprintf(`{"requestId":"1#x","success":false,"errors":[{"code":%q,"message":%q}]}`, code, msg)
}

func (f *fakeMarketo) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/identity/oauth/token" {
		fmt.Fprint(w, `{"access_token":"tok","token_type":"bearer","expires_in":3599}`)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	c := call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &c.Body); err != nil {
			f.t.Errorf("%s %s: the body is not JSON: %v", r.Method, r.URL.Path, err)
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	reply := f.answer[c.Method+" "+c.Path]
	f.mu.Unlock()
	var result any
	if reply != nil {
		result = reply(c)
	}
	if s, ok := result.(string); ok {
		fmt.Fprint(w, s)
		return
	}
	env := map[string]any{"requestId": "1#x", "success": true}
	if result == nil {
		result = f.defaultAnswer(c, env)
	}
	env["result"] = result
	b, _ := json.Marshal(env)
	w.Write(b)
}

// keyFields name the record in each sync path, for stable ids.
var keyFields = map[string][]string{
	"/rest/v1/salespersons.json":        {"externalSalesPersonId"},
	"/rest/v1/companies.json":           {"externalCompanyId"},
	"/rest/v1/leads.json":               {"externalPersonId"},
	"/rest/v1/opportunities.json":       {"externalOpportunityId"},
	"/rest/v1/opportunities/roles.json": {"externalOpportunityId", "leadId", "role"},
}

// defaultAnswer answers what Marketo answers when everything goes well; env takes the
// envelope's paging fields.
func (f *fakeMarketo) defaultAnswer(c call, env map[string]any) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case c.Method == http.MethodGet && c.Path == "/rest/v1/leads.json":
		var out []map[string]any
		for _, v := range strings.Split(c.Query.Get("filterValues"), ",") {
			var id int64
			fmt.Sscan(v, &id)
			if rec, ok := f.msi[id]; ok {
				out = append(out, rec)
			}
		}
		return out
	case c.Path == "/rest/v1/activities/types.json":
		return []map[string]any{{"id": 1, "name": "Visit Webpage"}, {"id": 22, "name": "Change Score"}, {"id": 46, "name": "Interesting Moment"}}
	case c.Path == "/rest/v1/activities/pagingtoken.json":
		env["nextPageToken"] = "T0"
		return nil
	case c.Path == "/rest/v1/activities.json":
		page := f.pages[c.Query.Get("nextPageToken")]
		env["nextPageToken"], env["moreResult"] = page.NextPageToken, page.MoreResult
		return page.Activities
	case c.Path == "/rest/v1/stats/usage.json":
		return []map[string]any{{"date": "2026-11-29", "total": 0}}
	case strings.HasSuffix(c.Path, "/delete.json"):
		var out []map[string]any
		for i, in := range c.inputs() {
			r := map[string]any{"status": "deleted"}
			if c.Path != "/rest/v1/leads/delete.json" {
				r["seq"] = i
			}
			for k, v := range in {
				r[k] = v
			}
			out = append(out, r)
		}
		return out
	}
	fields, ok := keyFields[c.Path]
	if !ok || c.Method != http.MethodPost {
		f.t.Errorf("the fake Marketo does not know %s %s", c.Method, c.Path)
		return []any{}
	}
	var out []map[string]any
	for i, in := range c.inputs() {
		r := map[string]any{"seq": i}
		var id int64
		if c.Body["lookupField"] == "id" {
			id = int64(in["id"].(float64))
			r["status"] = "updated"
		} else {
			key := c.Path
			for _, k := range fields {
				key += fmt.Sprintf("|%v", in[k])
			}
			if id = f.ids[key]; id != 0 {
				r["status"] = "updated"
			} else {
				f.nextID++
				id, f.ids[key] = f.nextID, f.nextID
				r["status"] = "created"
			}
		}
		switch c.Path {
		case "/rest/v1/leads.json":
			delete(r, "seq") // lead results carry no seq: they follow the input's order
			r["id"] = id
		case "/rest/v1/opportunities.json", "/rest/v1/opportunities/roles.json":
			r["marketoGUID"] = fmt.Sprintf("mkto-guid-%d", id)
		default:
			r["id"] = id
		}
		out = append(out, r)
	}
	return out
}

// The fakes below hold the entity services' records in memory by msisync id; each embeds
// its client interface, so a call the tests do not expect panics.

type fakeSalesPersons struct {
	identityv1.SalesPersonServiceClient
	byID map[int32]*identityv1.SalesPerson
}

func (f *fakeSalesPersons) BatchGetSalesPersons(_ context.Context, in *identityv1.BatchGetSalesPersonsRequest, _ ...grpc.CallOption) (*identityv1.BatchGetSalesPersonsResponse, error) {
	out := &identityv1.BatchGetSalesPersonsResponse{}
	for _, k := range in.GetKeys() {
		for _, r := range f.byID {
			if r.GetId() == k.GetId() || k.GetExternalSalesPersonId() != "" && extid.Key(r.GetExternalSalesPersonId()) == extid.Key(k.GetExternalSalesPersonId()) {
				out.SalesPersons = append(out.SalesPersons, r)
			}
		}
	}
	return out, nil
}

type fakeCompanies struct {
	accountv1.CompanyServiceClient
	byID map[int32]*accountv1.Company
}

func (f *fakeCompanies) BatchGetCompanies(_ context.Context, in *accountv1.BatchGetCompaniesRequest, _ ...grpc.CallOption) (*accountv1.BatchGetCompaniesResponse, error) {
	out := &accountv1.BatchGetCompaniesResponse{}
	for _, k := range in.GetKeys() {
		for _, r := range f.byID {
			if r.GetId() == k.GetId() || k.GetExternalCompanyId() != "" && extid.Key(r.GetExternalCompanyId()) == extid.Key(k.GetExternalCompanyId()) {
				out.Companies = append(out.Companies, r)
			}
		}
	}
	return out, nil
}

type fakeLeads struct {
	personv1.LeadServiceClient
	byID map[int32]*personv1.Lead
}

func (f *fakeLeads) BatchGetLeads(_ context.Context, in *personv1.BatchGetLeadsRequest, _ ...grpc.CallOption) (*personv1.BatchGetLeadsResponse, error) {
	out := &personv1.BatchGetLeadsResponse{}
	for _, k := range in.GetKeys() {
		for _, r := range f.byID {
			if r.GetId() == k.GetId() || k.GetExternalPersonId() != "" && extid.Key(r.GetExternalPersonId()) == extid.Key(k.GetExternalPersonId()) {
				out.Leads = append(out.Leads, r)
			}
		}
	}
	return out, nil
}

func (f *fakeLeads) ListLeads(_ context.Context, in *personv1.ListLeadsRequest, _ ...grpc.CallOption) (*personv1.ListLeadsResponse, error) {
	if in.GetFilterField() != personv1.LeadField_LEAD_FIELD_EMAIL {
		return nil, fmt.Errorf("the fake lists leads by email only, not %v", in.GetFilterField())
	}
	out := &personv1.ListLeadsResponse{}
	for _, v := range in.GetFilterValues() {
		for _, r := range f.byID {
			if strings.EqualFold(r.GetEmail(), v) {
				out.Leads = append(out.Leads, r)
			}
		}
	}
	return out, nil
}

type fakeOpportunities struct {
	opportunityv1.OpportunityServiceClient
	byGUID map[string]*opportunityv1.Opportunity
}

func (f *fakeOpportunities) BatchGetOpportunities(_ context.Context, in *opportunityv1.BatchGetOpportunitiesRequest, _ ...grpc.CallOption) (*opportunityv1.BatchGetOpportunitiesResponse, error) {
	out := &opportunityv1.BatchGetOpportunitiesResponse{}
	for _, k := range in.GetKeys() {
		if r, ok := f.byGUID[store.LocalID(0, k.GetMarketoGuid())]; ok && k.GetMarketoGuid() != "" {
			out.Opportunities = append(out.Opportunities, r)
		}
	}
	return out, nil
}

type fakeRoles struct {
	opportunityv1.OpportunityRoleServiceClient
	byGUID map[string]*opportunityv1.OpportunityRole
}

func (f *fakeRoles) BatchGetOpportunityRoles(_ context.Context, in *opportunityv1.BatchGetOpportunityRolesRequest, _ ...grpc.CallOption) (*opportunityv1.BatchGetOpportunityRolesResponse, error) {
	out := &opportunityv1.BatchGetOpportunityRolesResponse{}
	for _, k := range in.GetKeys() {
		if r, ok := f.byGUID[store.LocalID(0, k.GetMarketoGuid())]; ok && k.GetMarketoGuid() != "" {
			out.OpportunityRoles = append(out.OpportunityRoles, r)
		}
	}
	return out, nil
}

// harness is a Forwarder over the entity fakes, a real SQLite store and the fake Marketo,
// on a fake clock.
type harness struct {
	t      *testing.T
	ctx    context.Context
	clock  *clock
	store  *sqlstore.Store
	mkto   *fakeMarketo
	client *marketoclient.Client
	fwd    *Forwarder

	owners    *fakeSalesPersons
	companies *fakeCompanies
	leads     *fakeLeads
	opps      *fakeOpportunities
	roles     *fakeRoles
}

// linger is the harness forwarder's Options.Linger.
const linger = time.Second

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, config.Store{DataDir: t.TempDir(), SQLiteSynchronous: "NORMAL"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{
		t: t, ctx: ctx, clock: &clock{t: t0}, store: st, mkto: newFakeMarketo(t),
		owners:    &fakeSalesPersons{byID: map[int32]*identityv1.SalesPerson{}},
		companies: &fakeCompanies{byID: map[int32]*accountv1.Company{}},
		leads:     &fakeLeads{byID: map[int32]*personv1.Lead{}},
		opps:      &fakeOpportunities{byGUID: map[string]*opportunityv1.Opportunity{}},
		roles:     &fakeRoles{byGUID: map[string]*opportunityv1.OpportunityRole{}},
	}
	cfg := marketoclient.Defaults
	cfg.URL, cfg.ClientID, cfg.ClientSecret, cfg.Timeout = h.mkto.srv.URL, "cid", config.Secret("secret"), 10*time.Second
	h.client = marketoclient.New(cfg, marketoclient.Options{Now: h.clock.now, Sleep: noSleep})
	h.fwd = NewForwarder(st, h.clients(), h.client, Options{Owner: "test", Linger: linger, Now: h.clock.now})
	return h
}

func (h *harness) clients() links.Clients {
	return links.Clients{SalesPersons: h.owners, Companies: h.companies, Leads: h.leads, Opportunities: h.opps, Roles: h.roles}
}

// Local records: put* store them in the entity fakes and return their keys.

func (h *harness) putOwner(id int32, ext string) store.UpstreamKey {
	h.owners.byID[id] = &identityv1.SalesPerson{Id: id, ExternalSalesPersonId: ext, Email: strings.ToLower(ext) + "@example.com"}
	return ownerKey(id)
}

func (h *harness) putCompany(id int32, ext, owner, name string) store.UpstreamKey {
	h.companies.byID[id] = &accountv1.Company{Id: id, ExternalCompanyId: ext, ExternalSalesPersonId: owner, Company: name}
	return companyKey(id)
}

func (h *harness) putLead(l *personv1.Lead) store.UpstreamKey {
	h.leads.byID[l.GetId()] = l
	return leadKey(l.GetId())
}

func ownerKey(id int32) store.UpstreamKey {
	return store.UpstreamKey{Object: store.UpstreamSalesPerson, LocalID: store.LocalID(id, "")}
}

func companyKey(id int32) store.UpstreamKey {
	return store.UpstreamKey{Object: store.UpstreamCompany, LocalID: store.LocalID(id, "")}
}

func leadKey(id int32) store.UpstreamKey {
	return store.UpstreamKey{Object: store.UpstreamLead, LocalID: store.LocalID(id, "")}
}

// mark marks the keys for delivery now, as a fenced write's end does.
func (h *harness) mark(keys ...store.UpstreamKey) {
	h.t.Helper()
	if err := h.store.EndUpstreamWrite(h.ctx, 0, keys, h.clock.now()); err != nil {
		h.t.Fatalf("marking %v: %v", keys, err)
	}
}

// settle moves the clock past the linger of what was just marked.
func (h *harness) settle() { h.clock.advance(linger) }

// later moves the clock past any retry a waiting record was given.
func (h *harness) later() { h.clock.advance(10 * time.Minute) }

// cycle runs one forwarder cycle and returns the Marketo calls it made.
func (h *harness) cycle() []call {
	h.t.Helper()
	h.mkto.recorded()
	if _, err := h.fwd.Cycle(h.ctx); err != nil {
		h.t.Fatalf("Cycle: %v", err)
	}
	return h.mkto.recorded()
}

// deliver marks the keys and runs a cycle past the linger, failing the test unless every
// key ends up held by Marketo.
func (h *harness) deliver(keys ...store.UpstreamKey) {
	h.t.Helper()
	h.mark(keys...)
	h.settle()
	h.cycle()
	for _, k := range keys {
		if d, ok := h.delivered(k); !ok || !d.Known() {
			h.t.Fatalf("%v was not delivered: %+v (waits: %q)", k, d, h.reason(k))
		}
	}
}

// delivered returns what the store says Marketo holds of the key.
func (h *harness) delivered(k store.UpstreamKey) (store.Delivered, bool) {
	h.t.Helper()
	got, err := h.store.GetDelivered(h.ctx, []store.UpstreamKey{k})
	if err != nil {
		h.t.Fatalf("GetDelivered: %v", err)
	}
	d, ok := got[k]
	return d, ok
}

// reason returns why the key's outbox row waits ("" when it has none).
func (h *harness) reason(k store.UpstreamKey) string {
	h.t.Helper()
	got, err := h.store.WaitReasons(h.ctx, []store.UpstreamKey{k})
	if err != nil {
		h.t.Fatalf("WaitReasons: %v", err)
	}
	return got[k]
}

// queue returns the store's counts of obj.
func (h *harness) queue(obj store.UpstreamObject) store.UpstreamQueue {
	h.t.Helper()
	qs, err := h.store.CountUpstream(h.ctx, h.clock.now())
	if err != nil {
		h.t.Fatalf("CountUpstream: %v", err)
	}
	for _, q := range qs {
		if q.Object == obj {
			return q
		}
	}
	return store.UpstreamQueue{Object: obj}
}

// outboxEmpty fails the test unless no row of obj is left in the outbox.
func (h *harness) outboxEmpty(obj store.UpstreamObject) {
	h.t.Helper()
	if q := h.queue(obj); q.Backlog() != 0 {
		h.t.Errorf("%s outbox: %+v, want empty", obj, q)
	}
}

// paths returns the method and path of each call.
func paths(calls []call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.Method + " " + c.Path
	}
	return out
}

// only returns the calls to path.
func only(calls []call, method, path string) []call {
	var out []call
	for _, c := range calls {
		if c.Method == method && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}
