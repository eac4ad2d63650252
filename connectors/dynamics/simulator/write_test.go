package simulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

func TestPatch(t *testing.T) {
	e := newEnv(t, Options{})
	_, delta, _ := e.loadAll("leads?$select=mkt_priority,mkt_relativescore", "odata.track-changes")
	lead := e.sim.IDs("leads")[4]
	v0 := e.sim.Version()
	resp, b := e.do("PATCH", "leads("+strings.ToUpper(lead)+")", map[string]string{"If-Match": "*"},
		`{"mkt_priority":3,"mkt_relativescore":42.5,"mkt_lastinterestingmomentdate":"2026-11-29T05:21:00+01:00","mkt_lastinterestingmomenttype":"Web"}`)
	if resp.StatusCode != 204 || resp.Header.Get("OData-EntityId") != e.srv.URL+"/api/data/v9.2/leads("+lead+")" {
		t.Fatalf("PATCH: %d %s %v", resp.StatusCode, b, resp.Header)
	}
	row, _ := e.sim.Get("leads", lead)
	if row["mkt_priority"] != int64(3) || row["mkt_relativescore"] != 42.5 || row["mkt_lastinterestingmomentdate"] != "2026-11-29T04:21:00Z" ||
		row["versionnumber"] != v0+1 || e.sim.Version() != v0+1 {
		t.Fatalf("row after PATCH %v", row)
	}
	got, _, _ := e.loadAll(delta, "")
	if len(got) != 1 || got[0]["leadid"] != lead || got[0]["mkt_priority"] != float64(3) {
		t.Fatalf("delta after PATCH %v", got)
	}

	missing := "00000000-0000-4000-8000-00000000abcd"
	resp, b = e.do("PATCH", "leads("+missing+")", map[string]string{"If-Match": "*"}, `{"mkt_priority":1}`)
	wantErr(t, resp, b, 404, "0x80040217", "lead With Id = "+missing+" Does Not Exist")
	if _, ok := e.sim.Get("leads", missing); ok {
		t.Fatal("If-Match: * created a row")
	}
	resp, b = e.do("PATCH", "leads("+lead+")", map[string]string{"If-Match": `W/"1"`}, `{"mkt_priority":1}`)
	wantErr(t, resp, b, 412, "0x80060882", "doesn't match the RowVersion")
	resp, b = e.do("PATCH", "leads("+lead+")", map[string]string{"If-Match": fmt.Sprintf(`W/"%d"`, v0+1)}, `{"mkt_priority":2}`)
	if resp.StatusCode != 204 {
		t.Fatalf("matching etag: %d %s", resp.StatusCode, b)
	}
	resp, b = e.do("PATCH", "leads("+lead+")", map[string]string{"If-Match": "*"}, `{"mkt_bogus":1}`)
	wantErr(t, resp, b, 400, "0x80048d19", "mkt_bogus")
	resp, b = e.do("PATCH", "leads("+lead+")", map[string]string{"If-Match": "*"}, `{"mkt_priority":"high"}`)
	wantErr(t, resp, b, 400, "0x80048d19", "Edm.Int32")

	// Upsert without If-Match creates; @odata.bind sets a polymorphic lookup.
	acct := e.sim.IDs("accounts")[0]
	resp, b = e.do("PATCH", "contacts("+missing+")", nil, `{"firstname":"New","lastname":"Person","parentcustomerid_account@odata.bind":"/accounts(`+acct+`)"}`)
	if resp.StatusCode != 204 {
		t.Fatalf("upsert: %d %s", resp.StatusCode, b)
	}
	if row, ok := e.sim.Get("contacts", missing); !ok || row["fullname"] != "New Person" || row["_parentcustomerid_value"] != acct ||
		e.sim.LookupTarget("contacts", missing, "_parentcustomerid_value") != "account" {
		t.Fatalf("upserted %v", row)
	}
	_, m := e.getJSON("leads("+lead+")?$select=mkt_priority", nil)
	if m["mkt_priority"] != float64(2) {
		t.Fatalf("GET after PATCH %v", m)
	}
	// return=representation answers 200 with the selected columns.
	resp, b = e.do("PATCH", "leads("+lead+")?$select=mkt_urgency", map[string]string{"If-Match": "*", "Prefer": "return=representation"}, `{"mkt_urgency":1.25}`)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"mkt_urgency":1.25`) || strings.Contains(string(b), "fullname") {
		t.Fatalf("return=representation: %d %s", resp.StatusCode, b)
	}
	// DELETE leaves a tombstone.
	resp, _ = e.do("DELETE", "leads("+lead+")", nil, "")
	if resp.StatusCode != 204 {
		t.Fatalf("DELETE %d", resp.StatusCode)
	}
	resp, b = e.do("GET", "leads("+lead+")", nil, "")
	wantErr(t, resp, b, 404, "0x80040217", "Does Not Exist")
	s := e.sim.Stats()
	if s.PatchesApplied != 4 || s.PatchNotFound != 1 || s.PreconditionFailed != 1 || s.Deletes != 1 || s.Creates != 1 {
		t.Fatalf("stats %+v", s)
	}
	if p := e.sim.Patches(); len(p) != 4 || p[0].ID != lead || p[0].Set != "leads" ||
		strings.Join(p[0].Columns, ",") != "mkt_lastinterestingmomentdate,mkt_lastinterestingmomenttype,mkt_priority,mkt_relativescore" {
		t.Fatalf("patch log %+v", p)
	}
}

// batchBody builds a multipart/mixed $batch body from raw application/http parts.
func batchBody(parts ...string) (string, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		w, _ := mw.CreatePart(map[string][]string{"Content-Type": {"application/http"}, "Content-Transfer-Encoding": {"binary"}})
		_, _ = io.WriteString(w, p)
	}
	_ = mw.Close()
	return buf.String(), "multipart/mixed; boundary=" + mw.Boundary()
}

// batchResponses parses a $batch response into its parts.
func batchResponses(t *testing.T, resp *http.Response, body []byte) []*http.Response {
	t.Helper()
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || !strings.HasPrefix(params["boundary"], "batchresponse_") {
		t.Fatalf("batch content type %q", resp.Header.Get("Content-Type"))
	}
	var out []*http.Response
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Type") != "application/http" || p.Header.Get("Content-Transfer-Encoding") != "binary" {
			t.Fatalf("part header %v", p.Header)
		}
		raw, _ := io.ReadAll(p)
		r, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			t.Fatalf("part %q: %v", raw, err)
		}
		out = append(out, r)
	}
}

func TestBatch(t *testing.T) {
	e := newEnv(t, Options{})
	leads := e.sim.IDs("leads")
	missing := "00000000-0000-4000-8000-00000000beef"
	patch := func(id, body string) string {
		return "PATCH /api/data/v9.2/leads(" + id + ") HTTP/1.1\r\nContent-Type: application/json; type=entry\r\nIf-Match: *\r\n\r\n" + body
	}
	body, ct := batchBody(
		patch(leads[0], `{"mkt_priority":1}`),
		patch(missing, `{"mkt_priority":2}`),
		"PATCH "+e.srv.URL+"/api/data/v9.2/leads("+leads[1]+") HTTP/1.1\r\nContent-Type: application/json\r\nIf-Match: *\r\n\r\n{\"mkt_urgency\":7.5}",
		"GET leads("+leads[1]+")?$select=mkt_urgency HTTP/1.1\r\nAccept: application/json\r\n\r\n",
	)
	resp, b := e.do("POST", "$batch", map[string]string{"Content-Type": ct, "Prefer": "odata.continue-on-error"}, body)
	if resp.StatusCode != 200 || resp.Header.Get("Preference-Applied") != "odata.continue-on-error" {
		t.Fatalf("batch %d %v", resp.StatusCode, resp.Header)
	}
	parts := batchResponses(t, resp, b)
	if len(parts) != 4 {
		t.Fatalf("parts = %d", len(parts))
	}
	for i, want := range []int{204, 404, 204, 200} {
		if parts[i].StatusCode != want {
			t.Fatalf("part %d status %d, want %d", i, parts[i].StatusCode, want)
		}
	}
	pb, _ := io.ReadAll(parts[1].Body)
	wantErr(t, parts[1], pb, 404, "0x80040217", "lead With Id = "+missing+" Does Not Exist")
	var got map[string]any
	_ = json.NewDecoder(parts[3].Body).Decode(&got)
	if got["mkt_urgency"] != 7.5 {
		t.Fatalf("GET part %v", got)
	}
	if r, _ := e.sim.Get("leads", leads[0]); r["mkt_priority"] != int64(1) {
		t.Fatalf("lead 0 %v", r)
	}

	// Without continue-on-error the batch stops at the first failure.
	body, ct = batchBody(patch(leads[2], `{"mkt_priority":1}`), patch(missing, `{"mkt_priority":2}`), patch(leads[3], `{"mkt_priority":3}`))
	resp, b = e.do("POST", "$batch", map[string]string{"Content-Type": ct}, body)
	parts = batchResponses(t, resp, b)
	if resp.StatusCode != 200 || len(parts) != 2 || parts[0].StatusCode != 204 || parts[1].StatusCode != 404 {
		t.Fatalf("stop on error: %d, %d parts", resp.StatusCode, len(parts))
	}
	if r, _ := e.sim.Get("leads", leads[3]); r["mkt_priority"] != nil {
		t.Fatal("operation after the failure ran")
	}
	s := e.sim.Stats()
	if s.Batches != 2 || s.BatchParts != 6 || s.PatchesApplied != 3 || s.PatchNotFound != 2 || s.Requests["POST"] != 2 {
		t.Fatalf("stats %+v", s)
	}
	if p := e.sim.Patches(); len(p) != 3 || !p[0].InBatch {
		t.Fatalf("patch log %+v", p)
	}

	// More than 1000 operations.
	many := make([]string, 1001)
	for i := range many {
		many[i] = patch(leads[0], `{"mkt_priority":1}`)
	}
	body, ct = batchBody(many...)
	resp, b = e.do("POST", "$batch", map[string]string{"Content-Type": ct}, body)
	wantErr(t, resp, b, 400, "0x80060888", "exceeds the limit of 1000")
}

func TestBatchChangeSet(t *testing.T) {
	e := newEnv(t, Options{})
	lead := e.sim.IDs("leads")[0]
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	var cs bytes.Buffer
	cw := multipart.NewWriter(&cs)
	for i, id := range []string{lead, "00000000-0000-4000-8000-000000000001"} {
		w, _ := cw.CreatePart(map[string][]string{"Content-Type": {"application/http"}, "Content-Transfer-Encoding": {"binary"}, "Content-ID": {fmt.Sprint(i + 1)}})
		fmt.Fprintf(w, "PATCH /api/data/v9.2/leads(%s) HTTP/1.1\r\nContent-Type: application/json\r\nIf-Match: *\r\n\r\n{\"mkt_leadscore\":%d}", id, 10+i)
	}
	_ = cw.Close()
	w, _ := mw.CreatePart(map[string][]string{"Content-Type": {"multipart/mixed; boundary=" + cw.Boundary()}})
	_, _ = w.Write(cs.Bytes())
	_ = mw.Close()
	resp, b := e.do("POST", "$batch", map[string]string{"Content-Type": "multipart/mixed; boundary=" + mw.Boundary()}, buf.String())
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte("changesetresponse_")) || !bytes.Contains(b, []byte("HTTP/1.1 404 Not Found")) {
		t.Fatalf("changeset: %d %s", resp.StatusCode, b)
	}
	if r, _ := e.sim.Get("leads", lead); r["mkt_leadscore"] != int64(10) {
		t.Fatalf("changeset op did not run: %v", r)
	}
}
