package simulator

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestThrottleAndFailNext(t *testing.T) {
	e := newEnv(t, Options{})
	e.sim.Throttle(2, 1500*time.Millisecond)
	for i := 0; i < 2; i++ {
		resp, b := e.do("GET", "accounts?$select=name", nil, "")
		wantErr(t, resp, b, 429, "0x80072322", "Number of requests exceeded the limit of 6000 over time window of 300 seconds.")
		if resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	e.fetchToken() // token requests are not throttled and do not consume faults
	if resp, _ := e.do("GET", "accounts?$select=name", nil, ""); resp.StatusCode != 200 {
		t.Fatalf("after throttle: %d", resp.StatusCode)
	}
	e.sim.Throttle(1, 0)
	resp, _ := e.do("GET", "WhoAmI", nil, "")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("minimum Retry-After: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	e.sim.FailNext(2, 503)
	for i := 0; i < 2; i++ {
		resp, b := e.do("GET", "accounts?$select=name", nil, "")
		wantErr(t, resp, b, 503, "0x80040265", "injected")
	}
	e.sim.FailNext(1, 500)
	// A faulted $batch counts as one request.
	body, ct := batchBody("GET accounts?$select=name HTTP/1.1\r\n\r\n")
	resp, b := e.do("POST", "$batch", map[string]string{"Content-Type": ct}, body)
	wantErr(t, resp, b, 500, "0x80040216", "injected")
	if resp, _ := e.do("POST", "$batch", map[string]string{"Content-Type": ct}, body); resp.StatusCode != 200 {
		t.Fatalf("batch after fault: %d", resp.StatusCode)
	}
	s := e.sim.Stats()
	if s.Throttled != 3 || s.InjectedFailures != 3 || s.Batches != 1 || s.Requests["GET"] != 6 || s.Requests["POST"] != 2 {
		t.Fatalf("stats %+v", s)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	e := newEnv(t, Options{MaxConcurrent: 1, Latency: 300 * time.Millisecond})
	var wg sync.WaitGroup
	codes := make([]int, 2)
	bodies := make([][]byte, 2)
	hdrs := make([]http.Header, 2)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 100 * time.Millisecond)
			resp, b := e.do("GET", "WhoAmI", nil, "")
			codes[i], bodies[i], hdrs[i] = resp.StatusCode, b, resp.Header
		}(i)
	}
	wg.Wait()
	if codes[0] != 200 || codes[1] != 429 || hdrs[1].Get("Retry-After") != "1" ||
		!strings.Contains(string(bodies[1]), `"code":"0x80072326"`) || !strings.Contains(string(bodies[1]), "Number of concurrent requests exceeded the limit of 1.") {
		t.Fatalf("codes %v, body %s", codes, bodies[1])
	}
	if e.sim.Stats().ConcurrencyRejected != 1 {
		t.Fatal("concurrency rejection not counted")
	}
}

func TestAdminAPI(t *testing.T) {
	e := newEnv(t, Options{})
	post := func(path, body string) *http.Response {
		resp, err := http.Post(e.srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := post("/_sim/faults", `{"throttle":{"count":1,"retryAfterSeconds":3},"fail":{"count":1,"status":502}}`); r.StatusCode != 204 {
		t.Fatalf("faults: %d", r.StatusCode)
	}
	resp, _ := e.do("GET", "WhoAmI", nil, "")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
		t.Fatalf("admin throttle: %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", "WhoAmI", nil, ""); resp.StatusCode != 502 {
		t.Fatalf("admin fail: %d", resp.StatusCode)
	}
	post("/_sim/faults", `{"expireAccessTokens":true}`)
	if resp, _ := e.do("GET", "WhoAmI", nil, ""); resp.StatusCode != 401 {
		t.Fatalf("admin expire: %d", resp.StatusCode)
	}
	e.token = e.fetchToken()
	if r := post("/_sim/rows/contacts", `{"firstname":"Ada","lastname":"Admin","mkt_priority":1}`); r.StatusCode != 200 {
		t.Fatalf("admin upsert: %d", r.StatusCode)
	}
	if r := post("/_sim/rows/contacts", `{"nosuch":1}`); r.StatusCode != 400 {
		t.Fatalf("admin upsert unknown column: %d", r.StatusCode)
	}
	resp, err := http.Get(e.srv.URL + "/_sim/stats")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stats: %v", err)
	}
	resp.Body.Close()
	resp, err = http.Get(e.srv.URL + "/_sim/seedreport")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("seedreport: %v", err)
	}
	resp.Body.Close()
}

func TestConcurrentReadersAndWriters(t *testing.T) {
	e := newEnv(t, Options{})
	ids := e.sim.IDs("contacts")
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows, _, _ := e.loadAll("contacts?$select=fullname", "odata.maxpagesize=9,odata.track-changes")
			if len(rows) < len(ids) {
				t.Errorf("rows %d", len(rows))
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i, id := range ids[:20] {
			if i%5 == 0 {
				_, _ = e.sim.Upsert("contacts", map[string]any{"lastname": "New"})
			}
			_ = e.sim.Update("contacts", id, map[string]any{"mkt_leadscore": i})
		}
	}()
	wg.Wait()
}
