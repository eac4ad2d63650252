package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/connector"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	"github.com/msisync/msisync/connectors/dynamics/simulator"
	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// dynamicsEnv is the suite, a seeded Dataverse simulator behind real HTTP, and a connector
// between them over real gRPC.
type dynamicsEnv struct {
	t        *testing.T
	suite    *suite
	sim      *simulator.Simulator
	simURL   string
	stateDir string
	conn     *connector.Connector
	tok      string
	progress func(connector.Event) // when set, sees the connector's progress events
	// databaseURL keeps the suite's and the connector's data in PostgreSQL ("" for SQLite).
	databaseURL string
	// fallbackOwner is the connector's MSISYNC_DYNAMICS_FALLBACK_OWNER (see open).
	fallbackOwner string
	// log, when set, receives the connector's messages (see open).
	log *slog.Logger
	// configure, when set, changes the connector's configuration (see open).
	configure func(*connector.Config)
}

func newDynamicsEnv(t *testing.T, seed simulator.SeedOptions) *dynamicsEnv {
	t.Helper()
	return newDynamicsEnvOn(t, seed, "")
}

// newDynamicsEnvOn is newDynamicsEnv with the suite and the connector's state in the
// PostgreSQL database databaseURL ("" for SQLite).
func newDynamicsEnvOn(t *testing.T, seed simulator.SeedOptions, databaseURL string) *dynamicsEnv {
	t.Helper()
	return newDynamicsEnvWith(t, seed, databaseURL)
}

// newDynamicsEnvWith is newDynamicsEnvOn with extra settings (NAME=value) for the suite.
func newDynamicsEnvWith(t *testing.T, seed simulator.SeedOptions, databaseURL string, extra ...string) *dynamicsEnv {
	t.Helper()
	sim := simulator.New(simulator.Options{Seed: &seed})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	if databaseURL != "" {
		extra = append(extra, "MSISYNC_DATABASE_URL="+databaseURL)
	}
	e := &dynamicsEnv{t: t, suite: startSuite(t, "", extra...), sim: sim, simURL: srv.URL, stateDir: t.TempDir(), databaseURL: databaseURL}
	e.tok = e.suite.token()
	e.open()
	return e
}

// open (re)creates the connector over the same state directory, as a restart would.
func (e *dynamicsEnv) open() {
	e.t.Helper()
	if e.conn != nil {
		e.conn.Close()
	}
	cfg := connector.Config{
		URL: e.simURL, TokenURL: e.simURL + "/common/oauth2/v2.0/token", ClientID: "msisync-sim", ClientSecret: "sim-secret",
		SyncInterval: time.Minute, WritebackInterval: time.Minute, PageSize: 500, MaxConcurrency: 4, BatchSize: 50, WritebackParallel: 2, ThrottleBudget: time.Minute,
		PollInterval: 50 * time.Millisecond, OrchestratorAddr: e.suite.grpc["orchestrator"],
		OrchestratorClientID: testClientID, OrchestratorClientSecret: testClientSecret, FallbackOwner: e.fallbackOwner,
		Store: config.Store{DataDir: e.stateDir, SQLiteSynchronous: "NORMAL", DatabaseURL: config.Secret(e.databaseURL)},
	}
	if e.configure != nil {
		e.configure(&cfg)
	}
	c, err := connector.New(context.Background(), cfg, connector.Options{Log: e.log, Progress: func(ev connector.Event) {
		if e.progress != nil {
			e.progress(ev)
		}
	}})
	if err != nil {
		e.t.Fatalf("connector.New: %v", err)
	}
	e.conn = c
	e.t.Cleanup(func() { c.Close() })
}

func (e *dynamicsEnv) sync() *connector.SyncReport {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := e.conn.SyncOnce(ctx)
	if err != nil {
		e.t.Fatalf("SyncOnce: %v", err)
	}
	return rep
}

// leads returns msisync's leads by externalPersonId, with the given fields.
func (e *dynamicsEnv) leads(ids []string, fields ...string) map[string]map[string]any {
	return e.lookup("/rest/v1/leads.json", "externalPersonId", ids, append([]string{"externalPersonId"}, fields...))
}

// lookup queries a Marketo endpoint by an external id, 300 at a time.
func (e *dynamicsEnv) lookup(path, filter string, ids []string, fields []string) map[string]map[string]any {
	e.t.Helper()
	out := map[string]map[string]any{}
	for start := 0; start < len(ids); start += 300 {
		part := ids[start:min(start+300, len(ids))]
		q := url.Values{"filterType": {filter}, "filterValues": {strings.Join(part, ",")}, "fields": {strings.Join(fields, ",")}}
		r := e.suite.call(http.MethodPost, path+"?_method=GET", e.tok, "application/x-www-form-urlencoded", q.Encode())
		if r.body["success"] != true {
			e.t.Fatalf("%s: %s", path, r.raw)
		}
		for _, rec := range r.results() {
			out[strings.ToLower(fmt.Sprint(rec[filter]))] = rec
		}
	}
	return out
}

// findings returns the orchestrator's CRM findings by kind.
func (e *dynamicsEnv) findings() map[string][]map[string]any {
	e.t.Helper()
	out := map[string][]map[string]any{}
	token := ""
	for {
		r := e.suite.call(http.MethodGet, "/v1/crm/findings?page_size=300&page_token="+url.QueryEscape(token), e.tok, "", nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("GET /v1/crm/findings: HTTP %d %s", r.status, r.raw)
		}
		items, _ := r.body["findings"].([]any)
		for _, it := range items {
			f := it.(map[string]any)
			out[fmt.Sprint(f["kind"])] = append(out[fmt.Sprint(f["kind"])], f)
		}
		if token, _ = r.body["nextPageToken"].(string); token == "" {
			return out
		}
	}
}

// object returns the report line of one object type.
func object(rep *connector.SyncReport, o mapping.Object) connector.ObjectReport {
	for _, r := range rep.Objects {
		if r.Object == o {
			return r
		}
	}
	return connector.ObjectReport{Object: o}
}

// sent counts the records a cycle sent, all types together.
func sent(rep *connector.SyncReport) int {
	n := 0
	for _, o := range rep.Objects {
		n += o.Sent
	}
	return n
}

func TestDynamicsInitialLoadLinksEveryRecordOrExplainsIt(t *testing.T) {
	// The simulator's default org: 50 users, 2,000 accounts, 20,000 contacts, 5,000 leads,
	// 3,000 opportunities and their stakeholders, with every odd case.
	e := newDynamicsEnv(t, simulator.DefaultSeedOptions())
	seed := e.sim.SeedReport()
	rep := e.sync()
	t.Logf("initial load: %s", rep)
	for _, s := range rep.Sets {
		if !s.Full {
			t.Errorf("%s: first load was not a full read", s.EntitySet)
		}
	}
	for _, o := range rep.Objects {
		if o.Applied+o.Parked+o.Rejected != o.Sent {
			t.Errorf("%s: sent %d but applied %d + parked %d + rejected %d", o.Object, o.Sent, o.Applied, o.Parked, o.Rejected)
		}
	}
	if got, want := object(rep, mapping.SalesPerson).Applied, seed.Users-seed.DisabledUsers; got != want {
		t.Errorf("sales persons applied = %d, want every enabled interactive user: %d", got, want)
	}

	// What only the CRM knows is reported, one finding per odd row.
	found := e.findings()
	counts := map[string]int{}
	for k, v := range found {
		counts[k] = len(v)
	}
	teamOwned := 0
	for _, n := range seed.OwnedByTeam {
		teamOwned += n
	}
	if counts["CRM_FINDING_KIND_TEAM_OWNER"] != teamOwned {
		t.Errorf("team-owner findings = %d, want %d (%v)", counts["CRM_FINDING_KIND_TEAM_OWNER"], teamOwned, seed.OwnedByTeam)
	}
	if counts["CRM_FINDING_KIND_PARENT_IS_CONTACT"] != seed.ContactsWithContactParent {
		t.Errorf("parent-is-contact findings = %d, want %d", counts["CRM_FINDING_KIND_PARENT_IS_CONTACT"], seed.ContactsWithContactParent)
	}
	if want := seed.AccountsOwnedByDisabledUser + seed.ContactsOwnedByDisabledUser; counts["CRM_FINDING_KIND_INACTIVE_OWNER"] < want {
		t.Errorf("inactive-owner findings = %d, want at least %d", counts["CRM_FINDING_KIND_INACTIVE_OWNER"], want)
	}
	explained := map[string]bool{}
	for _, list := range found {
		for _, f := range list {
			explained[fmt.Sprint(f["externalId"])] = true
		}
	}

	// Every company is synced with its owner, or explained.
	accounts := e.sim.IDs("accounts")
	companies := e.lookup("/rest/v1/companies.json", "externalCompanyId", accounts, []string{"externalCompanyId", "externalSalesPersonId"})
	missingCompany := map[string]bool{}
	for _, id := range accounts {
		row, _ := e.sim.Get("accounts", id)
		c, ok := companies[id]
		switch {
		case !ok && !explained[id]:
			t.Errorf("account %s is not synced and no finding explains why", id)
		case !ok:
			missingCompany[id] = true
		case e.sim.LookupTarget("accounts", id, "_ownerid_value") == "systemuser" && c["externalSalesPersonId"] != row["_ownerid_value"]:
			t.Errorf("company %s: owner %v, want %v", id, c["externalSalesPersonId"], row["_ownerid_value"])
		}
	}
	// Every contact is a lead linked to its account and owner; or it waits for an account
	// that a finding explains; or a finding explains it.
	contacts := e.sim.IDs("contacts")
	leads := e.leads(contacts, "externalCompanyId", "externalSalesPersonId", "email")
	parked := 0
	for _, id := range contacts {
		row, _ := e.sim.Get("contacts", id)
		parent, _ := row["_parentcustomerid_value"].(string)
		l, ok := leads[id]
		if !ok {
			if !missingCompany[parent] {
				t.Errorf("contact %s is not synced, and its account %q is", id, parent)
			}
			parked++
			continue
		}
		if e.sim.LookupTarget("contacts", id, "_parentcustomerid_value") == "account" && l["externalCompanyId"] != parent {
			t.Errorf("lead %s: company %v, want %s", id, l["externalCompanyId"], parent)
		}
		if !strings.EqualFold(fmt.Sprint(l["email"]), fmt.Sprint(row["emailaddress1"])) {
			t.Errorf("lead %s: email %v, want %v", id, l["email"], row["emailaddress1"])
		}
	}
	// Dynamics leads likewise, through their parent account.
	dynLeads := e.sim.IDs("leads")
	synced := e.leads(dynLeads, "externalCompanyId")
	for _, id := range dynLeads {
		row, _ := e.sim.Get("leads", id)
		parent, _ := row["_parentaccountid_value"].(string)
		l, ok := synced[id]
		switch {
		case !ok && !missingCompany[parent]:
			t.Errorf("Dynamics lead %s is not synced, and its account %q is", id, parent)
		case !ok:
			parked++
		case parent != "" && l["externalCompanyId"] != parent:
			t.Errorf("lead %s: company %v, want %s", id, l["externalCompanyId"], parent)
		}
	}
	// A parked contact's diagnostics say what it waits for, and why that account is missing.
	for _, id := range contacts {
		row, _ := e.sim.Get("contacts", id)
		parent, _ := row["_parentcustomerid_value"].(string)
		if _, ok := leads[id]; ok || !missingCompany[parent] {
			continue
		}
		d := e.suite.call(http.MethodGet, "/v1/diagnostics/persons/"+id, e.tok, "", nil)
		if !strings.Contains(string(d.raw), "not waiting for a parent") || !strings.Contains(string(d.raw), "company '"+parent+"'") ||
			!strings.Contains(string(d.raw), "the CRM says: account") {
			t.Errorf("diagnostics of a contact parked for its account %s do not explain it: %s", parent, d.raw)
		}
		break
	}
	if parked != object(rep, mapping.Lead).Parked {
		t.Errorf("people waiting for an unsynced account = %d, but the report says %d leads parked", parked, object(rep, mapping.Lead).Parked)
	}
	// Each reason is reported with a count.
	for _, r := range rep.Reasons {
		t.Logf("%d %s %s: %s %s (e.g. %s)", r.Count, r.Object, r.Outcome, r.Code, r.Message, r.Example)
	}

	// A full resync reads and sends everything again, to the same outcome.
	again, err := e.conn.Resync(context.Background())
	if err != nil {
		t.Fatalf("Resync: %v", err)
	}
	for i, o := range again.Objects {
		if first := rep.Objects[i]; o.Sent != first.Sent || o.Rejected != first.Rejected {
			t.Errorf("resync %s: sent %d, rejected %d; the first load sent %d, rejected %d", o.Object, o.Sent, o.Rejected, first.Sent, first.Rejected)
		}
	}

	// A contact whose links are all in place passes its diagnostics.
	for _, id := range contacts {
		row, _ := e.sim.Get("contacts", id)
		if _, ok := leads[id]; !ok || explained[id] || row["_parentcustomerid_value"] == nil {
			continue
		}
		// Every link check passes; only "insight" waits for activity.
		d := e.suite.call(http.MethodGet, "/v1/diagnostics/persons/"+id, e.tok, "", nil)
		checks, _ := d.body["checks"].([]any)
		for _, c := range checks {
			c := c.(map[string]any)
			if c["passed"] != true && c["name"] != "insight" {
				t.Errorf("diagnostics of a clean contact: %v", c)
			}
		}
		if len(checks) < 8 {
			t.Errorf("diagnostics of a clean contact: %s", d.raw)
		}
		break
	}
}

func TestDynamicsIncrementalChangesWritebackAndResume(t *testing.T) {
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 3, Users: 6, Accounts: 40, Contacts: 200, Leads: 60, Opportunities: 40})
	e.sync()
	users := e.sim.IDs("systemusers")
	var active []string
	for _, id := range users {
		row, _ := e.sim.Get("systemusers", id)
		if row["isdisabled"] == false && row["applicationid"] == nil {
			active = append(active, id)
		}
	}

	// A change set: a new account with a contact, an email change, an ownership change, a
	// deleted contact, and a contact whose account does not exist yet.
	newAccount, err := e.sim.Upsert("accounts", map[string]any{"name": "Fabrikam New", "_ownerid_value": active[0]})
	if err != nil {
		t.Fatal(err)
	}
	newContact, err := e.sim.Upsert("contacts", map[string]any{"firstname": "Nia", "lastname": "Okafor", "emailaddress1": "nia@fabrikam.example", "_parentcustomerid_value": newAccount, "_ownerid_value": active[0]})
	if err != nil {
		t.Fatal(err)
	}
	contacts := e.sim.IDs("contacts")
	before := e.leads(contacts, "externalCompanyId")
	var changed, removed string
	for _, id := range contacts {
		if _, ok := before[id]; ok && id != newContact {
			if changed == "" {
				changed = id
			} else if removed == "" {
				removed = id
			}
		}
	}
	if err := e.sim.Update("contacts", changed, map[string]any{"emailaddress1": "Changed.Person@Example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Delete("contacts", removed); err != nil {
		t.Fatal(err)
	}
	companies := e.lookup("/rest/v1/companies.json", "externalCompanyId", e.sim.IDs("accounts"), []string{"externalCompanyId", "externalSalesPersonId"})
	var moved string
	for id, c := range companies {
		if c["externalSalesPersonId"] == active[0] {
			continue
		}
		moved = id
		break
	}
	if err := e.sim.Update("accounts", moved, map[string]any{"_ownerid_value": active[0]}); err != nil {
		t.Fatal(err)
	}
	lateAccount := "6f0e0000-0000-4000-8000-00000000aaaa"
	early, err := e.sim.Upsert("contacts", map[string]any{"firstname": "Early", "lastname": "Bird", "emailaddress1": "early@late.example",
		"_parentcustomerid_value": lateAccount, "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account", "_ownerid_value": active[0]})
	if err != nil {
		t.Fatal(err)
	}

	rep := e.sync()
	t.Logf("change set: %s", rep)
	for _, s := range rep.Sets {
		if s.Full {
			t.Errorf("%s: an incremental cycle read the whole set", s.EntitySet)
		}
	}
	got := e.leads([]string{newContact, changed, removed, early}, "externalCompanyId", "email")
	if got[newContact]["externalCompanyId"] != newAccount {
		t.Errorf("new contact: %v, want linked to the new account %s", got[newContact], newAccount)
	}
	if got[changed]["email"] != "Changed.Person@Example.com" {
		t.Errorf("updated contact email = %v", got[changed]["email"])
	}
	if _, ok := got[removed]; ok {
		t.Errorf("deleted contact %s is still a lead", removed)
	}
	if _, ok := got[early]; ok {
		t.Errorf("a contact whose account does not exist yet was stored: %v", got[early])
	}
	if object(rep, mapping.Lead).Parked != 1 {
		t.Errorf("parked leads = %d, want the one early contact", object(rep, mapping.Lead).Parked)
	}
	c := e.lookup("/rest/v1/companies.json", "externalCompanyId", []string{moved}, []string{"externalCompanyId", "externalSalesPersonId"})
	if c[moved]["externalSalesPersonId"] != active[0] {
		t.Errorf("ownership change: company owner = %v, want %s", c[moved]["externalSalesPersonId"], active[0])
	}

	// Another contact of the missing account is parked, then deleted in Dynamics: its
	// parked record is dropped, so it never appears.
	doomed, err := e.sim.Upsert("contacts", map[string]any{"firstname": "Doomed", "lastname": "Contact", "emailaddress1": "doomed@late.example",
		"_parentcustomerid_value": lateAccount, "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account", "_ownerid_value": active[0]})
	if err != nil {
		t.Fatal(err)
	}
	e.sync()
	if err := e.sim.Delete("contacts", doomed); err != nil {
		t.Fatal(err)
	}
	if dropped := e.sync(); object(dropped, mapping.Lead).DroppedParked != 1 {
		t.Errorf("parked records dropped for deleted contacts = %d, want 1: %s", object(dropped, mapping.Lead).DroppedParked, dropped)
	}

	// The account arrives in the next cycle: the parked contact is released.
	if _, err := e.sim.Upsert("accounts", map[string]any{"accountid": lateAccount, "name": "Late Ltd", "_ownerid_value": active[1]}); err != nil {
		t.Fatal(err)
	}
	e.sync()
	deadline := time.Now().Add(10 * time.Second)
	for e.leads([]string{early}, "externalCompanyId")[early]["externalCompanyId"] != lateAccount {
		if time.Now().After(deadline) {
			t.Fatalf("the early contact was not released when its account arrived")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, ok := e.leads([]string{doomed})[doomed]; ok {
		t.Errorf("a contact deleted while parked was released when its account arrived")
	}

	// Writeback: score changes and a moment become MSI columns on the Dynamics rows.
	target := []string{changed, newContact}
	gone, err := e.sim.Upsert("contacts", map[string]any{"firstname": "Soon", "lastname": "Gone", "emailaddress1": "gone@example.com", "_parentcustomerid_value": newAccount, "_ownerid_value": active[0]})
	if err != nil {
		t.Fatal(err)
	}
	e.sync()
	// Two people the connector did not sync: a Dynamics lead someone pushed through the REST
	// API themselves, and a person Dynamics does not have at all.
	foreign, err := e.sim.Upsert("leads", map[string]any{"firstname": "Pushed", "lastname": "Elsewhere", "emailaddress1": "pushed@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	outsider := "0badc0de-0000-4000-8000-000000000001"
	if r := e.suite.call(http.MethodPost, "/rest/v1/leads.json", e.tok, "", map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{
		{"externalPersonId": foreign, "email": "pushed@example.com"}, {"externalPersonId": outsider, "email": "outsider@example.com"}}}); r.body["success"] != true {
		t.Fatalf("lead sync: %s", r.raw)
	}
	var changes []map[string]any
	for i, id := range append(target, gone, foreign, outsider) {
		changes = append(changes, map[string]any{"externalPersonId": id, "delta": 40 + i, "reason": "Visited pricing"})
	}
	ok := e.suite.call(http.MethodPost, "/v1/score-changes", e.tok, "", map[string]any{"changes": changes})
	if ok.status != http.StatusOK {
		t.Fatalf("score changes: %s", ok.raw)
	}
	ok = e.suite.call(http.MethodPost, "/v1/interesting-moments", e.tok, "", map[string]any{"moments": []map[string]any{
		{"externalPersonId": changed, "type": "Web", "description": "Visited the pricing page", "source": "Website"}}})
	if ok.status != http.StatusOK {
		t.Fatalf("interesting moment: %s", ok.raw)
	}
	if err := e.sim.Delete("contacts", gone); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetStats()
	wb, err := e.conn.WritebackOnce(context.Background())
	if err != nil {
		t.Fatalf("WritebackOnce: %v", err)
	}
	t.Logf("writeback: %s", wb)
	if wb.Written != 3 || wb.Missing != 1 || wb.NotFromCRM != 1 {
		t.Errorf("writeback wrote %d rows, missed %d, found %d not from the CRM; want 3 written (the foreign lead too), 1 gone (404), 1 not from the CRM", wb.Written, wb.Missing, wb.NotFromCRM)
	}
	if row, _ := e.sim.Get("leads", foreign); row["mkt_leadscore"] == nil {
		t.Errorf("the lead synced by someone else did not get its MSI fields: %v", row)
	}
	if _, ok := e.sim.Get("contacts", outsider); ok {
		t.Errorf("the writeback created a contact for a person Dynamics does not have")
	}
	row, _ := e.sim.Get("contacts", changed)
	if row["mkt_leadscore"] == nil || row["mkt_priority"] == nil || row["mkt_lastinterestingmomentdesc"] != "Visited the pricing page" {
		t.Errorf("MSI columns on the contact = score %v, priority %v, moment %v", row["mkt_leadscore"], row["mkt_priority"], row["mkt_lastinterestingmomentdesc"])
	}
	if st := e.sim.Stats(); st.Batches == 0 {
		t.Errorf("writeback used no $batch request: %+v", st)
	}
	misses, _ := e.conn.Misses(context.Background())
	if len(misses) != 1 || misses[0].CRMID != gone || misses[0].Status != 404 {
		t.Errorf("recorded misses = %+v, want the deleted contact's 404", misses)
	}
	// Our own PATCHes show up in the delta, but change nothing to sync: no echo.
	again := e.sync()
	for _, s := range again.Sets {
		if s.EntitySet == "contacts" && (s.Rows < 2 || s.Unchanged != s.Rows) {
			t.Errorf("contacts after writeback: %d rows changed, %d unchanged; want the written rows seen and all unchanged", s.Rows, s.Unchanged)
		}
	}
	if n := sent(again); n != 1 || object(again, mapping.Lead).Sent != 1 {
		t.Errorf("the cycle after writeback sent %d records, want only the lead new to the connector: our own writes echoed back (%s)", n, again)
	}

	// A stakeholder connection removed in Dynamics removes its role; an opportunity whose
	// customer contact changes loses the old customer role and gains the new one.
	conn, opp, person, roleName := e.stakeholder()
	if err := e.sim.Delete("connections", conn); err != nil {
		t.Fatal(err)
	}
	custOpp, oldCustomer, newCustomer := e.customerSwap()
	roles := e.sync()
	if object(roles, mapping.OpportunityRole).Deleted != 2 {
		t.Errorf("role deletes = %d, want 2 (the connection, the old customer): %s", object(roles, mapping.OpportunityRole).Deleted, roles)
	}
	if got := e.roles(opp); got[person+"/"+roleName] {
		t.Errorf("the role of the deleted connection is still there: %v", got)
	}
	if got := e.roles(custOpp); got[oldCustomer+"/"+mapping.CustomerRole] || !got[newCustomer+"/"+mapping.CustomerRole] {
		t.Errorf("roles after the customer changed from %s to %s: %v", oldCustomer, newCustomer, got)
	}

	// A 429 storm, 503s and an expired token are survived.
	e.sim.Throttle(4, time.Second)
	e.sim.FailNext(2, http.StatusServiceUnavailable)
	e.sim.ExpireAccessTokens()
	if err := e.sim.Update("leads", e.sim.IDs("leads")[0], map[string]any{"jobtitle": "Chief Tester"}); err != nil {
		t.Fatal(err)
	}
	stats := e.conn.Dataverse().Stats()
	storm := e.sync()
	after := e.conn.Dataverse().Stats()
	if after.Throttled-stats.Throttled < 4 || after.TokenFetches == stats.TokenFetches {
		t.Errorf("client stats before %+v after %+v: want 4 throttled requests retried and a new token", stats, after)
	}
	if object(storm, mapping.Lead).Applied != 1 {
		t.Errorf("after the storm: %s", storm)
	}

	// A restart resumes from the saved delta links.
	e.open()
	if err := e.sim.Update("leads", e.sim.IDs("leads")[1], map[string]any{"jobtitle": "Resumed"}); err != nil {
		t.Fatal(err)
	}
	resumed := e.sync()
	for _, s := range resumed.Sets {
		if s.Full || (s.EntitySet == "leads" && s.Rows != 1) {
			t.Errorf("after a restart, %s: %d rows, full=%v; want only the one change", s.EntitySet, s.Rows, s.Full)
		}
	}

	// Expired delta tokens: a full read, which also finds what was deleted meanwhile.
	e.sim.ExpireDeltaTokens()
	if err := e.sim.Delete("contacts", newContact); err != nil {
		t.Fatal(err)
	}
	full := e.sync()
	// Only rows whose mapping changed are sent again: the early contact, whose account
	// name Dynamics now returns with its parent lookup.
	if n := sent(full); n != 1 {
		t.Errorf("a full resync sent %d records, want only the early contact: %s", n, full)
	}
	if c := e.leads([]string{early}, "company")[early]["company"]; c != "Late Ltd" {
		t.Errorf("early contact's company = %v, want Late Ltd", c)
	}
	if object(full, mapping.Lead).Deleted != 1 {
		t.Errorf("full resync deleted %d leads, want the contact deleted meanwhile", object(full, mapping.Lead).Deleted)
	}
	if _, ok := e.leads([]string{newContact})[newContact]; ok {
		t.Errorf("the contact deleted while the delta token expired is still a lead")
	}
}

// stakeholder returns a master stakeholder connection whose opportunity and contact are
// synced: its id, and the role's opportunity, person and name.
func (e *dynamicsEnv) stakeholder() (conn, opp, person, role string) {
	e.t.Helper()
	for _, id := range e.sim.IDs("connections") {
		row, _ := e.sim.Get("connections", id)
		if row["ismaster"] != true || row["record1objecttypecode"] != int64(3) || row["record2objecttypecode"] != int64(2) {
			continue
		}
		opp, person = row["_record1id_value"].(string), row["_record2id_value"].(string)
		roleRow, _ := e.sim.Get("connectionroles", row["_record2roleid_value"].(string))
		if roleRow["category"] != int64(1000) {
			continue
		}
		if e.roles(opp)[person+"/"+roleRow["name"].(string)] {
			return id, opp, person, roleRow["name"].(string)
		}
	}
	e.t.Fatal("no synced stakeholder connection in the org")
	return
}

// customerSwap gives a synced opportunity whose customer is a contact another customer
// contact, and returns the opportunity and both contacts.
func (e *dynamicsEnv) customerSwap() (opp, oldContact, newContact string) {
	e.t.Helper()
	contacts := e.leads(e.sim.IDs("contacts"))
	for _, id := range e.sim.IDs("opportunities") {
		if e.sim.LookupTarget("opportunities", id, "_customerid_value") != "contact" {
			continue
		}
		row, _ := e.sim.Get("opportunities", id)
		oldContact = row["_customerid_value"].(string)
		if !e.roles(id)[oldContact+"/"+mapping.CustomerRole] {
			continue
		}
		for c := range contacts {
			if c != oldContact {
				if err := e.sim.Update("opportunities", id, map[string]any{"_customerid_value": c, "_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "contact"}); err != nil {
					e.t.Fatal(err)
				}
				return id, oldContact, c
			}
		}
	}
	e.t.Fatal("no synced opportunity with a contact customer in the org")
	return
}

// roles returns an opportunity's roles in msisync as "externalPersonId/role".
func (e *dynamicsEnv) roles(opp string) map[string]bool {
	e.t.Helper()
	q := url.Values{"filterType": {"externalOpportunityId"}, "filterValues": {opp}, "fields": {"externalOpportunityId,leadId,role"}}
	r := e.suite.call(http.MethodGet, "/rest/v1/opportunities/roles.json?"+q.Encode(), e.tok, "", nil)
	if r.body["success"] != true {
		e.t.Fatalf("roles of %s: %s", opp, r.raw)
	}
	ids := map[string]string{}
	var people []string
	for _, role := range r.results() {
		people = append(people, fmt.Sprint(role["leadId"]))
	}
	if len(people) > 0 {
		for _, l := range e.lookup("/rest/v1/leads.json", "id", people, []string{"id", "externalPersonId"}) {
			ids[fmt.Sprint(l["id"])] = fmt.Sprint(l["externalPersonId"])
		}
	}
	out := map[string]bool{}
	for _, role := range r.results() {
		out[ids[fmt.Sprint(role["leadId"])]+"/"+fmt.Sprint(role["role"])] = true
	}
	return out
}

func TestDynamicsInterruptedCycleIsRepeatedWithoutDuplicates(t *testing.T) {
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 9, Users: 5, Accounts: 30, Contacts: 700, Leads: 50, Opportunities: 20})
	// The cycle stops (as a killed process would) once it has created two runs of leads.
	ctx, cancel := context.WithCancel(context.Background())
	leadRuns := 0
	e.progress = func(ev connector.Event) {
		if ev.Phase == connector.PhaseSend && ev.Object == mapping.Lead {
			if leadRuns++; leadRuns == 2 {
				cancel()
			}
		}
	}
	if _, err := e.conn.SyncOnce(ctx); err == nil {
		t.Fatal("the interrupted cycle reported success")
	}
	e.progress = nil
	// Nothing was saved: the next cycle reads everything again, finds the runs already
	// created by their request ids, and ends with the org fully synced.
	rep := e.sync()
	for _, s := range rep.Sets {
		if !s.Full {
			t.Errorf("%s: the repeated cycle did not start from scratch", s.EntitySet)
		}
	}
	leads := e.leads(append(e.sim.IDs("contacts"), e.sim.IDs("leads")...))
	if got, want := len(leads)+object(rep, mapping.Lead).Parked, e.sim.Count("contacts")+e.sim.Count("leads"); got != want {
		t.Errorf("contacts and leads synced or parked = %d, want %d: %s", got, want, rep)
	}
	// The repeated runs were found by their request ids, not created again: had they been,
	// the parked leads of the interrupted cycle's runs would be on the pending list twice.
	pending, token := 0, ""
	for {
		r := e.suite.call(http.MethodGet, "/v1/pending?objectType=SYNC_OBJECT_TYPE_LEAD&pageSize=300&pageToken="+url.QueryEscape(token), e.tok, "", nil)
		items, _ := r.body["pendingRecords"].([]any)
		pending += len(items)
		if token, _ = r.body["nextPageToken"].(string); token == "" {
			break
		}
	}
	if parked := object(rep, mapping.Lead).Parked; parked == 0 || pending != parked {
		t.Errorf("parked leads on the pending list = %d, the cycle parked %d: runs were created twice", pending, parked)
	}
}

func TestDynamicsUserStatusChangesRemapTheirRecords(t *testing.T) {
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 11, Users: 5, Accounts: 40, Contacts: 150, Leads: 20, Opportunities: 10})
	e.sync()
	// The records owned by a disabled user were sent without an owner, with a finding.
	owned := map[string]string{} // account → disabled owner
	for _, id := range e.sim.IDs("accounts") {
		row, _ := e.sim.Get("accounts", id)
		for _, u := range e.sim.SeedReport().DisabledUserIDs {
			if row["_ownerid_value"] == u {
				owned[id] = u
			}
		}
	}
	if len(owned) == 0 {
		t.Fatal("the seed has no account owned by a disabled user")
	}
	var accounts []string
	for id := range owned {
		accounts = append(accounts, id)
	}
	if got := e.lookup("/rest/v1/companies.json", "externalCompanyId", accounts, []string{"externalCompanyId"}); len(got) != 0 {
		t.Fatalf("accounts of a disabled user were synced with an owner guessed: %v", got)
	}
	inactive := len(e.findings()["CRM_FINDING_KIND_INACTIVE_OWNER"])

	// The user is enabled again: only their user row changes in Dynamics, yet their
	// accounts come back, owned by them, and the findings are resolved.
	for _, u := range owned {
		if err := e.sim.Update("systemusers", u, map[string]any{"isdisabled": false}); err != nil {
			t.Fatal(err)
		}
	}
	rep := e.sync()
	got := e.lookup("/rest/v1/companies.json", "externalCompanyId", accounts, []string{"externalCompanyId", "externalSalesPersonId"})
	for id, u := range owned {
		if got[id]["externalSalesPersonId"] != u {
			t.Errorf("account %s after its owner %s was enabled: %v", id, u, got[id])
		}
	}
	after := len(e.findings()["CRM_FINDING_KIND_INACTIVE_OWNER"])
	if after >= inactive || rep.Resolved == 0 {
		t.Errorf("inactive-owner findings %d → %d, %d resolved; want them resolved", inactive, after, rep.Resolved)
	}

	// Another user is disabled: their accounts stay with their sales person in msisync (a
	// person must reassign them in Dynamics), and each gets a finding saying so.
	var leaving string
	var theirs []string
	for _, id := range e.sim.IDs("accounts") {
		row, _ := e.sim.Get("accounts", id)
		if o, _ := row["_ownerid_value"].(string); o != "" && e.sim.LookupTarget("accounts", id, "_ownerid_value") == "systemuser" && owned[id] == "" {
			if leaving == "" {
				leaving = o
			}
			if o == leaving {
				theirs = append(theirs, id)
			}
		}
	}
	if err := e.sim.Update("systemusers", leaving, map[string]any{"isdisabled": true}); err != nil {
		t.Fatal(err)
	}
	e.sync()
	flagged := map[string]bool{}
	for _, f := range e.findings()["CRM_FINDING_KIND_INACTIVE_OWNER"] {
		flagged[fmt.Sprint(f["externalId"])] = true
	}
	kept := e.lookup("/rest/v1/companies.json", "externalCompanyId", theirs, []string{"externalCompanyId", "externalSalesPersonId"})
	for _, id := range theirs {
		if !flagged[id] || kept[id]["externalSalesPersonId"] != leaving {
			t.Errorf("account %s of the disabled user %s: finding %v, company %v", id, leaving, flagged[id], kept[id])
		}
	}
}

func TestDynamicsOnPostgreSQL(t *testing.T) {
	e := newDynamicsEnvOn(t, simulator.SeedOptions{Random: 13, Users: 6, Accounts: 60, Contacts: 500, Leads: 80, Opportunities: 50}, pgtest.NewDatabase(t))
	first := e.sync()
	for _, o := range first.Objects {
		if o.Sent == 0 || o.Applied+o.Parked+o.Rejected != o.Sent {
			t.Errorf("%s on PostgreSQL: %+v", o.Object, o)
		}
	}
	people := append(e.sim.IDs("contacts"), e.sim.IDs("leads")...)
	synced := e.leads(people)
	if got, want := len(synced)+object(first, mapping.Lead).Parked, len(people); got != want {
		t.Errorf("people synced or parked = %d, want %d", got, want)
	}
	// The connector's cursors are in PostgreSQL too: a restarted connector reads only changes.
	var contact string
	for _, id := range e.sim.IDs("contacts") {
		if _, ok := synced[id]; ok {
			contact = id
			break
		}
	}
	if err := e.sim.Update("contacts", contact, map[string]any{"jobtitle": "Head of Postgres"}); err != nil {
		t.Fatal(err)
	}
	e.open()
	next := e.sync()
	if n := sent(next); n != 1 {
		t.Errorf("after a restart on PostgreSQL, the cycle sent %d records, want the one change: %s", n, next)
	}
	if got := e.leads([]string{contact}, "title")[contact]["title"]; got != "Head of Postgres" {
		t.Errorf("changed contact's title = %v", got)
	}
}

func TestDynamicsEmailMismatchIsDiagnosed(t *testing.T) {
	e := newDynamicsEnv(t, simulator.SeedOptions{Random: 5, Users: 4, Accounts: 10, Contacts: 30, Leads: 5, Opportunities: 5})
	e.sync()
	contacts := e.sim.IDs("contacts")
	leads := e.leads(contacts, "externalSalesPersonId", "externalCompanyId")
	var person, owner string
	for id, l := range leads {
		if o, _ := l["externalSalesPersonId"].(string); o != "" && l["externalCompanyId"] != nil {
			person, owner = id, o
			break
		}
	}
	// Someone edits the sales person in Marketo: the email no longer matches Dynamics.
	r := e.suite.call(http.MethodPost, "/rest/v1/salespersons.json", e.tok, "", map[string]any{
		"action": "updateOnly", "input": []map[string]any{{"externalSalesPersonId": owner, "email": "someone.else@example.com"}}})
	if r.body["success"] != true {
		t.Fatalf("sales person update: %s", r.raw)
	}
	mismatches := e.findings()["CRM_FINDING_KIND_SALES_PERSON_EMAIL_MISMATCH"]
	if len(mismatches) != 1 || !strings.EqualFold(fmt.Sprint(mismatches[0]["externalId"]), owner) {
		t.Fatalf("email mismatch findings = %v, want one for %s", mismatches, owner)
	}
	d := e.suite.call(http.MethodGet, "/v1/diagnostics/persons/"+person, e.tok, "", nil)
	if d.body["passed"] != false || !strings.Contains(string(d.raw), "someone.else@example.com") {
		t.Errorf("diagnostics do not flag the email mismatch: %s", d.raw)
	}
}
