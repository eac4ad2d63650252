package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Crash safety: a record acknowledged with HTTP 200 is on disk. The tests below SIGKILL a
// process in the middle of a concurrent multi-batch lead load, restart it over the same
// data, and check that every acknowledged lead is there with its links, that no batch was
// half written, that parked records and sync runs survive, and that replaying every batch
// (acknowledged or interrupted) is idempotent.

const (
	crashClients   = 4   // concurrent load clients
	crashBatchSize = 100 // leads per batch
	crashMaxSeq    = 300 // bound on the batches one client sends
	crashQueryMax  = 300 // filterValues per lead query
	// crashHangLimit is the longest a call may take while a service is down: a clean
	// Marketo error is expected within seconds, never a hang.
	crashHangLimit = 10 * time.Second
)

// crashNoLimits turns off the API limits, which a concurrent load would otherwise hit.
var crashNoLimits = []string{"MSISYNC_RATE_LIMIT_CALLS=0", "MSISYNC_MAX_CONCURRENCY=0", "MSISYNC_DAILY_QUOTA=0"}

// crashHTTP bounds every load call, so a hung server shows up as an error, not a stuck test.
// Its own transport: connections pooled to a killed process are dropped after each kill.
var crashHTTP = &http.Client{Timeout: 30 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}

// dropIdleConnections forgets the load's pooled connections (to a process just killed).
func dropIdleConnections() {
	crashHTTP.CloseIdleConnections()
	http.DefaultClient.CloseIdleConnections()
}

// crashResult is one HTTP call's answer, or the transport error it ended with.
type crashResult struct {
	status  int
	body    map[string]any
	raw     []byte
	err     error
	started time.Time
	took    time.Duration
}

func (r crashResult) errorCode() string {
	return response{body: r.body}.errorCode()
}

func (r crashResult) outcomes() []string {
	return outcomes(response{body: r.body})
}

func (r crashResult) String() string {
	if r.err != nil {
		return fmt.Sprintf("transport error after %v: %v", r.took.Round(time.Millisecond), r.err)
	}
	return fmt.Sprintf("HTTP %d after %v: %s", r.status, r.took.Round(time.Millisecond), truncate(r.raw))
}

// crashDo sends one request with a bounded client and never fails the test itself, so it
// may run on any goroutine.
func crashDo(method, u, token, contentType string, body []byte) crashResult {
	res := crashResult{started: time.Now()}
	defer func() { res.took = time.Since(res.started) }()
	req, err := http.NewRequestWithContext(context.Background(), method, u, bytes.NewReader(body))
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := crashHTTP.Do(req)
	if err != nil {
		res.err = err
		res.took = time.Since(res.started)
		return res
	}
	defer resp.Body.Close()
	res.status = resp.StatusCode
	res.raw, res.err = io.ReadAll(resp.Body)
	if res.err == nil && len(res.raw) > 0 && res.raw[0] == '{' {
		res.err = json.Unmarshal(res.raw, &res.body)
	}
	res.took = time.Since(res.started)
	return res
}

func crashPostJSON(base, path, token string, body any) crashResult {
	j, err := json.Marshal(body)
	if err != nil {
		return crashResult{err: err}
	}
	return crashDo(http.MethodPost, base+path, token, "application/json", j)
}

// crashQuery runs a query as POST …?_method=GET with a form body.
func crashQuery(base, path, token string, form url.Values) crashResult {
	return crashDo(http.MethodPost, base+path+"?_method=GET", token, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// leadBatch is one createOrUpdate call of the load.
type leadBatch struct {
	name    string            // "c2#17": client and sequence
	keys    []string          // externalPersonIds, in input order
	company map[string]string // externalPersonId → externalCompanyId
	body    map[string]any
}

// expectedLead is what a lead of the load must look like once written.
type expectedLead struct {
	company, salesPerson, email string
}

func newLeadBatch(prefix string, client, seq int, salesPerson string, companies []string) *leadBatch {
	b := &leadBatch{name: fmt.Sprintf("c%d#%d", client, seq), company: map[string]string{}}
	input := make([]map[string]any, 0, crashBatchSize)
	for i := range crashBatchSize {
		key := fmt.Sprintf("%s-c%d-b%03d-l%03d", prefix, client, seq, i)
		co := companies[(client*7+seq*3+i)%len(companies)]
		b.keys = append(b.keys, key)
		b.company[key] = co
		input = append(input, map[string]any{
			"externalPersonId":      key,
			"email":                 key + "@example.com",
			"firstName":             "Crash",
			"lastName":              fmt.Sprintf("Lead %d/%d/%d", client, seq, i),
			"externalCompanyId":     co,
			"externalSalesPersonId": salesPerson,
		})
	}
	b.body = map[string]any{"action": "createOrUpdate", "lookupField": "externalPersonId", "input": input}
	return b
}

// sentBatch is a batch with the answer it got.
type sentBatch struct {
	batch *leadBatch
	res   crashResult
}

// acked reports whether the answer acknowledged the batch: HTTP 200 and success.
func (b sentBatch) acked() bool {
	return b.res.err == nil && b.res.status == http.StatusOK && b.res.body["success"] == true
}

// leadLoad runs crashClients clients, each sending batches in a loop until stop is closed,
// its sequence bound is reached, or (when stopOnError) a call fails.
type leadLoad struct {
	mu       sync.Mutex
	sent     []sentBatch
	wg       sync.WaitGroup
	stop     chan struct{}
	stopOnce sync.Once
}

// halt tells the clients to stop after their current call.
func (l *leadLoad) halt() { l.stopOnce.Do(func() { close(l.stop) }) }

func startLeadLoad(base, token, prefix, salesPerson string, companies []string, stopOnError bool) *leadLoad {
	l := &leadLoad{stop: make(chan struct{})}
	for c := range crashClients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for seq := 0; seq < crashMaxSeq; seq++ {
				select {
				case <-l.stop:
					return
				default:
				}
				b := newLeadBatch(prefix, c, seq, salesPerson, companies)
				res := crashPostJSON(base, "/rest/v1/leads.json", token, b.body)
				sb := sentBatch{batch: b, res: res}
				l.mu.Lock()
				l.sent = append(l.sent, sb)
				l.mu.Unlock()
				if !sb.acked() {
					if stopOnError {
						return
					}
					// Do not spin while a service is down.
					select {
					case <-l.stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
		}()
	}
	return l
}

// count returns how many batches have been answered so far.
func (l *leadLoad) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.sent)
}

// finish stops the clients and waits for them (bounded by the HTTP client's timeout).
func (l *leadLoad) finish(t *testing.T) []sentBatch {
	t.Helper()
	l.halt()
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(45 * time.Second):
		t.Fatalf("the load clients did not finish within 45 s of being stopped: a call hangs")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sentBatch(nil), l.sent...)
}

// waitForBatches waits until the load has answered at least n batches and at least min
// has passed, or max has passed.
func (l *leadLoad) waitForBatches(n int, minWait, maxWait time.Duration) {
	start := time.Now()
	for time.Since(start) < maxWait {
		if time.Since(start) >= minWait && l.count() >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkAckedBatch checks that an acknowledged batch's answer says every lead was written.
func checkAckedBatch(t *testing.T, b sentBatch) {
	t.Helper()
	outs := b.res.outcomes()
	if len(outs) != len(b.batch.keys) {
		t.Errorf("acknowledged batch %s has %d results for %d leads: %s", b.batch.name, len(outs), len(b.batch.keys), truncate(b.res.raw))
		return
	}
	for i, o := range outs {
		if o != "created" && o != "updated" {
			t.Errorf("acknowledged batch %s: lead %s is %q: %s", b.batch.name, b.batch.keys[i], o, truncate(b.res.raw))
			return
		}
	}
}

// queryLeads reads the leads with the given externalPersonIds, 300 per call, as
// POST ?_method=GET form queries, and returns every record found by externalPersonId
// (lower-cased); a key found twice is an error.
func queryLeads(t *testing.T, base, token string, keys []string) map[string]map[string]any {
	t.Helper()
	found := map[string]map[string]any{}
	for start := 0; start < len(keys); start += crashQueryMax {
		chunk := keys[start:min(start+crashQueryMax, len(keys))]
		form := url.Values{
			"filterType":   {"externalPersonId"},
			"filterValues": {strings.Join(chunk, ",")},
			"fields":       {"id,externalPersonId,email,externalCompanyId,externalSalesPersonId"},
			"batchSize":    {"300"},
		}
		r := crashQuery(base, "/rest/v1/leads.json", token, form)
		if r.err != nil || r.status != http.StatusOK || r.body["success"] != true {
			t.Fatalf("querying %d leads by externalPersonId: %v", len(chunk), r)
		}
		if more, _ := r.body["moreResult"].(bool); more {
			t.Errorf("a query of %d externalPersonIds said moreResult: %s", len(chunk), truncate(r.raw))
		}
		for _, item := range (response{body: r.body}).results() {
			key, _ := item["externalPersonId"].(string)
			key = strings.ToLower(key)
			if _, dup := found[key]; dup {
				t.Errorf("lead %s is there twice", key)
			}
			found[key] = item
		}
	}
	return found
}

// checkLeads checks that every expected lead is there exactly once with its links.
func checkLeads(t *testing.T, base, token string, want map[string]expectedLead) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	found := queryLeads(t, base, token, keys)
	var missing, wrong []string
	for _, k := range keys {
		item, ok := found[k]
		if !ok {
			missing = append(missing, k)
			continue
		}
		w := want[k]
		co, _ := item["externalCompanyId"].(string)
		sp, _ := item["externalSalesPersonId"].(string)
		email, _ := item["email"].(string)
		if !strings.EqualFold(co, w.company) || !strings.EqualFold(sp, w.salesPerson) || !strings.EqualFold(email, w.email) {
			wrong = append(wrong, fmt.Sprintf("%s = %v", k, item))
		}
	}
	if len(missing) > 0 {
		t.Errorf("DATA LOSS: %d of %d acknowledged leads are missing after the crash, e.g. %v", len(missing), len(keys), head(missing, 10))
	}
	if len(wrong) > 0 {
		t.Errorf("%d acknowledged leads lost their links or fields, e.g. %v", len(wrong), head(wrong, 5))
	}
}

func head(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// checkAllOrNothing checks that each interrupted batch is either fully written or not at
// all, and returns, per batch name, whether it was written.
func checkAllOrNothing(t *testing.T, base, token string, interrupted []sentBatch) map[string]bool {
	t.Helper()
	var keys []string
	for _, b := range interrupted {
		keys = append(keys, b.batch.keys...)
	}
	found := queryLeads(t, base, token, keys)
	written := map[string]bool{}
	nWritten := 0
	for _, b := range interrupted {
		n := 0
		for _, k := range b.batch.keys {
			if _, ok := found[k]; ok {
				n++
			}
		}
		if n != 0 && n != len(b.batch.keys) {
			t.Errorf("interrupted batch %s is half written: %d of %d leads are there (answer: %v)", b.batch.name, n, len(b.batch.keys), b.res)
		}
		written[b.batch.name] = n == len(b.batch.keys)
		if written[b.batch.name] {
			nWritten++
		}
	}
	t.Logf("interrupted batches: %d, written whole: %d, not written: %d", len(interrupted), nWritten, len(interrupted)-nWritten)
	return written
}

// replayBatches sends every batch again from crashClients workers and checks that each
// gets only created/updated outcomes (updated for those known to be written).
func replayBatches(t *testing.T, base, token string, batches []sentBatch, written map[string]bool) {
	t.Helper()
	work := make(chan sentBatch)
	var mu sync.Mutex
	var problems []string
	var wg sync.WaitGroup
	for range crashClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				r := crashPostJSON(base, "/rest/v1/leads.json", token, b.batch.body)
				var problem string
				switch {
				case r.err != nil || r.status != http.StatusOK || r.body["success"] != true:
					problem = fmt.Sprintf("replay of batch %s failed: %v", b.batch.name, r)
				default:
					outs := r.outcomes()
					if len(outs) != len(b.batch.keys) {
						problem = fmt.Sprintf("replay of batch %s: %d results for %d leads", b.batch.name, len(outs), len(b.batch.keys))
						break
					}
					for i, o := range outs {
						if o != "created" && o != "updated" {
							problem = fmt.Sprintf("replay of batch %s: lead %s is %q: %s", b.batch.name, b.batch.keys[i], o, truncate(r.raw))
							break
						}
						if written[b.batch.name] && o != "updated" {
							problem = fmt.Sprintf("replay of written batch %s: lead %s is %q, want updated", b.batch.name, b.batch.keys[i], o)
							break
						}
					}
				}
				if problem != "" {
					mu.Lock()
					problems = append(problems, problem)
					mu.Unlock()
				}
			}
		}()
	}
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()
	for _, p := range head(problems, 10) {
		t.Error(p)
	}
	if len(problems) > 10 {
		t.Errorf("… and %d more replay problems", len(problems)-10)
	}
}

// checkCompanyCounts pages through each company's leads and checks that every key of the
// load is there exactly once and nothing else is.
func checkCompanyCounts(t *testing.T, base, token string, batches []sentBatch) {
	t.Helper()
	want := map[string]map[string]bool{}
	for _, b := range batches {
		for _, k := range b.batch.keys {
			co := strings.ToLower(b.batch.company[k])
			if want[co] == nil {
				want[co] = map[string]bool{}
			}
			want[co][k] = true
		}
	}
	total := 0
	for co, keys := range want {
		seen := map[string]int{}
		next := ""
		for page := 0; ; page++ {
			if page > len(keys)/300+5 {
				t.Fatalf("company %s: paging does not end", co)
			}
			form := url.Values{"filterType": {"externalCompanyId"}, "filterValues": {co}, "fields": {"externalPersonId"}, "batchSize": {"300"}}
			if next != "" {
				form.Set("nextPageToken", next)
			}
			r := crashQuery(base, "/rest/v1/leads.json", token, form)
			if r.err != nil || r.status != http.StatusOK || r.body["success"] != true {
				t.Fatalf("querying company %s's leads: %v", co, r)
			}
			for _, item := range (response{body: r.body}).results() {
				k, _ := item["externalPersonId"].(string)
				seen[strings.ToLower(k)]++
			}
			next, _ = r.body["nextPageToken"].(string)
			if more, _ := r.body["moreResult"].(bool); !more || next == "" {
				break
			}
		}
		var dups, extra, missing []string
		for k, n := range seen {
			if n > 1 {
				dups = append(dups, fmt.Sprintf("%s×%d", k, n))
			}
			if !keys[k] {
				extra = append(extra, k)
			}
		}
		for k := range keys {
			if seen[k] == 0 {
				missing = append(missing, k)
			}
		}
		if len(dups)+len(extra)+len(missing) > 0 {
			sort.Strings(dups)
			sort.Strings(extra)
			sort.Strings(missing)
			t.Errorf("company %s after replay: %d leads for %d unique keys; duplicated %v, unexpected %v, missing %v",
				co, sumCounts(seen), len(keys), head(dups, 5), head(extra, 5), head(missing, 5))
		}
		total += len(keys)
	}
	t.Logf("after replay: %d unique leads over %d companies, each exactly once", total, len(want))
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// splitLoad separates acknowledged batches from the interrupted or failed ones.
func splitLoad(sent []sentBatch) (acked, interrupted []sentBatch) {
	for _, b := range sent {
		if b.acked() {
			acked = append(acked, b)
		} else {
			interrupted = append(interrupted, b)
		}
	}
	return acked, interrupted
}

// expectedOf lists the leads of the given batches as they must be stored.
func expectedOf(batches []sentBatch, salesPerson string) map[string]expectedLead {
	want := map[string]expectedLead{}
	for _, b := range batches {
		for _, k := range b.batch.keys {
			want[k] = expectedLead{company: b.batch.company[k], salesPerson: salesPerson, email: k + "@example.com"}
		}
	}
	return want
}

// checkDiagnostics checks, for a few acknowledged leads, that every link MSI needs (sales
// person, company) passes the diagnostics.
func checkDiagnostics(t *testing.T, base, token string, acked []sentBatch) {
	t.Helper()
	for i := 0; i < len(acked) && i < 4; i++ {
		k := acked[len(acked)-1-i].batch.keys[i*7%crashBatchSize]
		r := crashDo(http.MethodGet, base+"/v1/diagnostics/persons/"+url.PathEscape(k), token, "", nil)
		if r.err != nil || r.status != http.StatusOK {
			t.Errorf("diagnostics of acknowledged lead %s after the crash: %v", k, r)
			continue
		}
		// Every link check passes; "insight" needs activity the load does not make.
		checks, _ := r.body["checks"].([]any)
		links := 0
		for _, c := range checks {
			m, _ := c.(map[string]any)
			if m["name"] == "insight" {
				continue
			}
			links++
			if m["passed"] != true {
				t.Errorf("diagnostics of acknowledged lead %s after the crash: check %v fails: %s", k, m["name"], m["message"])
			}
		}
		if links < 4 {
			t.Errorf("diagnostics of acknowledged lead %s ran %d link checks: %v", k, links, r)
		}
	}
}

// TestCrashAllInOneKeepsAcknowledgedLeads SIGKILLs the all-in-one suite in the middle of a
// concurrent lead load and restarts it over the same data.
func TestCrashAllInOneKeepsAcknowledgedLeads(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", crashNoLimits...)
	tok := s.token()
	const sp = "crash-sp-1"
	companies := []string{"crash-co-a", "crash-co-b", "crash-co-c", "crash-co-d", "crash-co-e"}

	// The parents, as a sync run that completes.
	var coInput []map[string]any
	for _, co := range companies {
		coInput = append(coInput, map[string]any{"externalCompanyId": co, "company": "Company " + co, "externalSalesPersonId": sp})
	}
	setupRun := s.createRun(tok, map[string]any{
		"salesPersons": []map[string]any{{"externalSalesPersonId": sp, "email": "owner@example.com"}},
		"companies":    coInput,
	})
	setupBefore := s.waitForRun(tok, setupRun, "SYNC_RUN_STATE_COMPLETED")

	// A lead naming a company that does not exist yet: parked, the run WAITING.
	parkedRun := s.createRun(tok, map[string]any{
		"leads": []map[string]any{{"externalPersonId": "crash-parked-1", "email": "parked@example.com", "externalCompanyId": "crash-co-late", "externalSalesPersonId": sp}},
	})
	s.waitForRun(tok, parkedRun, "SYNC_RUN_STATE_WAITING")
	if p := s.call(http.MethodGet, "/v1/pending", tok, "", nil); !strings.Contains(string(p.raw), "crash-parked-1") {
		t.Fatalf("the parked lead is not pending before the crash: %s", p.raw)
	}

	// The load, then SIGKILL in its middle.
	load := startLeadLoad(s.base, tok, "aio", sp, companies, true)
	t.Cleanup(load.halt) // when the test ends early
	load.waitForBatches(8, 1200*time.Millisecond, 6*time.Second)
	killedAt := time.Now()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		t.Fatal("the suite did not die within 15 s of SIGKILL")
	}
	s.cmd = nil
	sent := load.finish(t)
	dropIdleConnections()
	acked, interrupted := splitLoad(sent)
	t.Logf("killed after %d batches: %d acknowledged, %d interrupted", len(sent), len(acked), len(interrupted))
	if len(acked) == 0 {
		t.Fatalf("no batch was acknowledged before the kill; answers: %v", sent)
	}
	for _, b := range acked {
		checkAckedBatch(t, b)
	}
	for _, b := range interrupted {
		// Before the kill every call must have succeeded.
		if b.res.started.Add(b.res.took).Before(killedAt) {
			t.Errorf("batch %s failed before the kill: %v", b.batch.name, b.res)
		}
	}

	// Restart over the same data.
	s.start()
	tok = s.token()

	checkLeads(t, s.base, tok, expectedOf(acked, sp))
	checkDiagnostics(t, s.base, tok, acked)
	written := checkAllOrNothing(t, s.base, tok, interrupted)
	for _, b := range acked {
		written[b.batch.name] = true
	}

	// Sync runs and parked records survived.
	setupAfter := s.waitForRun(tok, setupRun, "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_FAILED", "SYNC_RUN_STATE_QUEUED", "SYNC_RUN_STATE_RUNNING")
	if state := setupAfter.body["syncRun"].(map[string]any)["state"]; state != "SYNC_RUN_STATE_COMPLETED" {
		t.Errorf("the completed setup run is %v after the crash: %s", state, setupAfter.raw)
	}
	if before, after := counts(setupBefore), counts(setupAfter); fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("the setup run's counts changed over the crash: %v, then %v", before, after)
	}
	pr := s.call(http.MethodGet, "/v1/syncs/"+parkedRun, tok, "", nil)
	if run, _ := pr.body["syncRun"].(map[string]any); run["state"] != "SYNC_RUN_STATE_WAITING" {
		t.Errorf("the parked run after the crash: %s", pr.raw)
	}
	if p := s.call(http.MethodGet, "/v1/pending", tok, "", nil); !strings.Contains(string(p.raw), "crash-parked-1") || !strings.Contains(string(p.raw), "crash-co-late") {
		t.Errorf("the parked lead is not pending after the crash: %s", p.raw)
	}

	// Replaying every batch is idempotent.
	replayBatches(t, s.base, tok, sent, written)
	checkCompanyCounts(t, s.base, tok, sent)

	// The missing company arrives; the parked lead is released.
	late := s.createRun(tok, map[string]any{"companies": []map[string]any{{"externalCompanyId": "CRASH-CO-LATE", "company": "Late Ltd", "externalSalesPersonId": sp}}})
	s.waitForRun(tok, late, "SYNC_RUN_STATE_COMPLETED")
	s.waitForRun(tok, parkedRun, "SYNC_RUN_STATE_COMPLETED")
	released := s.call(http.MethodGet, "/rest/v1/leads.json?filterType=externalPersonId&filterValues=crash-parked-1&fields=externalCompanyId,externalSalesPersonId", tok, "", nil).results()
	if len(released) != 1 || !strings.EqualFold(fmt.Sprint(released[0]["externalCompanyId"]), "crash-co-late") {
		t.Errorf("released lead = %v", released)
	}
	if p := s.call(http.MethodGet, "/v1/pending", tok, "", nil); strings.Contains(string(p.raw), "crash-parked-1") {
		t.Errorf("the lead is still pending after its company arrived: %s", p.raw)
	}
}

// serviceBinaries holds the six service executables, built once on first use.
var serviceBinaries struct {
	once sync.Once
	dir  string
	err  error
}

func buildServiceBinaries(t *testing.T) string {
	t.Helper()
	serviceBinaries.once.Do(func() {
		// Next to the all-in-one binary, so TestMain removes them.
		dir := filepath.Join(filepath.Dir(binary), "services")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			serviceBinaries.err = err
			return
		}
		// Without symbol tables and DWARF: linking six binaries is most of the cost.
		args := []string{"build", "-ldflags=-s -w", "-o", dir + string(filepath.Separator)}
		for _, svc := range services {
			args = append(args, fmt.Sprintf("github.com/msisync/msisync/services/%s/cmd/%s", svc.name, svc.name))
		}
		start := time.Now()
		out, err := exec.Command("go", args...).CombinedOutput()
		t.Logf("built the six service binaries in %v", time.Since(start).Round(time.Millisecond))
		if err != nil {
			serviceBinaries.err = fmt.Errorf("building the service binaries: %v\n%s", err, out)
			return
		}
		serviceBinaries.dir = dir
	})
	if serviceBinaries.err != nil {
		t.Fatal(serviceBinaries.err)
	}
	return serviceBinaries.dir
}

// serviceProc is one service running as its own process.
type serviceProc struct {
	name, bin, addr string
	env             []string
	cmd             *exec.Cmd
	done            chan error
	logs            *syncBuffer
}

func (p *serviceProc) launch() error {
	p.logs = &syncBuffer{}
	p.cmd = exec.Command(p.bin)
	p.cmd.Env = append(os.Environ(), p.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	p.done = make(chan error, 1)
	go func() { p.done <- p.cmd.Wait() }()
	return nil
}

// waitListening waits until the process accepts TCP connections on its gRPC address.
func (p *serviceProc) waitListening(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-p.done:
			p.cmd = nil
			return fmt.Errorf("%s exited before it listened: %v\n%s", p.name, err, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not listen on %s within %v\n%s", p.name, p.addr, timeout, p.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *serviceProc) kill() error {
	if err := p.cmd.Process.Kill(); err != nil {
		return err
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		return fmt.Errorf("%s did not die within 15 s of SIGKILL", p.name)
	}
	p.cmd = nil
	return nil
}

func (p *serviceProc) terminate(t *testing.T) {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("%s did not stop cleanly: %v\n%s", p.name, err, p.logs.String())
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop within 30 s of SIGTERM\n%s", p.name, p.logs.String())
	}
	p.cmd = nil
}

// separateSuite is the six services, each its own process, over one data directory.
type separateSuite struct {
	base  string
	procs map[string]*serviceProc
}

func startSeparateSuite(t *testing.T) *separateSuite {
	t.Helper()
	dir := buildServiceBinaries(t)
	dataDir := t.TempDir()
	// A port found free can be taken by a parallel test before a service binds it; then
	// that service exits, and another set of ports is tried.
	for attempt := 1; ; attempt++ {
		ss, err := trySeparateSuite(t, dir, dataDir)
		if err == nil {
			t.Cleanup(func() { ss.terminate(t) })
			return ss
		}
		ss.terminate(t)
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
	}
}

func trySeparateSuite(t *testing.T, dir, dataDir string) (*separateSuite, error) {
	t.Helper()
	httpAddr := freePort(t)
	env := append([]string{
		"MSISYNC_DATA_DIR=" + dataDir,
		"MSISYNC_HTTP_ADDR=" + httpAddr,
		"MSISYNC_CLIENT_ID=" + testClientID,
		"MSISYNC_CLIENT_SECRET=" + testClientSecret,
		"MSISYNC_LOG_LEVEL=warn",
	}, crashNoLimits...)
	ss := &separateSuite{base: "http://" + httpAddr, procs: map[string]*serviceProc{}}
	for _, svc := range services {
		addr := freePort(t)
		env = append(env, svc.env+"="+addr)
		ss.procs[svc.name] = &serviceProc{name: svc.name, bin: filepath.Join(dir, svc.name), addr: addr}
	}
	// The five back-end services, then the orchestrator.
	for _, name := range []string{"identity", "account", "person", "opportunity", "scoring", "orchestrator"} {
		p := ss.procs[name]
		p.env = env
		if err := p.launch(); err != nil {
			return ss, err
		}
		if err := p.waitListening(60 * time.Second); err != nil {
			return ss, err
		}
	}
	return ss, ss.waitHealthy(60 * time.Second)
}

// terminate stops the orchestrator first, then the services it calls.
func (ss *separateSuite) terminate(t *testing.T) {
	for _, name := range []string{"orchestrator", "identity", "account", "person", "opportunity", "scoring"} {
		ss.procs[name].terminate(t)
	}
}

// waitHealthy waits until the gateway's /healthz answers 200.
func (ss *separateSuite) waitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		r := crashDo(http.MethodGet, ss.base+"/healthz", "", "", nil)
		if r.err == nil && r.status == http.StatusOK {
			return nil
		}
		last = r.String()
		for _, p := range ss.procs {
			if p.cmd == nil {
				continue
			}
			select {
			case err := <-p.done:
				p.cmd = nil
				return fmt.Errorf("%s exited: %v\n%s", p.name, err, p.logs.String())
			default:
			}
		}
		if time.Now().After(deadline) {
			var logs strings.Builder
			for name, p := range ss.procs {
				fmt.Fprintf(&logs, "--- %s\n%s\n", name, p.logs.String())
			}
			return fmt.Errorf("the suite was not healthy within %v: %s\n%s", timeout, last, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (ss *separateSuite) token(t *testing.T) string {
	t.Helper()
	q := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret}}
	r := crashDo(http.MethodGet, ss.base+"/identity/oauth/token?"+q.Encode(), "", "", nil)
	tok, _ := r.body["access_token"].(string)
	if r.err != nil || r.status != http.StatusOK || tok == "" {
		t.Fatalf("token: %v", r)
	}
	return tok
}

// TestCrashPersonServiceProcess runs the six services as separate processes and SIGKILLs
// only the person service in the middle of a concurrent lead load.
func TestCrashPersonServiceProcess(t *testing.T) {
	t.Parallel()
	begin := time.Now()
	ss := startSeparateSuite(t)
	t.Logf("six processes healthy %v after the test began", time.Since(begin).Round(time.Millisecond))
	tok := ss.token(t)
	const sp = "crash-sp-2"
	companies := []string{"crash-co-f", "crash-co-g", "crash-co-h", "crash-co-i"}
	if r := crashPostJSON(ss.base, "/rest/v1/salespersons.json", tok, map[string]any{"input": []map[string]any{{"externalSalesPersonId": sp, "email": "owner2@example.com"}}}); r.err != nil || fmt.Sprint(r.outcomes()) != "[created]" {
		t.Fatalf("sales person: %v", r)
	}
	var coInput []map[string]any
	for _, co := range companies {
		coInput = append(coInput, map[string]any{"externalCompanyId": co, "company": "Company " + co, "externalSalesPersonId": sp})
	}
	if r := crashPostJSON(ss.base, "/rest/v1/companies.json", tok, map[string]any{"input": coInput}); r.err != nil || r.body["success"] != true || strings.Count(fmt.Sprint(r.outcomes()), "created") != len(companies) {
		t.Fatalf("companies: %v", r)
	}

	person := ss.procs["person"]
	load := startLeadLoad(ss.base, tok, "sep", sp, companies, false)
	t.Cleanup(load.halt) // when the test ends early
	load.waitForBatches(8, 1200*time.Millisecond, 6*time.Second)
	killedAt := time.Now()
	if err := person.kill(); err != nil {
		t.Fatal(err)
	}
	deadAt := time.Now()
	// The load goes on against the outage for a while, then stops. Meanwhile a query and
	// the health check answer promptly too.
	outageEnd := time.Now().Add(1500 * time.Millisecond)
	q := crashQuery(ss.base, "/rest/v1/leads.json", tok, url.Values{"filterType": {"externalCompanyId"}, "filterValues": {companies[0]}})
	if c := q.errorCode(); q.err != nil || q.status != http.StatusOK || q.body["success"] != false || (c != "608" && c != "611" && c != "604") || q.took > crashHangLimit {
		t.Errorf("a lead query while the person service is dead: %v; want a 608 (or 611/604) envelope within %v", q, crashHangLimit)
	}
	h := crashDo(http.MethodGet, ss.base+"/healthz", "", "", nil)
	if h.err != nil || h.status != http.StatusServiceUnavailable || !strings.Contains(string(h.raw), "person") || h.took > crashHangLimit {
		t.Errorf("/healthz while the person service is dead: %v; want 503 naming person", h)
	}
	time.Sleep(time.Until(outageEnd))
	sent := load.finish(t)

	acked, interrupted := splitLoad(sent)
	var duringOutage, maxTook time.Duration
	outageCalls := 0
	codes := map[string]int{}
	for _, b := range sent {
		maxTook = max(maxTook, b.res.took)
		end := b.res.started.Add(b.res.took)
		if b.acked() {
			checkAckedBatch(t, b)
			if b.res.started.After(deadAt) {
				t.Errorf("batch %s was acknowledged though it was sent while the person service was dead: %v", b.batch.name, b.res)
			}
			continue
		}
		if end.Before(killedAt) {
			t.Errorf("batch %s failed before the kill: %v", b.batch.name, b.res)
			continue
		}
		outageCalls++
		duringOutage = max(duringOutage, b.res.took)
		code := b.res.errorCode()
		codes[code]++
		switch {
		case b.res.err != nil:
			t.Errorf("batch %s during the outage: no clean answer: %v", b.batch.name, b.res)
		case b.res.status != http.StatusOK || b.res.body["success"] != false:
			t.Errorf("batch %s during the outage: want HTTP 200 with success false: %v", b.batch.name, b.res)
		case code != "608" && code != "611" && code != "604":
			t.Errorf("batch %s during the outage: error code %q, want 608 (or 611/604): %v", b.batch.name, code, b.res)
		}
		if b.res.took > crashHangLimit {
			t.Errorf("HANG: batch %s took %v during the outage (limit %v): %v", b.batch.name, b.res.took, crashHangLimit, b.res)
		}
	}
	t.Logf("person killed after %d batches: %d acknowledged, %d answered during the outage (codes %v, slowest %v; slowest call overall %v)",
		len(sent), len(acked), outageCalls, codes, duringOutage.Round(time.Millisecond), maxTook.Round(time.Millisecond))
	if len(acked) == 0 {
		t.Fatalf("no batch was acknowledged before the kill")
	}
	if outageCalls == 0 {
		t.Errorf("no call was made during the outage")
	}

	// Restart the person service on the same port and data.
	restartAt := time.Now()
	if err := person.launch(); err != nil {
		t.Fatal(err)
	}
	if err := person.waitListening(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := ss.waitHealthy(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	// The orchestrator reconnects: a lead write succeeds again within a bounded time.
	probe := map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{{"externalPersonId": "sep-probe", "email": "probe@example.com", "externalCompanyId": companies[0], "externalSalesPersonId": sp}}}
	var last crashResult
	for {
		last = crashPostJSON(ss.base, "/rest/v1/leads.json", tok, probe)
		if last.err == nil && last.body["success"] == true {
			break
		}
		if time.Since(restartAt) > 30*time.Second {
			t.Fatalf("lead writes still fail 30 s after the person service restarted: %v", last)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("lead writes work again %v after the restart", time.Since(restartAt).Round(time.Millisecond))

	checkLeads(t, ss.base, tok, expectedOf(acked, sp))
	checkDiagnostics(t, ss.base, tok, acked)
	written := checkAllOrNothing(t, ss.base, tok, interrupted)
	for _, b := range acked {
		written[b.batch.name] = true
	}
	t.Logf("checked the acknowledged leads %v after the test began", time.Since(begin).Round(time.Millisecond))
	replayBatches(t, ss.base, tok, sent, written)
	checkCompanyCounts(t, ss.base, tok, append(sent, sentBatch{batch: &leadBatch{name: "probe", keys: []string{"sep-probe"}, company: map[string]string{"sep-probe": companies[0]}}}))
}
