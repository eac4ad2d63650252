package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sample is one series of a Prometheus text exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// labelPair matches one name="value" label of a series.
var labelPair = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrape reads the gateway's GET /metrics.
func (s *suite) scrape() []sample {
	s.t.Helper()
	return scrape(s.t, s.base+"/metrics")
}

// scrape reads a GET /metrics and parses the text format (comments skipped).
func scrape(t *testing.T, url string) []sample {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = HTTP %d, %v", url, resp.StatusCode, err)
	}
	var out []sample
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cut := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[cut+1:], 64)
		if cut < 0 || err != nil {
			t.Fatalf("unreadable metrics line %q", line)
		}
		series := line[:cut]
		smp := sample{name: series, labels: map[string]string{}, value: v}
		if i := strings.IndexByte(series, '{'); i >= 0 {
			smp.name = series[:i]
			for _, m := range labelPair.FindAllStringSubmatch(series[i:], -1) {
				smp.labels[m[1]] = m[2]
			}
		}
		out = append(out, smp)
	}
	return out
}

// metric sums the series named name whose labels include want ("name{k=v,…}" in messages);
// found is false when no series matched.
func metric(samples []sample, name string, want map[string]string) (total float64, found bool) {
	for _, smp := range samples {
		if smp.name != name {
			continue
		}
		match := true
		for k, v := range want {
			if smp.labels[k] != v {
				match = false
			}
		}
		if match {
			total, found = total+smp.value, true
		}
	}
	return total, found
}

// expectation is a series and the value it must have.
type expectation struct {
	name   string
	labels map[string]string
	want   float64
}

func (e expectation) String() string {
	var kv []string
	for k, v := range e.labels {
		kv = append(kv, fmt.Sprintf("%s=%q", k, v))
	}
	slices.Sort(kv)
	return fmt.Sprintf("%s{%s} = %v", e.name, strings.Join(kv, ","), e.want)
}

// waitForMetrics scrapes the gateway until every expectation holds (counters are updated
// just after the state the API shows), and returns the last scrape.
func (s *suite) waitForMetrics(exps ...expectation) []sample {
	s.t.Helper()
	return waitForMetrics(s.t, s.base+"/metrics", exps...)
}

// waitForMetrics scrapes url until every expectation holds, and returns the last scrape.
func waitForMetrics(t *testing.T, url string, exps ...expectation) []sample {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		samples := scrape(t, url)
		var wrong []string
		for _, e := range exps {
			if got, found := metric(samples, e.name, e.labels); !found || got != e.want {
				wrong = append(wrong, fmt.Sprintf("%v (got %v, found %v)", e, got, found))
			}
		}
		if len(wrong) == 0 {
			return samples
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s, %s still has:\n  %s", url, strings.Join(wrong, "\n  "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMetricsCountTheSyncAndTheAPI(t *testing.T) {
	t.Parallel()
	const quota = 1000
	s := startSuite(t, "", fmt.Sprintf("MSISYNC_DAILY_QUOTA=%d", quota))
	tok := s.token()

	// One run: a sales person, a company and a lead applied, a lead parked (its company is
	// missing), a role rejected (it names no lead).
	id := s.createRun(tok, map[string]any{
		"salesPersons": []map[string]any{{"externalSalesPersonId": "user-m1", "email": "m1@example.com"}},
		"companies":    []map[string]any{{"externalCompanyId": "acc-m1", "company": "Metrics Ltd", "externalSalesPersonId": "user-m1"}},
		"leads": []map[string]any{
			{"externalPersonId": "lead-m1", "email": "lead-m1@example.com", "externalCompanyId": "acc-m1", "externalSalesPersonId": "user-m1"},
			{"externalPersonId": "lead-m2", "email": "lead-m2@example.com", "externalCompanyId": "acc-missing", "externalSalesPersonId": "user-m1"},
		},
		"opportunityRoles": []map[string]any{{"externalOpportunityId": "opp-m1", "role": "Champion"}},
	})
	r := s.waitForRun(tok, id, "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_FAILED")
	if state := r.body["syncRun"].(map[string]any)["state"]; state != "SYNC_RUN_STATE_WAITING" {
		t.Fatalf("run ended %v, want waiting on the parked lead: %s", state, r.raw)
	}
	records := func(object, outcome string, want float64) expectation {
		return expectation{"msisync_sync_records_total", map[string]string{"object": object, "outcome": outcome}, want}
	}
	samples := s.waitForMetrics(
		records("sales_person", "applied", 1),
		records("company", "applied", 1),
		records("lead", "applied", 1),
		records("lead", "parked", 1),
		records("opportunity_role", "rejected", 1),
		expectation{"msisync_sync_records_parked", map[string]string{"object": "lead"}, 1},
		expectation{"msisync_sync_records_parked", map[string]string{"object": "company"}, 0},
		expectation{"msisync_sync_records_dead_lettered", map[string]string{"object": "lead"}, 0},
		expectation{"msisync_sync_records_pending", nil, 0},
		expectation{"msisync_sync_runs", map[string]string{"state": "waiting"}, 1},
		expectation{"msisync_sync_runs", map[string]string{"state": "queued"}, 0},
		expectation{"msisync_sync_run_duration_seconds_count", map[string]string{"state": "waiting"}, 1},
	)
	if _, found := metric(samples, "msisync_sync_records_total", map[string]string{"outcome": "dead_lettered"}); found {
		t.Errorf("a dead_lettered series appeared though no record was dead-lettered")
	}

	// Through REST: one lead applied, one call refused by the service (a run that does not
	// exist). Each counts once for the client; token calls and /metrics do not count.
	client := map[string]string{"client_id": testClientID}
	calls := func(result string) float64 {
		v, _ := metric(s.scrape(), "msisync_api_calls_total", map[string]string{"client_id": testClientID, "result": result})
		return v
	}
	okBefore, errBefore := calls("ok"), calls("error")
	push := s.call(http.MethodPost, "/rest/v1/leads.json", tok, "", map[string]any{"lookupField": "externalPersonId", "input": []map[string]any{
		{"externalPersonId": "lead-m3", "email": "lead-m3@example.com", "externalCompanyId": "acc-m1", "externalSalesPersonId": "user-m1"},
	}})
	if push.status != http.StatusOK || len(push.results()) != 1 || outcome(push.results()[0]) != "created" {
		t.Fatalf("REST lead sync = HTTP %d %s", push.status, push.raw)
	}
	if r := s.call(http.MethodGet, "/v1/syncs/00000000-0000-4000-8000-000000000000", tok, "", nil); r.status == http.StatusOK {
		t.Fatalf("an unknown run was found: %s", r.raw)
	}
	s.token()
	samples = s.waitForMetrics(
		expectation{"msisync_api_calls_total", map[string]string{"client_id": testClientID, "result": "ok"}, okBefore + 1},
		expectation{"msisync_api_calls_total", map[string]string{"client_id": testClientID, "result": "error"}, errBefore + 1},
	)
	// Every admitted call counts against the daily quota, and the quota gauges say so.
	used, _ := metric(samples, "msisync_api_quota_used", client)
	remaining, _ := metric(samples, "msisync_api_quota_remaining", client)
	if admitted := okBefore + errBefore + 2; used != admitted || remaining != quota-admitted {
		t.Errorf("quota used %v, remaining %v; want %v and %v", used, remaining, admitted, quota-admitted)
	}
	// The REST sync is not a sync run: the run counters did not move.
	if v, _ := metric(samples, "msisync_sync_records_total", map[string]string{"object": "lead", "outcome": "applied"}); v != 1 {
		t.Errorf("msisync_sync_records_total{lead,applied} = %v after a REST sync; want still 1", v)
	}
}
