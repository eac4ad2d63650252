package simulator

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"
)

func TestSelectAndAnnotations(t *testing.T) {
	e := newEnv(t, Options{})
	resp, m := e.getJSON("contacts?$select=fullname,_parentcustomerid_value,_ownerid_value", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %v", resp.StatusCode, m)
	}
	if want := e.srv.URL + "/api/data/v9.2/$metadata#contacts(fullname,_parentcustomerid_value,_ownerid_value)"; m["@odata.context"] != want {
		t.Fatalf("context %v", m["@odata.context"])
	}
	rows := m["value"].([]any)
	if len(rows) != 57 {
		t.Fatalf("rows = %d", len(rows))
	}
	r0 := rows[0].(map[string]any)
	if len(r0) != 5 || r0["contactid"] == nil || !strings.HasPrefix(r0["@odata.etag"].(string), `W/"`) {
		t.Fatalf("row %v", r0)
	}
	for k := range r0 {
		if strings.Contains(k, "@Microsoft") {
			t.Fatalf("annotation without Prefer: %v", r0)
		}
	}

	// No $select: every column.
	_, m = e.getJSON("contacts", nil)
	if r := m["value"].([]any)[0].(map[string]any); len(r) != len(defsBySet["contacts"].cols)+1 || !hasKey(r, "mkt_leadscore") {
		t.Fatalf("all columns: %v", r)
	}

	// Unknown column and unknown set.
	resp, b := e.do("GET", "contacts?$select=fullname,nosuch", nil, "")
	wantErr(t, resp, b, 400, "0x80060888", "Could not find a property named 'nosuch' on type 'Microsoft.Dynamics.CRM.contact'.")
	resp, b = e.do("GET", "widgets", nil, "")
	wantErr(t, resp, b, 404, "0x8006088a", "Resource not found for the segment 'widgets'.")

	// Annotations: a quoted list containing a comma, combined with maxpagesize.
	prefer := `odata.include-annotations="OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.lookuplogicalname",odata.maxpagesize=100`
	resp, m = e.getJSON("contacts?$select=fullname,_parentcustomerid_value,_ownerid_value", map[string]string{"Prefer": prefer})
	if pa := resp.Header.Get("Preference-Applied"); !strings.Contains(pa, "odata.maxpagesize=100") || !strings.Contains(pa, "odata.include-annotations=") {
		t.Fatalf("Preference-Applied %q", pa)
	}
	kinds := map[string]int{}
	for _, v := range m["value"].([]any) {
		r := v.(map[string]any)
		if r["_parentcustomerid_value"] != nil {
			lg := r["_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"].(string)
			kinds["parent:"+lg]++
			if r["_parentcustomerid_value@OData.Community.Display.V1.FormattedValue"] == nil {
				t.Fatalf("no formatted value: %v", r)
			}
			if got := e.sim.LookupTarget("contacts", r["contactid"].(string), "_parentcustomerid_value"); got != lg {
				t.Fatalf("lookup %s vs %s", got, lg)
			}
		} else {
			kinds["parent:none"]++
			if hasKey(r, "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname") {
				t.Fatalf("annotation on null lookup: %v", r)
			}
		}
		kinds["owner:"+r["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"].(string)]++
	}
	for _, k := range []string{"parent:account", "parent:contact", "parent:none", "owner:systemuser", "owner:team"} {
		if kinds[k] == 0 {
			t.Fatalf("no %s in %v", k, kinds)
		}
	}

	// Wildcard "*" and single row GET.
	id := e.sim.IDs("accounts")[0]
	resp, m = e.getJSON(fmt.Sprintf("accounts(%s)?$select=name,_ownerid_value", strings.ToUpper(id)), map[string]string{"Prefer": `odata.include-annotations="*"`})
	if resp.StatusCode != 200 || m["accountid"] != id || m["_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == nil ||
		!strings.HasSuffix(m["@odata.context"].(string), "$metadata#accounts(name,_ownerid_value)/$entity") {
		t.Fatalf("single %d %v", resp.StatusCode, m)
	}
	resp, b = e.do("GET", "accounts({"+id+"})", nil, "")
	if resp.StatusCode != 400 {
		t.Fatalf("braces: %d %s", resp.StatusCode, b)
	}
}

func TestPagingAndFilter(t *testing.T) {
	e := newEnv(t, Options{})
	rows, delta, pages := e.loadAll("contacts?$select=fullname,emailaddress1", "odata.maxpagesize=10")
	if delta != "" || pages != 6 || len(rows) != 57 {
		t.Fatalf("rows %d pages %d delta %q", len(rows), pages, delta)
	}
	var ids []string
	seen := map[string]bool{}
	for _, r := range rows {
		id := r["contactid"].(string)
		if seen[id] {
			t.Fatalf("duplicate %s", id)
		}
		seen[id] = true
		ids = append(ids, id)
		if len(r) != 4 {
			t.Fatalf("selected columns lost on later page: %v", r)
		}
	}
	if !sort.StringsAreSorted(ids) || len(seen) != e.sim.Count("contacts") {
		t.Fatal("not every row exactly once in id order")
	}
	// The nextLink keeps $select and carries a Dataverse-like cookie.
	_, m := e.getJSON("contacts?$select=fullname", map[string]string{"Prefer": "odata.maxpagesize=5"})
	next := m["@odata.nextLink"].(string)
	if !strings.HasPrefix(next, e.srv.URL+"/api/data/v9.2/contacts?$select=fullname&$skiptoken=%3Ccookie%20pagenumber%3D%222%22") {
		t.Fatalf("nextLink %s", next)
	}

	// $filter: lookup, quoted string with an escaped quote, and.
	acct := e.sim.IDs("accounts")[3]
	contactID, err := e.sim.Upsert("contacts", map[string]any{"firstname": "Aoife", "lastname": "O'Brien",
		"_parentcustomerid_value": acct, "emailaddress1": "aoife@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.sim.Get("contacts", contactID); got["fullname"] != "Aoife O'Brien" || got["statecode"] != int64(0) {
		t.Fatalf("computed fullname / default statecode: %v", got)
	}
	q := url.QueryEscape(fmt.Sprintf("_parentcustomerid_value eq %s and lastname eq 'o''brien' and statecode eq 0", strings.ToUpper(acct)))
	_, m = e.getJSON("contacts?$select=lastname&$filter="+q, nil)
	if v := m["value"].([]any); len(v) != 1 || v[0].(map[string]any)["contactid"] != contactID {
		t.Fatalf("filter result %v", m)
	}
	_, m = e.getJSON("leads?$select=fullname&$filter="+url.QueryEscape("_parentaccountid_value eq null"), nil)
	if n := len(m["value"].([]any)); n != e.sim.SeedReport().LeadsWithoutAccount {
		t.Fatalf("null filter: %d", n)
	}
	resp, b := e.do("GET", "contacts?$filter="+url.QueryEscape("contains(lastname,'x')"), nil, "")
	wantErr(t, resp, b, 400, "0x80060888", "not supported by this simulator")
	resp, b = e.do("GET", "contacts?$filter="+url.QueryEscape("statecode gt 0"), nil, "")
	wantErr(t, resp, b, 400, "0x80060888", "operator 'gt'")
	resp, b = e.do("GET", "contacts?$filter="+url.QueryEscape("(statecode eq 0"), nil, "")
	wantErr(t, resp, b, 400, "0x80060888", "unbalanced parentheses")
	// or, ne and parentheses.
	other := e.sim.IDs("contacts")[0]
	if other == contactID {
		other = e.sim.IDs("contacts")[1]
	}
	q = url.QueryEscape(fmt.Sprintf("statecode ne 1 and (contactid eq %s or contactid eq %s)", contactID, other))
	_, m = e.getJSON("contacts?$select=lastname&$filter="+q, nil)
	if v := m["value"].([]any); len(v) != 2 {
		t.Fatalf("or/ne filter result %v", m)
	}
	q = url.QueryEscape(fmt.Sprintf("(contactid eq %s or contactid eq %s) and lastname ne 'O''Brien'", contactID, other))
	_, m = e.getJSON("contacts?$select=lastname&$filter="+q, nil)
	if v := m["value"].([]any); len(v) != 1 || v[0].(map[string]any)["contactid"] == contactID {
		t.Fatalf("ne filter result %v", m)
	}
	resp, b = e.do("GET", "contacts?$filter="+url.QueryEscape("statecode eq 'x'"), nil, "")
	wantErr(t, resp, b, 400, "0x80060888", "incompatible types")
	_, m = e.getJSON("accounts?$select=name&$top=3", map[string]string{"Prefer": "odata.maxpagesize=2"})
	if len(m["value"].([]any)) != 3 || m["@odata.nextLink"] != nil {
		t.Fatalf("$top: %v", m)
	}
	resp, b = e.do("GET", "accounts?$expand=primarycontactid", nil, "")
	wantErr(t, resp, b, 400, "0x80060888", "not supported by this simulator")
}

func TestChangeTracking(t *testing.T) {
	e := newEnv(t, Options{})
	const prefer = "odata.track-changes,odata.maxpagesize=7"
	resp, _ := e.do("GET", "accounts?$select=name", map[string]string{"Prefer": prefer}, "")
	if resp.Header.Get("Preference-Applied") != "odata.maxpagesize=7,odata.track-changes" {
		t.Fatalf("Preference-Applied %q", resp.Header.Get("Preference-Applied"))
	}
	rows, delta, pages := e.loadAll("accounts?$select=name,telephone1", prefer)
	if len(rows) != 20 || pages != 3 || !strings.HasPrefix(delta, e.srv.URL+"/api/data/v9.2/accounts?$select=name,telephone1&$deltatoken=") {
		t.Fatalf("rows %d pages %d delta %q", len(rows), pages, delta)
	}
	// Nothing changed: empty delta, new deltaLink.
	got, delta2, _ := e.loadAll(delta, prefer)
	if len(got) != 0 || delta2 == "" {
		t.Fatalf("empty delta: %v %q", got, delta2)
	}

	ids := e.sim.IDs("accounts")
	newID, _ := e.sim.Upsert("accounts", map[string]any{"name": "Fresh Co"})
	if err := e.sim.Update("accounts", ids[1], map[string]any{"telephone1": "+1-555-0000"}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Delete("accounts", ids[2]); err != nil {
		t.Fatal(err)
	}
	ghost, _ := e.sim.Upsert("accounts", map[string]any{"name": "Short-lived"})
	_ = e.sim.Delete("accounts", ghost)

	got, delta3, _ := e.loadAll(delta2, "odata.maxpagesize=2")
	var upserts, deletes []string
	deletesStarted := false
	for _, r := range got {
		if ctx, ok := r["@odata.context"].(string); ok {
			if ctx != e.srv.URL+"/api/data/v9.2/$metadata#accounts/$deletedEntity" || r["reason"] != "deleted" {
				t.Fatalf("deleted entry %v", r)
			}
			deletes = append(deletes, r["id"].(string))
			deletesStarted = true
			continue
		}
		if deletesStarted {
			t.Fatal("changed row after deleted rows")
		}
		if len(r) != 4 { // etag, name, telephone1, accountid
			t.Fatalf("delta row columns %v", r)
		}
		upserts = append(upserts, r["accountid"].(string))
	}
	sort.Strings(upserts)
	wantUp := []string{ids[1], newID}
	sort.Strings(wantUp)
	wantDel := []string{ids[2], ghost}
	sort.Strings(wantDel)
	if fmt.Sprint(upserts) != fmt.Sprint(wantUp) || fmt.Sprint(deletes) != fmt.Sprint(wantDel) {
		t.Fatalf("upserts %v (want %v) deletes %v (want %v)", upserts, wantUp, deletes, wantDel)
	}
	if delta3 == "" || delta3 == delta2 {
		t.Fatalf("new deltaLink %q", delta3)
	}
	if got, _, _ := e.loadAll(delta3, prefer); len(got) != 0 {
		t.Fatalf("after catching up: %v", got)
	}
	// The delta response context marks a delta.
	_, m := e.getJSON(delta3, nil)
	if !strings.HasSuffix(m["@odata.context"].(string), "#accounts(name,telephone1)/$delta") {
		t.Fatalf("context %v", m["@odata.context"])
	}
}

func TestChangeDuringPagedLoad(t *testing.T) {
	e := newEnv(t, Options{})
	const prefer = "odata.track-changes,odata.maxpagesize=10"
	_, m := e.getJSON("contacts?$select=fullname", map[string]string{"Prefer": prefer})
	first := m["value"].([]any)
	served := first[0].(map[string]any)["contactid"].(string)
	// Change a row already served and create one, before the load finishes.
	if err := e.sim.Update("contacts", served, map[string]any{"jobtitle": "Changed mid-load"}); err != nil {
		t.Fatal(err)
	}
	created, _ := e.sim.Upsert("contacts", map[string]any{"firstname": "Mid", "lastname": "Load"})
	rows, delta, _ := e.loadAll(m["@odata.nextLink"].(string), prefer)
	if len(first)+len(rows) < 57 || delta == "" {
		t.Fatalf("load %d+%d, delta %q", len(first), len(rows), delta)
	}
	got, _, _ := e.loadAll(delta, prefer)
	ids := map[string]bool{}
	for _, r := range got {
		ids[str(r["contactid"])] = true
	}
	if !ids[served] || !ids[created] {
		t.Fatalf("changes made during the load are missing from the delta: %v", ids)
	}
}

func TestTrackingRefusalsAndExpiry(t *testing.T) {
	e := newEnv(t, Options{})
	for _, opt := range []string{"$filter=statecode%20eq%200", "$orderby=name", "$expand=primarycontactid", "$top=5"} {
		name := opt[:strings.IndexByte(opt, '=')]
		resp, b := e.do("GET", "accounts?$select=name&"+opt, map[string]string{"Prefer": "odata.track-changes"}, "")
		wantErr(t, resp, b, 400, "0x80060888", fmt.Sprintf(`The "%s" query parameter isn't supported when Change Tracking is enabled.`, name))
	}
	_, delta, _ := e.loadAll("accounts?$select=name", "odata.track-changes")
	e.sim.ExpireDeltaTokens()
	resp, b := e.do("GET", delta, nil, "")
	wantErr(t, resp, b, 400, "0x80044352", "Version stamp associated with the client has expired. Please perform a full sync.")
	// A fresh full load yields a working deltaLink again.
	_, delta, _ = e.loadAll("accounts?$select=name", "odata.track-changes")
	if resp, b := e.do("GET", delta, nil, ""); resp.StatusCode != 200 {
		t.Fatalf("fresh delta: %d %s", resp.StatusCode, b)
	}
}
