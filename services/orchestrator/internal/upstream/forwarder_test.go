package upstream

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

const (
	pathOwners    = "/rest/v1/salespersons.json"
	pathCompanies = "/rest/v1/companies.json"
	pathLeads     = "/rest/v1/leads.json"
	pathOpps      = "/rest/v1/opportunities.json"
	pathRoles     = "/rest/v1/opportunities/roles.json"
)

// mkID reads a Marketo id from a recorded JSON body.
func mkID(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// TestParentsFirst: a lead, its company and its owner marked together reach Marketo in
// one cycle in the MSI order, each once, and the store keeps Marketo's ids.
func TestParentsFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7", Email: "ann@acme.example", ExternalCompanyId: "ACME", ExternalSalesPersonId: "SP-1"})
	company := h.putCompany(3, "ACME", "SP-1", "Acme")
	owner := h.putOwner(2, "SP-1")
	h.mark(lead, company, owner)
	h.settle()

	calls := h.cycle()
	want := []string{"POST " + pathOwners, "POST " + pathCompanies, "POST " + pathLeads}
	if got := paths(calls); !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	leadCall := calls[2]
	if leadCall.Body["action"] != "createOrUpdate" || leadCall.Body["lookupField"] != "externalPersonId" {
		t.Errorf("lead call: action %v lookupField %v, want createOrUpdate by externalPersonId", leadCall.Body["action"], leadCall.Body["lookupField"])
	}
	if in := leadCall.inputs(); len(in) != 1 || in[0]["externalCompanyId"] != "ACME" || in[0]["externalPersonId"] != "P-7" {
		t.Errorf("lead input = %v, want P-7 with externalCompanyId ACME", in)
	}
	for _, k := range []store.UpstreamKey{owner, company, lead} {
		d, ok := h.delivered(k)
		if !ok || d.MarketoID == 0 || d.Status != "created" {
			t.Errorf("%v: delivered %+v, want a Marketo id and status created", k, d)
		}
		h.outboxEmpty(k.Object)
	}
	if d, _ := h.delivered(lead); !slices.Contains(d.Parents, store.UpstreamRef{Object: store.UpstreamCompany, Key: extid.Key("ACME")}) {
		t.Errorf("lead parents = %v, want the company", d.Parents)
	}
	if q := h.queue(store.UpstreamLead); q.Delivered != 1 {
		t.Errorf("lead queue %+v, want 1 delivered", q)
	}
}

// TestChildWaitsForItsParent: a lead whose company Marketo does not hold waits with a
// reason and goes once the company reached Marketo.
func TestChildWaitsForItsParent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7", ExternalCompanyId: "ACME"})
	company := h.putCompany(3, "ACME", "", "Acme")
	h.mark(lead)
	h.settle()

	if calls := h.cycle(); len(calls) != 0 {
		t.Fatalf("calls = %v, want none: the company is not in Marketo", paths(calls))
	}
	if why := h.reason(lead); !strings.HasPrefix(why, "waiting for company "+extid.Key("ACME")+" to reach Marketo") {
		t.Errorf("wait reason = %q, want waiting for the company", why)
	}
	if q := h.queue(store.UpstreamLead); q.Waiting != 1 {
		t.Errorf("lead queue %+v, want 1 waiting", q)
	}
	if _, ok := h.delivered(lead); ok {
		t.Error("the waiting lead has a Delivered row")
	}

	h.mark(company)
	h.later()
	calls := h.cycle()
	if got, want := paths(calls), []string{"POST " + pathCompanies, "POST " + pathLeads}; !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if d, ok := h.delivered(lead); !ok || !d.Known() {
		t.Errorf("lead delivered %+v, want held by Marketo", d)
	}
	h.outboxEmpty(store.UpstreamLead)
}

// TestUnchangedIsNotSentAgain: a record marked again without a change costs no call; a
// changed field is sent.
func TestUnchangedIsNotSentAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7", FirstName: "Ann"})
	h.deliver(lead)
	first, _ := h.delivered(lead)

	h.mark(lead)
	h.settle()
	if calls := h.cycle(); len(calls) != 0 {
		t.Errorf("calls = %v, want none for an unchanged lead", paths(calls))
	}
	h.outboxEmpty(store.UpstreamLead)

	h.leads.byID[7].FirstName = "Anna"
	h.mark(lead)
	h.settle()
	calls := only(h.cycle(), http.MethodPost, pathLeads)
	if len(calls) != 1 || calls[0].inputs()[0]["firstName"] != "Anna" {
		t.Fatalf("lead calls = %+v, want one with firstName Anna", calls)
	}
	d, _ := h.delivered(lead)
	if d.MarketoID != first.MarketoID || string(d.SentHash) == string(first.SentHash) || d.Status != "updated" {
		t.Errorf("delivered %+v, want the same Marketo id, a new hash and status updated", d)
	}
}

// TestRekeyedLead: a delivered lead whose externalPersonId changed is updated by Marketo
// id; when Marketo no longer has that lead (1004) the id is forgotten and the next cycle
// creates it by externalPersonId.
func TestRekeyedLead(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7"})
	h.deliver(lead)
	before, _ := h.delivered(lead)

	h.leads.byID[7].ExternalPersonId = "P-8"
	h.mark(lead)
	h.settle()
	calls := only(h.cycle(), http.MethodPost, pathLeads)
	if len(calls) != 1 {
		t.Fatalf("lead calls = %d, want 1", len(calls))
	}
	in := calls[0].inputs()
	if calls[0].Body["action"] != "updateOnly" || calls[0].Body["lookupField"] != "id" || mkID(in[0]["id"]) != before.MarketoID || in[0]["externalPersonId"] != "P-8" {
		t.Errorf("rekey call = %v, want updateOnly by id %d with externalPersonId P-8", calls[0].Body, before.MarketoID)
	}
	if d, _ := h.delivered(lead); d.MarketoID != before.MarketoID || d.ExternalKey != extid.Key("P-8") {
		t.Errorf("delivered %+v, want Marketo id %d under the new key", d, before.MarketoID)
	}

	// Marketo deleted the lead meanwhile.
	h.leads.byID[7].ExternalPersonId = "P-9"
	h.mkto.on(http.MethodPost, pathLeads, func(c call) any {
		if c.Body["lookupField"] == "id" {
			return []map[string]any{{"status": "skipped", "reasons": []map[string]any{{"code": "1004", "message": "Lead not found"}}}}
		}
		return nil
	})
	h.mark(lead)
	h.settle()
	h.cycle()
	d, _ := h.delivered(lead)
	if d.MarketoID != 0 {
		t.Errorf("after 1004: Marketo id %d, want forgotten", d.MarketoID)
	}
	if why := h.reason(lead); !strings.Contains(why, "Marketo no longer has lead") {
		t.Errorf("wait reason = %q, want the lead to be sent again", why)
	}

	calls = only(h.cycle(), http.MethodPost, pathLeads)
	if len(calls) != 1 || calls[0].Body["action"] != "createOrUpdate" || calls[0].Body["lookupField"] != "externalPersonId" || calls[0].inputs()[0]["externalPersonId"] != "P-9" {
		t.Fatalf("lead calls = %+v, want one createOrUpdate of P-9 by externalPersonId", calls)
	}
	if d, _ := h.delivered(lead); d.MarketoID == 0 || d.MarketoID == before.MarketoID || d.Status != "created" {
		t.Errorf("delivered %+v, want a new Marketo id", d)
	}
	h.outboxEmpty(store.UpstreamLead)
}

// TestDeletes: a delivered lead gone locally is deleted by Marketo id; a company gone
// locally waits while a delivered lead still names it and goes in the cycle that moves the
// lead away; 1013 on a delete counts as done.
func TestDeletes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	old := h.putCompany(3, "OLD", "", "Old")
	other := h.putCompany(4, "NEW", "", "New")
	stay := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7", ExternalCompanyId: "OLD"})
	gone := h.putLead(&personv1.Lead{Id: 8, ExternalPersonId: "P-8"})
	h.deliver(old, other, stay, gone)
	goneID := func() int64 { d, _ := h.delivered(gone); return d.MarketoID }()
	oldID := func() int64 { d, _ := h.delivered(old); return d.MarketoID }()

	delete(h.leads.byID, 8)
	h.mark(gone)
	h.settle()
	calls := h.cycle()
	if got, want := paths(calls), []string{"POST /rest/v1/leads/delete.json"}; !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if in := calls[0].inputs(); len(in) != 1 || mkID(in[0]["id"]) != goneID {
		t.Errorf("delete input = %v, want id %d", in, goneID)
	}
	if _, ok := h.delivered(gone); ok {
		t.Error("the deleted lead still has a Delivered row")
	}
	h.outboxEmpty(store.UpstreamLead)

	delete(h.companies.byID, 3)
	h.mark(old)
	h.settle()
	if calls := h.cycle(); len(calls) != 0 {
		t.Fatalf("calls = %v, want none while lead 7 names the company", paths(calls))
	}
	if why := h.reason(old); !strings.HasPrefix(why, "deleted here; waiting for its children") {
		t.Errorf("company wait reason = %q", why)
	}

	h.leads.byID[7].ExternalCompanyId = "NEW"
	h.mark(stay)
	h.later()
	calls = h.cycle()
	if got, want := paths(calls), []string{"POST " + pathLeads, "POST /rest/v1/companies/delete.json"}; !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	if calls[1].Body["deleteBy"] != "idField" || mkID(calls[1].inputs()[0]["id"]) != oldID {
		t.Errorf("company delete = %v, want by idField with id %d", calls[1].Body, oldID)
	}
	if _, ok := h.delivered(old); ok {
		t.Error("the deleted company still has a Delivered row")
	}
	h.outboxEmpty(store.UpstreamCompany)

	// Marketo no longer has it (1013): done all the same.
	delete(h.leads.byID, 7)
	h.mkto.on(http.MethodPost, "/rest/v1/leads/delete.json", func(call) any {
		return []map[string]any{{"status": "skipped", "reasons": []map[string]any{{"code": "1013", "message": "Record not found"}}}}
	})
	h.mark(stay)
	h.settle()
	if got := paths(h.cycle()); len(got) != 1 {
		t.Fatalf("calls = %v, want the delete", got)
	}
	if _, ok := h.delivered(stay); ok {
		t.Error("a lead deleted with 1013 still has a Delivered row")
	}
	h.outboxEmpty(store.UpstreamLead)
}

// TestLeadWithoutExternalIDIsNotSent: a lead without externalPersonId costs no call and
// says why in its Delivered row.
func TestLeadWithoutExternalIDIsNotSent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, Email: "ann@acme.example"})
	h.mark(lead)
	h.settle()
	if calls := h.cycle(); len(calls) != 0 {
		t.Fatalf("calls = %v, want none", paths(calls))
	}
	d, ok := h.delivered(lead)
	if !ok || d.Status != statusUnsent || d.Message != unsentWhy(store.UpstreamLead) || d.Known() {
		t.Errorf("delivered %+v, want status unsent with the reason", d)
	}
	h.outboxEmpty(store.UpstreamLead)
}

// TestLinger: a partial batch younger than the linger waits; older, it goes.
func TestLinger(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7"})
	h.mark(lead)
	h.clock.advance(linger / 2)
	if calls := h.cycle(); len(calls) != 0 {
		t.Fatalf("calls = %v, want none within the linger", paths(calls))
	}
	if _, ok := h.delivered(lead); ok {
		t.Error("the lingering lead has a Delivered row")
	}
	h.clock.advance(linger / 2)
	if calls := only(h.cycle(), http.MethodPost, pathLeads); len(calls) != 1 {
		t.Fatalf("lead calls = %d, want 1 once the linger passed", len(calls))
	}
	h.outboxEmpty(store.UpstreamLead)
}

// TestQuotaPause: Marketo's 607 pauses the forwarder until the reset; its records wait
// with the reason, and resuming sends them.
func TestQuotaPause(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7"})
	h.mkto.on(http.MethodPost, pathLeads, func(call) any { return failure("607", "Daily quota reached") })
	h.mark(lead)
	h.settle()
	h.cycle()

	until, why := h.fwd.paused()
	if !until.After(h.clock.now()) || !strings.Contains(why, "607") {
		t.Fatalf("paused() = %v, %q; want until the quota reset", until, why)
	}
	if reason := h.reason(lead); !strings.HasPrefix(reason, "paused: ") {
		t.Errorf("wait reason = %q, want paused: …", reason)
	}
	if _, ok := h.delivered(lead); ok {
		t.Error("the paused lead has a Delivered row")
	}

	h.mkto.off(http.MethodPost, pathLeads)
	srv := NewServer(h.mkto.srv.URL, h.store, h.client, h.fwd, nil)
	if _, err := srv.ResumeUpstream(h.ctx, &orchestratorv1.ResumeUpstreamRequest{}); err != nil {
		t.Fatalf("ResumeUpstream: %v", err)
	}
	if until, _ := h.fwd.paused(); !until.IsZero() {
		t.Errorf("paused() = %v after Resume, want not paused", until)
	}
	if calls := only(h.cycle(), http.MethodPost, pathLeads); len(calls) != 1 {
		t.Fatalf("lead calls = %d after Resume, want 1", len(calls))
	}
	if d, ok := h.delivered(lead); !ok || !d.Known() {
		t.Errorf("delivered %+v, want held by Marketo", d)
	}
	h.outboxEmpty(store.UpstreamLead)
}

// TestRolesCarryTheLeadsMarketoID: a role goes with its lead's Marketo id in leadId.
func TestRolesCarryTheLeadsMarketoID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7"})
	const oppGUID, roleGUID = "0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	h.opps.byGUID[oppGUID] = &opportunityv1.Opportunity{MarketoGuid: oppGUID, ExternalOpportunityId: "OPP-1", Name: "Big deal"}
	h.roles.byGUID[roleGUID] = &opportunityv1.OpportunityRole{MarketoGuid: roleGUID, ExternalOpportunityId: "OPP-1", LeadId: 7, Role: "Decision Maker"}
	opp := store.UpstreamKey{Object: store.UpstreamOpportunity, LocalID: oppGUID}
	role := store.UpstreamKey{Object: store.UpstreamRole, LocalID: roleGUID}
	h.mark(lead, opp, role)
	h.settle()

	calls := h.cycle()
	if got, want := paths(calls), []string{"POST " + pathLeads, "POST " + pathOpps, "POST " + pathRoles}; !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
	l, _ := h.delivered(lead)
	in := calls[2].inputs()
	if len(in) != 1 || mkID(in[0]["leadId"]) != l.MarketoID || in[0]["externalOpportunityId"] != "OPP-1" || in[0]["role"] != "Decision Maker" {
		t.Errorf("role input = %v, want leadId %d (the lead's Marketo id)", in, l.MarketoID)
	}
	d, ok := h.delivered(role)
	if !ok || d.MarketoGUID == "" || d.ExternalKey != roleKey("OPP-1", 7, "Decision Maker") {
		t.Errorf("role delivered %+v, want a marketoGUID under its dedupe key", d)
	}
	if !slices.Contains(d.Parents, store.UpstreamRef{Object: store.UpstreamLead, Key: "7"}) {
		t.Errorf("role parents = %v, want lead 7", d.Parents)
	}

	// The lead was deleted in Marketo; its next change creates it anew under another id, and
	// the role goes again with that id.
	h.mkto.on(http.MethodPost, pathLeads, func(call) any {
		return []map[string]any{{"status": "created", "id": 9999}}
	})
	h.leads.byID[7].Title = "Changed"
	h.mark(lead)
	h.settle()
	if got, want := paths(h.cycle()), []string{"POST " + pathLeads}; !slices.Equal(got, want) {
		t.Fatalf("after the lead changed: calls = %v, want %v", got, want)
	}
	h.settle() // the role, marked again, waits for its batch to fill like any change
	calls = h.cycle()
	if got, want := paths(calls), []string{"POST " + pathRoles}; !slices.Equal(got, want) {
		t.Fatalf("after the lead was created anew: calls = %v, want %v", got, want)
	}
	if in := calls[0].inputs(); len(in) != 1 || mkID(in[0]["leadId"]) != 9999 {
		t.Errorf("role input = %v, want leadId 9999 (the lead's new Marketo id)", in)
	}
}

// TestRefusedRekeyStaysKeyedByMarketoID: when Marketo skips the update by id that re-keys a
// lead, its lead keeps the old externalPersonId, so the lead's next change goes by Marketo
// id again rather than creating a second Marketo lead under the new key.
func TestRefusedRekeyStaysKeyedByMarketoID(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7", FirstName: "Ann"})
	h.deliver(lead)
	before, _ := h.delivered(lead)

	h.mkto.on(http.MethodPost, pathLeads, func(c call) any {
		if c.Body["lookupField"] == "id" {
			return []map[string]any{{"status": "skipped", "reasons": []map[string]any{{"code": "1003", "message": "Invalid value for externalPersonId"}}}}
		}
		return nil
	})
	h.leads.byID[7].ExternalPersonId = "P-8"
	h.mark(lead)
	h.settle()
	h.cycle()
	d, _ := h.delivered(lead)
	if d.Status != statusSkipped || d.Code != "1003" || d.MarketoID != before.MarketoID || d.ExternalKey != before.ExternalKey {
		t.Errorf("after the refused rekey: %+v, want skipped 1003 with Marketo's id and key unchanged", d)
	}

	h.mkto.off(http.MethodPost, pathLeads)
	h.leads.byID[7].FirstName = "Anna"
	h.mark(lead)
	h.settle()
	calls := only(h.cycle(), http.MethodPost, pathLeads)
	if len(calls) != 1 || calls[0].Body["lookupField"] != "id" || mkID(calls[0].inputs()[0]["id"]) != before.MarketoID {
		t.Fatalf("lead calls = %+v, want one update by Marketo id %d", calls, before.MarketoID)
	}
	if d, _ := h.delivered(lead); d.MarketoID != before.MarketoID || d.ExternalKey != extid.Key("P-8") || d.Status != "updated" {
		t.Errorf("delivered %+v, want Marketo lead %d re-keyed to P-8", d, before.MarketoID)
	}
}

// TestASkippedNewRecordNamesNoParent: a lead Marketo never took (skipped at its first
// delivery) does not hold back the delete of the company it names.
func TestASkippedNewRecordNamesNoParent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	co := h.putCompany(3, "ACME", "", "Acme")
	h.deliver(co)
	lead := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7", ExternalCompanyId: "ACME"})
	h.mkto.on(http.MethodPost, pathLeads, func(call) any {
		return []map[string]any{{"status": "skipped", "reasons": []map[string]any{{"code": "1003", "message": "Invalid value for field 'title'"}}}}
	})
	h.mark(lead)
	h.settle()
	h.cycle()
	if d, ok := h.delivered(lead); !ok || d.Status != statusSkipped || len(d.Parents) != 0 {
		t.Fatalf("the skipped lead's row is %+v (found %v), want skipped with no parent", d, ok)
	}
	delete(h.companies.byID, 3)
	h.mark(co)
	h.settle()
	if got, want := paths(h.cycle()), []string{"POST /rest/v1/companies/delete.json"}; !slices.Equal(got, want) {
		t.Fatalf("calls = %v, want the company's delete at once", got)
	}
}

// TestLeadsMarketoAlreadyHadAreReadForMSI: a lead whose first delivery Marketo answers
// updated (it had the person before msisync) is queued for the MSI poller; one it created,
// or one delivered before, is not.
func TestLeadsMarketoAlreadyHadAreReadForMSI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	had := h.putLead(&personv1.Lead{Id: 7, ExternalPersonId: "P-7"})
	fresh := h.putLead(&personv1.Lead{Id: 8, ExternalPersonId: "P-8"})
	h.mkto.on(http.MethodPost, pathLeads, func(c call) any {
		var out []map[string]any
		for _, in := range c.inputs() {
			if in["externalPersonId"] == "P-7" {
				out = append(out, map[string]any{"status": "updated", "id": 555})
			} else {
				out = append(out, map[string]any{"status": "created", "id": 556})
			}
		}
		return out
	})
	h.mark(had, fresh)
	h.settle()
	h.cycle()
	if got := h.fwd.TakeExisting(300); !slices.Equal(got, []int64{555}) {
		t.Fatalf("queued for MSI: %v, want [555] (the lead Marketo already had)", got)
	}
	h.leads.byID[7].Title = "Changed"
	h.mark(had)
	h.settle()
	h.cycle()
	if got := h.fwd.TakeExisting(300); len(got) != 0 {
		t.Errorf("a later update queued %v again", got)
	}
}
