package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/config"
	"github.com/msisync/msisync/platform/marketoclient"
)

// TestMarketoClientAgainstAnEmbeddedSuite drives the upstream client against a second
// msisync suite in embedded mode, whose Marketo API matches Adobe's swagger: it describes
// the five MSI objects, syncs one of each in the MSI order (the role with Marketo's lead
// id), repeats the lead sync (keyed, so the same lead is updated), finds the lead by
// externalPersonId among 300 keys (a query too long for a URL, sent as POST ?_method=GET),
// reads an interesting moment back as an activity, deletes children first, and reads
// today's usage, which counts every call the client made.
func TestMarketoClientAgainstAnEmbeddedSuite(t *testing.T) {
	t.Parallel()
	upstream := startSuite(t, "", "MSISYNC_DAILY_QUOTA=50000")
	cfg := marketoclient.Defaults
	cfg.URL, cfg.ClientID, cfg.ClientSecret = upstream.base, testClientID, config.Secret(testClientSecret)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cl := marketoclient.New(cfg, marketoclient.Options{})
	ctx := context.Background()

	ids := map[marketoclient.Object]string{}
	for _, obj := range []marketoclient.Object{marketoclient.SalesPersons, marketoclient.Companies, marketoclient.Leads, marketoclient.Opportunities, marketoclient.Roles} {
		d, err := cl.Describe(ctx, obj)
		if err != nil || len(d.Fields) == 0 {
			t.Fatalf("describe %s: %+v, %v", obj, d, err)
		}
		ids[obj] = d.IDField
	}
	if ids[marketoclient.Opportunities] != "marketoGUID" || ids[marketoclient.SalesPersons] != "id" {
		t.Errorf("id fields %v", ids)
	}

	sync := func(obj marketoclient.Object, rec marketoclient.Record) marketoclient.RecordResult {
		t.Helper()
		res, err := cl.Sync(ctx, obj, marketoclient.SyncRequest{Action: "createOrUpdate", Input: []marketoclient.Record{rec}})
		if err != nil || len(res) != 1 || res[0].Status != "created" {
			t.Fatalf("sync %s: %+v, %v", obj, res, err)
		}
		return res[0]
	}
	if r := sync(marketoclient.SalesPersons, marketoclient.Record{"externalSalesPersonId": "sp-up-1", "email": "owner@example.com"}); r.ID == 0 {
		t.Errorf("sales person without an id: %+v", r)
	}
	sync(marketoclient.Companies, marketoclient.Record{"externalCompanyId": "co-up-1", "company": "Upstream Inc", "externalSalesPersonId": "sp-up-1"})
	lead := marketoclient.LeadSyncRequest{Action: "createOrUpdate", LookupField: "externalPersonId", Input: []marketoclient.Record{{
		"externalPersonId": "p-up-1", "email": "lead@example.com", "externalCompanyId": "co-up-1", "externalSalesPersonId": "sp-up-1",
	}}}
	res, err := cl.SyncLeads(ctx, lead)
	if err != nil || len(res) != 1 || res[0].Status != "created" || res[0].ID == 0 {
		t.Fatalf("sync leads: %+v, %v", res, err)
	}
	leadID := res[0].ID
	if opp := sync(marketoclient.Opportunities, marketoclient.Record{"externalOpportunityId": "o-up-1", "name": "Deal", "externalCompanyId": "co-up-1", "externalSalesPersonId": "sp-up-1"}); opp.MarketoGUID == "" {
		t.Errorf("opportunity without a marketoGUID: %+v", opp)
	}
	sync(marketoclient.Roles, marketoclient.Record{"externalOpportunityId": "o-up-1", "leadId": leadID, "role": "Decision Maker"})

	// Keyed: the same lead again is an update of the same record.
	res, err = cl.SyncLeads(ctx, lead)
	if err != nil || len(res) != 1 || res[0].Status != "updated" || res[0].ID != leadID {
		t.Errorf("repeated lead sync: %+v, %v; want lead %d updated", res, err, leadID)
	}

	keys := []string{"p-up-1"}
	for i := 1; i < marketoclient.MaxBatch; i++ {
		keys = append(keys, fmt.Sprintf("6f1c2a9e-0000-4000-8000-%012d", i))
	}
	page, err := cl.QueryLeads(ctx, "externalPersonId", keys, []string{"id", "externalPersonId", "leadScore"}, "")
	if err != nil || len(page.Records) != 1 || fmt.Sprint(page.Records[0]["id"]) != fmt.Sprint(leadID) {
		t.Errorf("query by 300 externalPersonIds: %+v, %v; want lead %d", page, err, leadID)
	}

	// MSI back: Interesting Moment is found by name among the activity types, and a moment
	// recorded on the lead is read from a paging token.
	since := time.Now().Add(-time.Hour)
	upstream.call(http.MethodPost, "/v1/interesting-moments", upstream.token(), "", map[string]any{"moments": []map[string]any{
		{"externalPersonId": "p-up-1", "type": "Web", "description": "Visited pricing page", "source": "Web", "date": time.Now().UTC().Format(time.RFC3339)},
	}})
	types, err := cl.ActivityTypes(ctx)
	momentType := 0
	for _, at := range types {
		if at.Name == "Interesting Moment" {
			momentType = at.ID
		}
	}
	if err != nil || momentType == 0 {
		t.Fatalf("activity types %+v, %v: no Interesting Moment", types, err)
	}
	token, err := cl.PagingToken(ctx, since)
	if err != nil || token == "" {
		t.Fatalf("paging token %q, %v", token, err)
	}
	acts, err := cl.Activities(ctx, token, []int{momentType})
	if err != nil || len(acts.Activities) != 1 || acts.Activities[0].LeadID != leadID || acts.NextPageToken == "" {
		t.Errorf("activities %+v, %v; want the moment on lead %d and a token to continue from", acts, err, leadID)
	}

	// A parent that children still reference is not deleted; children first, all go, and
	// a repeated delete is skipped (1013), not an error.
	del := func(obj marketoclient.Object, key marketoclient.Record, want string) {
		t.Helper()
		res, err := cl.Delete(ctx, obj, []marketoclient.Record{key}, false)
		if err != nil || len(res) != 1 || res[0].Status != want {
			t.Errorf("delete %s %v: %+v, %v; want %s", obj, key, res, err, want)
		}
	}
	del(marketoclient.Companies, marketoclient.Record{"externalCompanyId": "co-up-1"}, "skipped")
	del(marketoclient.Roles, marketoclient.Record{"externalOpportunityId": "o-up-1", "leadId": leadID, "role": "Decision Maker"}, "deleted")
	del(marketoclient.Opportunities, marketoclient.Record{"externalOpportunityId": "o-up-1"}, "deleted")
	if res, err := cl.DeleteLeads(ctx, []int64{leadID}); err != nil || len(res) != 1 || res[0].Status != "deleted" {
		t.Errorf("delete lead %d: %+v, %v", leadID, res, err)
	}
	del(marketoclient.Companies, marketoclient.Record{"externalCompanyId": "co-up-1"}, "deleted")
	del(marketoclient.SalesPersons, marketoclient.Record{"externalSalesPersonId": "sp-up-1"}, "deleted")
	del(marketoclient.SalesPersons, marketoclient.Record{"externalSalesPersonId": "sp-up-1"}, "skipped")

	u, err := cl.DailyUsage(ctx)
	st := cl.Status()
	// The client made 23 calls (5 describes, 6 syncs, a query, 3 activity calls, 7 deletes,
	// the usage); Marketo also counted the test's own call recording the moment, made as the
	// same API user, as it counts the customer's other integrations: the client's count
	// rises to Marketo's.
	if err != nil || st.Calls != 23 || u.Total != 24 || st.Limits.UsedToday != 24 || st.Failed != 0 {
		t.Errorf("usage %+v (%v), status %+v; want 23 calls by the client, 24 counted by Marketo and the client's count raised to it", u, err, st)
	}
}
