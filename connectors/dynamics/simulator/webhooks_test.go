package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A webhook registered through the Web API receives the RemoteExecutionContext of an
// update of a contact, with its header; a failed delivery is tried again; other tables and
// messages notify nobody.
func TestWebhookNotifiesRegisteredSteps(t *testing.T) {
	e := newEnv(t, Options{WebhookDelay: time.Millisecond})
	got := make(chan map[string]any, 10)
	failFirst := true
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Key") != "s3cret" {
			t.Errorf("header X-Key = %q", r.Header.Get("X-Key"))
		}
		if failFirst {
			failFirst = false
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		got <- body
	}))
	defer hook.Close()

	resp, _ := e.do("POST", "serviceendpoints", nil, `{"name":"test","contract":8,"url":"`+hook.URL+`/hook","authtype":5,"authvalue":"<settings><setting name=\"X-Key\" value=\"s3cret\" /></settings>","messageformat":2}`)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("creating the endpoint: %d", resp.StatusCode)
	}
	ep := entityID(resp.Header.Get("OData-EntityId"))
	_, b := e.do("GET", "sdkmessages?$select=name&$filter=name%20eq%20'Update'", nil, "")
	msg := firstID(t, b, "sdkmessageid")
	_, b = e.do("GET", "sdkmessagefilters?$select=sdkmessagefilterid&$filter=_sdkmessageid_value%20eq%20"+msg+"%20and%20primaryobjecttypecode%20eq%20'contact'", nil, "")
	filter := firstID(t, b, "sdkmessagefilterid")
	resp, b = e.do("POST", "sdkmessageprocessingsteps", nil, `{"name":"contact update","mode":1,"stage":40,"rank":1,"eventhandler_serviceendpoint@odata.bind":"/serviceendpoints(`+ep+`)","sdkmessageid@odata.bind":"/sdkmessages(`+msg+`)","sdkmessagefilterid@odata.bind":"/sdkmessagefilters(`+filter+`)"}`)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("creating the step: %d %s", resp.StatusCode, b)
	}

	contact := e.sim.IDs("contacts")[0]
	if err := e.sim.Update("accounts", e.sim.IDs("accounts")[0], map[string]any{"name": "Not watched"}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Update("contacts", contact, map[string]any{"jobtitle": "Watched"}); err != nil {
		t.Fatal(err)
	}
	select {
	case body := <-got:
		if body["PrimaryEntityName"] != "contact" || body["PrimaryEntityId"] != contact || body["MessageName"] != "Update" || body["Stage"] != float64(40) {
			t.Errorf("notification = %v", body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
	select {
	case body := <-got:
		t.Errorf("unexpected second notification %v", body)
	case <-time.After(100 * time.Millisecond):
	}
	if st := e.sim.Webhooks(); st.Delivered != 1 || st.Attempts != 2 {
		t.Errorf("stats = %+v, want 1 delivered in 2 attempts", st)
	}
}

// entityID takes the id out of an OData-EntityId URL.
func entityID(u string) string {
	i, j := strings.LastIndex(u, "("), strings.LastIndex(u, ")")
	if i < 0 || j < i {
		return ""
	}
	return u[i+1 : j]
}

// firstID reads col of a collection's first row.
func firstID(t *testing.T, b []byte, col string) string {
	t.Helper()
	var c struct{ Value []map[string]any }
	if err := json.Unmarshal(b, &c); err != nil || len(c.Value) == 0 {
		t.Fatalf("no rows in %s", b)
	}
	return c.Value[0][col].(string)
}
