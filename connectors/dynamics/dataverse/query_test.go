package dataverse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestPagingAndDelta(t *testing.T) {
	const (
		skip2 = "$select=contactid,fullname,_ownerid_value&$skiptoken=%3Ccookie%20pagenumber=%222%22%20pagingcookie=%22%253ccookie%2520page%253d%25221%2522%253e%253ccontactid%2520last%253d%2522%257bD5026A4D-D01C-ED11-B83E-000D3A572421%257d%2522%2520first%253d%2522%257b...%257d%2522%2520%252f%253e%253c%252fcookie%253e%22%20istracking=%22True%22%20/%3E"
		skip3 = "$select=contactid,fullname,_ownerid_value&$skiptoken=%3Ccookie%20pagenumber=%223%22%20istracking=%22True%22%20/%3E"
		delta = "$select=contactid,fullname,_ownerid_value&$deltatoken=919058%2108%2f22%2f2017%2008%3a21%3a20"
		next  = "$select=contactid,fullname,_ownerid_value&$deltatoken=919099%2108%2f23%2f2017%2008%3a21%3a20"
	)
	row := func(id, name string) map[string]any {
		return map[string]any{
			"@odata.etag": `W/"72201545"`, "contactid": id, "fullname": name,
			"_ownerid_value": "0a0a0a0a-0000-0000-0000-00000000000a",
			"_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "systemuser",
		}
	}
	var e *env
	e = newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/data/v9.2/contacts" {
			writeError(w, 404, "", "unknown path "+r.URL.Path)
			return
		}
		base := e.api.URL + "/api/data/v9.2/contacts?"
		ctx := e.api.URL + "/api/data/v9.2/$metadata#contacts(contactid,fullname,_ownerid_value)"
		switch r.URL.RawQuery {
		case "$select=contactid,fullname,_ownerid_value":
			writeJSON(w, 200, map[string]any{"@odata.context": ctx, "value": []any{row("c1", "One"), row("c2", "Two")}, "@odata.nextLink": base + skip2})
		case skip2:
			writeJSON(w, 200, map[string]any{"@odata.context": ctx, "value": []any{row("c3", "Three"), row("c4", "Four")}, "@odata.nextLink": base + skip3})
		case skip3:
			writeJSON(w, 200, map[string]any{"@odata.context": ctx, "value": []any{row("c5", "Five")}, "@odata.deltaLink": base + delta})
		case delta:
			writeJSON(w, 200, map[string]any{
				"@odata.context": ctx + "/$delta",
				"value": []any{
					row("c2", "Two changed"),
					map[string]any{"@odata.context": e.api.URL + "/api/data/v9.2/$metadata#contacts/$deletedEntity", "id": "{2E451703-C686-E711-80E5-00155DB19E6D}", "reason": "deleted"},
				},
				"@odata.deltaLink": base + next,
			})
		default:
			writeError(w, 400, "", "unexpected query "+r.URL.RawQuery)
		}
	})
	c, _ := e.client(func(c *Config) { c.PageSize = 2 })
	ctx := context.Background()
	page, err := c.Query(ctx, "contacts", Query{Select: []string{"contactid", "fullname", "_ownerid_value"}, TrackChanges: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var deltaLink string
	for {
		for _, r := range page.Rows {
			ids = append(ids, r.String("contactid"))
		}
		if page.NextLink == "" {
			deltaLink = page.DeltaLink
			break
		}
		if page.DeltaLink != "" {
			t.Errorf("delta link on a middle page")
		}
		if page, err = c.Follow(ctx, page.NextLink); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(ids, ","); got != "c1,c2,c3,c4,c5" {
		t.Errorf("rows = %s", got)
	}
	if deltaLink != e.api.URL+"/api/data/v9.2/contacts?"+delta {
		t.Errorf("delta link = %q", deltaLink)
	}

	seen := e.seen()
	if got := seen[0].Header.Values("Prefer"); len(got) != 1 || got[0] != `odata.include-annotations="*",odata.maxpagesize=2,odata.track-changes` {
		t.Errorf("tracked query Prefer = %q", got)
	}
	if got := seen[1].Header.Values("Prefer"); len(got) != 1 || got[0] != `odata.include-annotations="*",odata.maxpagesize=2` {
		t.Errorf("next link Prefer = %q", got)
	}

	// The delta: one changed row and one delete.
	d, err := c.Follow(ctx, deltaLink)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rows) != 1 || d.Rows[0].String("fullname") != "Two changed" || d.Rows[0].LookupType("_ownerid_value") != "systemuser" {
		t.Errorf("delta rows = %v", d.Rows)
	}
	if len(d.Deleted) != 1 || d.Deleted[0] != "2e451703-c686-e711-80e5-00155db19e6d" {
		t.Errorf("deleted = %v", d.Deleted)
	}
	if d.DeltaLink != e.api.URL+"/api/data/v9.2/contacts?"+next || d.NextLink != "" {
		t.Errorf("delta page links next=%q delta=%q", d.NextLink, d.DeltaLink)
	}
	last := e.seen()[3]
	if got := last.Header.Get("Prefer"); !strings.Contains(got, "odata.track-changes") || !strings.Contains(got, "odata.maxpagesize=2") {
		t.Errorf("delta link Prefer = %q", got)
	}
}

func TestQueryFilterEncoding(t *testing.T) {
	const filter = "modifiedon ge 2024-05-01T00:00:00Z and name eq 'O''Brien & Co+1'"
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("$filter"); got != filter {
			t.Errorf("$filter = %q", got)
		}
		if got := r.URL.Query().Get("$select"); got != "accountid,name" {
			t.Errorf("$select = %q", got)
		}
		if strings.Contains(r.URL.RawQuery, "+") {
			t.Errorf("raw query uses '+': %s", r.URL.RawQuery)
		}
		writeJSON(w, 200, map[string]any{"value": []any{map[string]any{"accountid": "A1", "revenue": json.Number("12345678901234.5")}}})
	})
	c, _ := e.client(nil)
	p, err := c.Query(context.Background(), "accounts", Query{Select: []string{"accountid", "name"}, Filter: filter})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 1 || p.Rows[0].String("revenue") != "12345678901234.5" {
		t.Errorf("rows = %v", p.Rows)
	}
	if _, ok := p.Rows[0]["revenue"].(json.Number); !ok {
		t.Errorf("numbers not decoded as json.Number: %T", p.Rows[0]["revenue"])
	}
	if p.NextLink != "" || p.DeltaLink != "" || len(p.Deleted) != 0 {
		t.Errorf("page = %+v", p)
	}
	if got := e.seen()[0].Header.Get("Prefer"); strings.Contains(got, "track-changes") {
		t.Errorf("untracked query Prefer = %q", got)
	}
}

func TestQueryValidation(t *testing.T) {
	e := newEnv(t, whoAmIHandler)
	c, _ := e.client(nil)
	ctx := context.Background()
	for name, tc := range map[string]struct {
		set string
		q   Query
	}{
		"no select":       {"contacts", Query{}},
		"filter+tracking": {"contacts", Query{Select: []string{"contactid"}, Filter: "statecode eq 0", TrackChanges: true}},
		"empty set":       {"", Query{Select: []string{"contactid"}}},
		"set with query":  {"contacts?$top=1", Query{Select: []string{"contactid"}}},
	} {
		if _, err := c.Query(ctx, tc.set, tc.q); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := c.Follow(ctx, "https://evil.example.com/api/data/v9.2/contacts?$skiptoken=x"); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("foreign link: err = %v", err)
	}
	if _, err := c.Follow(ctx, ""); err == nil {
		t.Error("empty link: no error")
	}
	if n := e.apiCalls.Load(); n != 0 {
		t.Errorf("invalid calls reached the API %d times", n)
	}
}

func TestDeltaExpired(t *testing.T) {
	cases := []struct {
		status      int
		code, msg   string
		wantExpired bool
	}{
		{410, "0x80044352", "ExpiredVersionStamp", true},
		{400, "0x80044352", "", true},
		{400, "", "The version stamp associated with the delta token has expired. Do a full sync.", true},
		{400, "0x80040203", "Delta token expired; please do a full synchronization", true},
		{400, "0x80060888", "The $filter query parameter isn't supported when Change Tracking is enabled.", false},
		{404, "0x80044352", "ExpiredVersionStamp", false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.code), func(t *testing.T) {
			e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
				writeError(w, tc.status, tc.code, tc.msg)
			})
			c, _ := e.client(nil)
			_, err := c.Follow(context.Background(), e.api.URL+"/api/data/v9.2/accounts?$select=name&$deltatoken=1%2101%2f01%2f2020")
			if got := errors.Is(err, ErrDeltaExpired); got != tc.wantExpired {
				t.Errorf("errors.Is(%v, ErrDeltaExpired) = %v, want %v", err, got, tc.wantExpired)
			}
			var apiErr *Error
			if !errors.As(err, &apiErr) || apiErr.Status != tc.status {
				t.Errorf("errors.As *Error: %v", err)
			}
		})
	}
}
