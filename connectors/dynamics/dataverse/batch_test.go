package dataverse

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// batchPart is one request found in a $batch body.
type batchPart struct {
	method, uri string
	header      http.Header
	body        map[string]any
}

// parseBatchRequest parses a $batch request the way a server would: mime/multipart for
// the envelope, http.ReadRequest for each part.
func parseBatchRequest(t *testing.T, r *http.Request) []batchPart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" || !strings.HasPrefix(params["boundary"], "batch_") {
		t.Errorf("$batch Content-Type = %q", r.Header.Get("Content-Type"))
		return nil
	}
	var parts []batchPart
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Errorf("reading $batch part: %v", err)
			return parts
		}
		if ct, cte := p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"); ct != "application/http" || cte != "binary" {
			t.Errorf("part headers Content-Type=%q Content-Transfer-Encoding=%q", ct, cte)
		}
		req, err := http.ReadRequest(bufio.NewReader(p))
		if err != nil {
			t.Errorf("part is not an HTTP request: %v", err)
			return parts
		}
		var body map[string]any
		if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
			t.Errorf("part body: %v", err)
		}
		parts = append(parts, batchPart{method: req.Method, uri: req.RequestURI, header: req.Header, body: body})
	}
}

type answer struct {
	status     int
	code, msg  string
	retryAfter string
}

// writeBatchResponse answers like Dataverse: multipart/mixed, each part an HTTP response.
func writeBatchResponse(w http.ResponseWriter, answers []answer) {
	const b = "batchresponse_6c3d6a9c-1f4a-4b8e-9e1a-2f6b8d1e0c11"
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+b)
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(200)
	for _, a := range answers {
		fmt.Fprintf(w, "--%s\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n", b)
		if a.status == 204 {
			fmt.Fprintf(w, "HTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n\r\n\r\n")
			continue
		}
		fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: application/json; odata.metadata=minimal\r\nOData-Version: 4.0\r\n", a.status, http.StatusText(a.status))
		if a.retryAfter != "" {
			fmt.Fprintf(w, "Retry-After: %s\r\n", a.retryAfter)
		}
		body, _ := json.Marshal(map[string]any{"error": map[string]any{"code": a.code, "message": a.msg}})
		fmt.Fprintf(w, "\r\n%s\r\n", body)
	}
	fmt.Fprintf(w, "--%s--\r\n", b)
}

const (
	id1 = "{60C4E274-0D87-E711-80E5-00155DB19E6D}"
	id2 = "a0dbf27c-8efb-e511-80d2-00155db07c77"
	id3 = "2e451703-c686-e711-80e5-00155db19e6d"
)

func TestUpdateBatchRequestAndResults(t *testing.T) {
	var e *env
	e = newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/api/data/v9.2/$batch" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if got := r.Header.Values("Prefer"); len(got) != 1 || got[0] != "odata.continue-on-error" {
			t.Errorf("Prefer = %q", got)
		}
		if r.Header.Get("OData-Version") != "4.0" || r.Header.Get("If-None-Match") != "" {
			t.Errorf("headers %v", r.Header)
		}
		parts := parseBatchRequest(t, r)
		if len(parts) != 3 {
			t.Fatalf("parts = %d", len(parts))
		}
		base := e.api.URL + "/api/data/v9.2/"
		wantURI := []string{base + "leads(60c4e274-0d87-e711-80e5-00155db19e6d)", base + "contacts(" + id2 + ")", base + "leads(" + id3 + ")"}
		for i, p := range parts {
			if p.method != "PATCH" || p.uri != wantURI[i] {
				t.Errorf("part %d: %s %s, want PATCH %s", i, p.method, p.uri, wantURI[i])
			}
			if p.header.Get("If-Match") != "*" || p.header.Get("Content-Type") != "application/json; type=entry" {
				t.Errorf("part %d headers %v", i, p.header)
			}
		}
		if got := parts[0].body["mkt_priority"]; got != float64(3) {
			t.Errorf("part 0 body = %v", parts[0].body)
		}
		if got := parts[1].body["mkt_lastinterestingmomentdesc"]; got != "Visited <pricing> & \"docs\"" {
			t.Errorf("part 1 body = %v", parts[1].body)
		}
		writeBatchResponse(w, []answer{
			{status: 204},
			{status: 404, msg: "contact With Id = " + id2 + " Does Not Exist"},
			{status: 400, code: "0x80044331", msg: "A validation error occurred."},
		})
	})
	c, _ := e.client(nil)
	res, err := c.UpdateBatch(context.Background(), []Update{
		{EntitySet: "leads", ID: id1, Columns: map[string]any{"mkt_priority": 3}},
		{EntitySet: "contacts", ID: id2, Columns: map[string]any{"mkt_lastinterestingmomentdesc": `Visited <pricing> & "docs"`}},
		{EntitySet: "leads", ID: id3, Columns: map[string]any{"mkt_urgency": 1.5}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 3 || res[0].Status != 204 || res[0].Err != nil || !res[0].OK() {
		t.Fatalf("results = %+v", res)
	}
	if res[1].Status != 404 || !res[1].NotFound() || res[1].Err == nil || !strings.Contains(res[1].Err.Message, "Does Not Exist") {
		t.Errorf("result 1 = %+v", res[1])
	}
	if res[2].Status != 400 || res[2].Err == nil || res[2].Err.Code != "0x80044331" {
		t.Errorf("result 2 = %+v", res[2])
	}
	if s := c.Stats(); s.Requests != 1 || s.Retries != 0 {
		t.Errorf("stats = %+v", s)
	}
}

// batchServer answers each $batch with answers(round, parts) and records the part URIs.
type batchServer struct {
	mu     sync.Mutex
	rounds [][]string
}

func (b *batchServer) handler(t *testing.T, answers func(round int, parts []batchPart) []answer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		parts := parseBatchRequest(t, r)
		var uris []string
		for _, p := range parts {
			uris = append(uris, p.uri[strings.LastIndex(p.uri, "/")+1:])
		}
		b.mu.Lock()
		b.rounds = append(b.rounds, uris)
		round := len(b.rounds)
		b.mu.Unlock()
		writeBatchResponse(w, answers(round, parts))
	}
}

func makeUpdates(n int) []Update {
	u := make([]Update, n)
	for i := range u {
		u[i] = Update{EntitySet: "leads", ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), Columns: map[string]any{"mkt_priority": i}}
	}
	return u
}

func leadURI(i int) string { return fmt.Sprintf("leads(00000000-0000-0000-0000-%012d)", i) }

func TestUpdateBatchRetriesThrottledParts(t *testing.T) {
	bs := &batchServer{}
	e := newEnv(t, bs.handler(t, func(round int, parts []batchPart) []answer {
		out := make([]answer, len(parts))
		for i := range out {
			out[i] = answer{status: 204}
			if round == 1 && (i == 1 || i == 3) {
				out[i] = answer{status: 429, code: "0x80072322", msg: "Number of requests exceeded the limit", retryAfter: "7"}
			}
			if round == 1 && i == 4 {
				out[i] = answer{status: 500, code: "0x80040216", msg: "unexpected"}
			}
		}
		return out
	}))
	c, waits := e.client(nil)
	res, err := c.UpdateBatch(context.Background(), makeUpdates(6))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Status != 204 || r.Err != nil {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	if len(bs.rounds) != 2 {
		t.Fatalf("rounds = %v", bs.rounds)
	}
	if got, want := strings.Join(bs.rounds[1], " "), strings.Join([]string{leadURI(1), leadURI(3), leadURI(4)}, " "); got != want {
		t.Errorf("retry batch = %s, want %s", got, want)
	}
	if got := waits.all(); len(got) != 1 || got[0] != 7*time.Second {
		t.Errorf("waits = %v, want [7s] (Retry-After of the throttled parts)", got)
	}
	if s := c.Stats(); s.Throttled != 2 || s.ServerErrors != 1 || s.Retries != 1 || s.Requests != 2 {
		t.Errorf("stats = %+v", s)
	}
}

func TestUpdateBatchMissingParts(t *testing.T) {
	bs := &batchServer{}
	e := newEnv(t, bs.handler(t, func(round int, parts []batchPart) []answer {
		if round == 1 {
			return []answer{{status: 204}, {status: 404, msg: "Does Not Exist"}} // the service stopped after two
		}
		out := make([]answer, len(parts))
		for i := range out {
			out[i] = answer{status: 204}
		}
		return out
	}))
	c, _ := e.client(nil)
	res, err := c.UpdateBatch(context.Background(), makeUpdates(4))
	if err != nil {
		t.Fatal(err)
	}
	want := []int{204, 404, 204, 204}
	for i, r := range res {
		if r.Status != want[i] {
			t.Errorf("result %d = %+v, want status %d", i, r, want[i])
		}
	}
	if len(bs.rounds) != 2 || strings.Join(bs.rounds[1], " ") != leadURI(2)+" "+leadURI(3) {
		t.Errorf("rounds = %v", bs.rounds)
	}
}

func TestUpdateBatchExhausted(t *testing.T) {
	bs := &batchServer{}
	e := newEnv(t, bs.handler(t, func(round int, parts []batchPart) []answer {
		out := make([]answer, len(parts))
		for i, p := range parts {
			out[i] = answer{status: 503, msg: "Service Unavailable"}
			if strings.HasSuffix(p.uri, leadURI(0)) {
				out[i] = answer{status: 204}
			}
		}
		return out
	}))
	c, _ := e.client(func(c *Config) { c.MaxAttempts = 3 })
	res, err := c.UpdateBatch(context.Background(), makeUpdates(3))
	if err == nil || !strings.Contains(err.Error(), "2 of 3 updates") {
		t.Fatalf("err = %v", err)
	}
	var apiErr *Error
	if !errors.As(err, &apiErr) || apiErr.Status != 503 {
		t.Errorf("err does not wrap the last *Error: %v", err)
	}
	if len(bs.rounds) != 3 {
		t.Errorf("rounds = %d, want 3 (MaxAttempts)", len(bs.rounds))
	}
	if res[0].Status != 204 || res[1].Status != 503 || res[2].Status != 503 || res[1].Err == nil {
		t.Errorf("results = %+v", res)
	}
}

func TestUpdateBatchWholeRequestRetried(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "2")
			writeError(w, 429, "0x80072326", "Number of concurrent requests exceeded the limit of 52.")
			return
		}
		parts := parseBatchRequest(t, r)
		out := make([]answer, len(parts))
		for i := range out {
			out[i] = answer{status: 204}
		}
		writeBatchResponse(w, out)
	})
	c, waits := e.client(nil)
	res, err := c.UpdateBatch(context.Background(), makeUpdates(2))
	if err != nil || len(res) != 2 || res[1].Status != 204 {
		t.Fatalf("res %+v err %v", res, err)
	}
	if got := waits.all(); len(got) != 1 || got[0] != 2*time.Second {
		t.Errorf("waits = %v", got)
	}
}

func TestUpdateBatchInput(t *testing.T) {
	e := newEnv(t, whoAmIHandler)
	c, _ := e.client(nil)
	ctx := context.Background()
	if res, err := c.UpdateBatch(ctx, nil); res != nil || err != nil {
		t.Errorf("empty batch: %v %v", res, err)
	}
	if _, err := c.UpdateBatch(ctx, makeUpdates(1001)); err == nil || !strings.Contains(err.Error(), "1000") {
		t.Errorf("1001 updates: err = %v", err)
	}
	bad := makeUpdates(2)
	bad[1].ID = "not-a-guid"
	if _, err := c.UpdateBatch(ctx, bad); err == nil || !strings.Contains(err.Error(), "updates[1]") {
		t.Errorf("bad id: err = %v", err)
	}
	bad = makeUpdates(1)
	bad[0].Columns = nil
	if _, err := c.UpdateBatch(ctx, bad); err == nil {
		t.Error("no columns: no error")
	}
	if n := e.apiCalls.Load(); n != 0 {
		t.Errorf("API calls = %d", n)
	}
}

func TestUpdateSingle(t *testing.T) {
	var n atomic.Int64
	e := newEnv(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "PATCH" || r.URL.Path != "/api/data/v9.2/leads(60c4e274-0d87-e711-80e5-00155db19e6d)" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		if r.Header.Get("If-Match") != "*" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("If-None-Match") != "" {
			t.Errorf("headers %v", r.Header)
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body["mkt_relativescore"] != float64(42) {
			t.Errorf("body %v %v", body, err)
		}
		switch n.Add(1) {
		case 1:
			w.WriteHeader(204)
		case 2:
			writeError(w, 404, "0x80040217", "lead With Id = 60c4e274-0d87-e711-80e5-00155db19e6d Does Not Exist")
		case 3:
			writeError(w, 412, "", "The version of the existing record doesn't match the RowVersion property provided.")
		default:
			writeError(w, 503, "", "unavailable")
		}
	})
	c, _ := e.client(func(c *Config) { c.MaxAttempts = 2 })
	ctx := context.Background()
	u := Update{EntitySet: "leads", ID: id1, Columns: map[string]any{"mkt_relativescore": 42}}
	for i, want := range []int{204, 404, 412} {
		res, err := c.Update(ctx, u)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if res.Status != want || (want == 204) != (res.Err == nil) {
			t.Errorf("call %d: %+v, want status %d", i, res, want)
		}
	}
	res, err := c.Update(ctx, u)
	if err == nil || res.Status != 503 {
		t.Errorf("exhausted: %+v %v", res, err)
	}
	if _, err := c.Update(ctx, Update{EntitySet: "leads", ID: "x", Columns: map[string]any{"a": 1}}); err == nil {
		t.Error("bad id: no error")
	}
}

func TestParseBatchResponseDocShape(t *testing.T) {
	// The shape of the documented error answer without continue-on-error: one part, no
	// Content-Length on the part, CRLF framing.
	body := "--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f\r\n" +
		"Content-Type: application/http\r\n" +
		"Content-Transfer-Encoding: binary\r\n" +
		"\r\n" +
		"HTTP/1.1 400 Bad Request\r\n" +
		"REQ_ID: 5ecd1cb3-1730-4ffc-909c-d44c22270026\r\n" +
		"Content-Type: application/json; odata.metadata=minimal\r\n" +
		"OData-Version: 4.0\r\n" +
		"\r\n" +
		`{"error":{"code":"0x80044331","message":"A validation error occurred.  The length of the 'subject' attribute of the 'task' entity exceeded the maximum allowed length of '200'."}}` + "\r\n" +
		"--batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f--\r\n"
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"multipart/mixed; boundary=batchresponse_c1bd45c1-dd81-470d-b897-e965846aad2f"}}, Body: io.NopCloser(strings.NewReader(body))}
	parts, err := parseBatchResponse(resp)
	if err != nil || len(parts) != 1 || parts[0].status != 400 || parts[0].err.Code != "0x80044331" {
		t.Fatalf("parts %+v err %v", parts, err)
	}
	resp = &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(`{}`))}
	if _, err := parseBatchResponse(resp); err == nil {
		t.Error("non-multipart response accepted")
	}
}
