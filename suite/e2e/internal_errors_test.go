package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/sqldb/pgtest"
)

// quotedID finds the error id an answer tells its caller to quote.
var quotedID = regexp.MustCompile(`error id ([0-9a-f]{16})`)

// internalText is what PostgreSQL and the store say when a connection is terminated; none
// of it may reach a caller.
var internalText = []string{"FATAL", "SQLSTATE", "terminating connection", "administrator command", "transaction"}

// failedAnswer is one answer of a call that failed on the server's side.
type failedAnswer struct {
	via  string // "/v1", "/rest" or "gRPC"
	body string // HTTP body, or gRPC status message
}

// TestInternalErrorsShowAnIDNotTheCause runs the suite on a PostgreSQL database and
// terminates the suite's database connections under it, as an administrator (or a
// failover) does: the calls that fail answer a fixed sentence with an error id on /v1,
// on /rest (Marketo's 611 envelope) and on the orchestrator's gRPC API, never
// PostgreSQL's text, and the suite's log has each id with the text.
func TestInternalErrorsShowAnIDNotTheCause(t *testing.T) {
	t.Parallel()
	dbURL := pgtest.NewDatabase(t)
	s := startSuite(t, "", "MSISYNC_DATABASE_URL="+dbURL)
	tok := s.token()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	conn, err := grpc.NewClient(s.grpc["orchestrator"], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	syncRuns := orchestratorv1.NewSyncRunServiceClient(conn)
	client := &http.Client{Timeout: 30 * time.Second}

	get := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, s.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// calls makes each kind of call once, at the same time, and returns those that failed
	// on the server's side.
	calls := func() []failedAnswer {
		var mu sync.Mutex
		var failed []failedAnswer
		add := func(f failedAnswer) { mu.Lock(); failed = append(failed, f); mu.Unlock() }
		var wg sync.WaitGroup
		wg.Go(func() {
			if code, body := get("/v1/pending"); code >= 500 {
				add(failedAnswer{"/v1", body})
			}
		})
		wg.Go(func() {
			if _, body := get("/rest/v1/leads.json?filterType=email&filterValues=nobody@example.com"); strings.Contains(body, `"code":"611"`) || strings.Contains(body, `"code":"608"`) {
				add(failedAnswer{"/rest", body})
			}
		})
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok), 30*time.Second)
			defer cancel()
			if _, err := syncRuns.ListPendingRecords(ctx, &orchestratorv1.ListPendingRecordsRequest{}); err != nil {
				add(failedAnswer{"gRPC", fmt.Sprintf("%v: %s", status.Code(err), status.Convert(err).Message())})
			}
		})
		wg.Wait()
		return failed
	}

	// A connection the pool used within the last second is handed out again without a
	// check, so each round uses the connections, terminates them, and calls at once.
	var failed []failedAnswer
	sawV1 := false
	for round := 0; round < 40 && !sawV1; round++ {
		if f := calls(); len(f) > 0 {
			failed = append(failed, f...)
		}
		if _, err := admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", strings.TrimPrefix(u.Path, "/")); err != nil {
			t.Fatal(err)
		}
		for _, f := range calls() {
			failed = append(failed, f)
			sawV1 = sawV1 || f.via == "/v1"
		}
	}
	if !sawV1 {
		t.Fatalf("no /v1 call failed in 40 rounds of terminated connections (failures seen: %v); the test could not provoke the failure", failed)
	}
	for _, f := range failed {
		t.Logf("%s answered: %s", f.via, strings.TrimSpace(f.body))
		for _, text := range internalText {
			if strings.Contains(f.body, text) {
				t.Errorf("%s answer shows internal text %q: %s", f.via, text, f.body)
			}
		}
		m := quotedID.FindStringSubmatch(f.body)
		if m == nil {
			t.Errorf("%s answer quotes no error id: %s", f.via, f.body)
			continue
		}
		line := s.logLineWith(m[1])
		if line == "" {
			t.Errorf("%s answer quotes error id %s, which no log line has", f.via, m[1])
			continue
		}
		t.Logf("its log line: %s", line)
		// The orchestrator's own store failed under /v1 and gRPC: its log line has the
		// cause. Under /rest the person service's store failed: the person service logs
		// the cause under the same trace id.
		const cause = "terminating connection due to administrator command"
		switch trace := traceID.FindStringSubmatch(line); {
		case f.via != "/rest" && !strings.Contains(line, cause):
			t.Errorf("%s: the log line of error id %s lacks the cause: %s", f.via, m[1], line)
		case f.via == "/rest" && trace == nil:
			t.Errorf("%s: the log line of error id %s has no trace id: %s", f.via, m[1], line)
		case f.via == "/rest" && !strings.Contains(s.logLineWith(trace[0]+" ", cause), cause):
			t.Errorf("%s: no log line of trace %s (error id %s) has the cause", f.via, trace[1], m[1])
		}
	}
}

// traceID finds the trace id of a log line.
var traceID = regexp.MustCompile(`trace_id=([0-9a-f]+)`)

// logLineWith returns the first line of the suite's log that contains every text, waiting
// a while for it (the log arrives through a pipe), or "".
func (s *suite) logLineWith(texts ...string) string {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
	lines:
		for _, line := range strings.Split(s.logs.String(), "\n") {
			for _, text := range texts {
				if !strings.Contains(line, text) {
					continue lines
				}
			}
			return line
		}
		if time.Now().After(deadline) {
			return ""
		}
	}
}
