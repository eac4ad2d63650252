package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestUpstreamFollowsQualifiesAndMerges: a lead qualified into a contact keeps its Marketo
// lead (re-keyed, not created again), a merged contact's subordinate is deleted in Marketo
// after its role moved to the master, and a leadScore sent to msisync is refused per record
// because Marketo keeps the scores.
func TestUpstreamFollowsQualifiesAndMerges(t *testing.T) {
	t.Parallel()
	p := startUpstreamPair(t)
	set := changeSet("mrg", 1, "Buyer")
	p.syncAndWait(set)
	p.waitDelivered(60 * time.Second)
	before := leadID(t, p.up, p.upTok, "mrg-contact-0-0-0")

	// Qualify: lead mrg-contact-0-0-0 becomes contact mrg-qualified.
	merge := func(kind, sub, master, want string) {
		t.Helper()
		r := p.fwd.call(http.MethodPost, "/v1/merges", p.fwdTok, "", map[string]any{"merges": []map[string]any{
			{"objectType": "SYNC_OBJECT_TYPE_LEAD", "kind": kind, "subordinateExternalId": sub, "masterExternalId": master},
		}})
		if r.status != http.StatusOK || !strings.Contains(string(r.raw), want) {
			t.Fatalf("%s %s → %s: HTTP %d %s", kind, sub, master, r.status, r.raw)
		}
	}
	merge("MERGE_KIND_QUALIFY", "mrg-contact-0-0-0", "mrg-qualified", "MERGE_OUTCOME_REKEYED")
	p.waitDelivered(60 * time.Second)
	if got := leadID(t, p.up, p.upTok, "mrg-qualified"); got != before {
		t.Errorf("the qualified person is Marketo lead %v, want %v (the same lead, re-keyed)", got, before)
	}
	if old := query(p.up, p.upTok, "/rest/v1/leads.json", "externalPersonId", []string{"mrg-contact-0-0-0"}, ""); len(old) != 0 {
		t.Errorf("the old key still names a Marketo lead: %v", old)
	}

	// Merge: mrg-contact-0-0-1 (with a role) into mrg-qualified.
	sub := leadID(t, p.up, p.upTok, "mrg-contact-0-0-1")
	merge("MERGE_KIND_MERGE", "mrg-contact-0-0-1", "mrg-qualified", "MERGE_OUTCOME_MERGED")
	p.waitDelivered(60 * time.Second)
	if gone := query(p.up, p.upTok, "/rest/v1/leads.json", "id", []string{formatID(sub)}, ""); len(gone) != 0 {
		t.Errorf("the merged subordinate is still in Marketo: %v", gone)
	}
	roles := query(p.up, p.upTok, "/rest/v1/opportunities/roles.json", "externalOpportunityId", []string{"mrg-opp-0"}, "leadId,role")
	for _, r := range roles {
		if num(r["leadId"]) != before {
			t.Errorf("a role in Marketo names lead %v, want the master %v: %v", r["leadId"], before, roles)
		}
	}
	if len(roles) == 0 {
		t.Error("the roles were lost in Marketo")
	}
	checkOrder(t, p.proxy.calls())

	// The delivery's metrics: records by object and outcome, the backlog, the calls left.
	samples := p.fwd.scrape()
	if n, _ := metric(samples, "msisync_upstream_records_total", map[string]string{"object": "lead", "outcome": "created"}); n != 6 {
		t.Errorf("msisync_upstream_records_total{object=lead,outcome=created} = %v, want 6", n)
	}
	if n, found := metric(samples, "msisync_upstream_backlog", map[string]string{"object": "lead"}); !found || n != 0 {
		t.Errorf("msisync_upstream_backlog{object=lead} = %v (found %v), want 0", n, found)
	}
	if n, _ := metric(samples, "msisync_upstream_calls_left", nil); n <= 0 {
		t.Errorf("msisync_upstream_calls_left = %v, want the calls left today", n)
	}

	// leadScore belongs to Marketo in upstream mode: refused per record, nothing written.
	r := p.fwd.call(http.MethodPost, "/rest/v1/leads.json", p.fwdTok, "", map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{
		{"externalPersonId": "mrg-qualified", "title": "Changed", "leadScore": 50},
	}})
	if r.status != http.StatusOK || outcome(r.results()[0]) != "skipped 1003" || !strings.Contains(string(r.raw), "keeps lead scores") {
		t.Errorf("a leadScore in upstream mode: HTTP %d %s, want skipped 1003", r.status, r.raw)
	}
	if got := query(p.fwd, p.fwdTok, "/rest/v1/leads.json", "externalPersonId", []string{"mrg-qualified"}, "title"); len(got) != 1 || got[0]["title"] == "Changed" {
		t.Errorf("the refused record was written: %v", got)
	}
}

// formatID formats a lead id for a filter value.
func formatID(id float64) string { return strconv.FormatInt(int64(id), 10) }
