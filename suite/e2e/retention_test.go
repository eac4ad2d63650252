package e2e

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, to check what the suite stored
)

// orchestratorDB opens the orchestrator's SQLite database of a suite, to check what it
// stored.
func orchestratorDB(t *testing.T, s *suite) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dataDir, "orchestrator.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storedRecords returns the states of a run's stored records, by key, and whether the run
// itself is stored.
func storedRecords(t *testing.T, db *sql.DB, runID string) (map[string]string, bool) {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM sync_runs WHERE id = ?", runID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("SELECT rec_key, state FROM sync_records WHERE run_id = ?", runID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, st string
		if err := rows.Scan(&k, &st); err != nil {
			t.Fatal(err)
		}
		out[k] = st
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out, n == 1
}

func TestCompletedRunsArePrunedAfterTheRetention(t *testing.T) {
	t.Parallel()
	s := startSuite(t, "", "MSISYNC_SYNC_RUN_RETENTION=1s")
	tok := s.token()
	// done completes at once; parked keeps a lead waiting for its company; dead's lead waits
	// too, until it expires to the dead-letter list below.
	done := s.createRun(tok, map[string]any{
		"salesPersons": []map[string]any{{"externalSalesPersonId": "ret-owner"}},
		"companies":    []map[string]any{{"externalCompanyId": "ret-co", "company": "Kept Ltd", "externalSalesPersonId": "ret-owner"}},
	})
	lead := func(id, company string) map[string]any {
		return map[string]any{"externalPersonId": id, "email": id + "@example.com", "externalCompanyId": company, "externalSalesPersonId": "ret-owner"}
	}
	parked := s.createRun(tok, map[string]any{"leads": []map[string]any{lead("ret-parked", "ret-missing-1")}})
	dead := s.createRun(tok, map[string]any{
		"salesPersons": []map[string]any{{"externalSalesPersonId": "ret-owner-2"}},
		"leads":        []map[string]any{lead("ret-dead", "ret-missing-2")},
	})
	for _, id := range []string{parked, dead} {
		if r := s.waitForRun(tok, id, "SYNC_RUN_STATE_WAITING", "SYNC_RUN_STATE_COMPLETED", "SYNC_RUN_STATE_FAILED"); runState(r) != "SYNC_RUN_STATE_WAITING" {
			t.Fatalf("run %s ended %s, want waiting: %s", id, runState(r), r.raw)
		}
	}

	// The dead run's lead outlives MSISYNC_PARK_TTL (at least a minute, so the test moves
	// its expiry into the past while the suite is stopped); the sweep at start moves it to
	// the dead-letter list and its run completes.
	s.stop()
	db := orchestratorDB(t, s)
	if res, err := db.Exec("UPDATE sync_records SET expire_time = 1 WHERE run_id = ? AND state = 'parked'", dead); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("moved the expiry of %d parked records of run %s, want 1", n, dead)
	}
	s.start()
	s.waitForRun(tok, dead, "SYNC_RUN_STATE_COMPLETED")

	// Within a few prune passes (every second here), the completed runs older than the
	// retention lose their final records, and done goes whole.
	deadline := time.Now().Add(20 * time.Second)
	for {
		doneRecs, doneKept := storedRecords(t, db, done)
		deadRecs, _ := storedRecords(t, db, dead)
		if !doneKept && len(doneRecs) == 0 && len(deadRecs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s with a retention of 1s: run done stored %v with records %v, run dead has records %v; want done gone and only dead's dead letter left",
				doneKept, doneRecs, deadRecs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Parked and dead-lettered records are never pruned, nor runs still waiting.
	if recs, kept := storedRecords(t, db, dead); !kept || recs["ret-dead"] != "dead_lettered" {
		t.Errorf("run dead after pruning: stored %v, records %v; want the run and its dead letter", kept, recs)
	}
	if recs, kept := storedRecords(t, db, parked); !kept || recs["ret-parked"] != "parked" {
		t.Errorf("waiting run after pruning: stored %v, records %v; want it untouched", kept, recs)
	}

	// What a client sees: the pruned run is not found, saying why it may be; the run with a
	// dead letter keeps its counts; both lists are whole.
	r := s.call(http.MethodGet, "/v1/syncs/"+done, tok, "", nil)
	if r.status != http.StatusNotFound || !strings.Contains(string(r.raw), "MSISYNC_SYNC_RUN_RETENTION") {
		t.Errorf("GET of a pruned run: HTTP %d %s; want 404 naming MSISYNC_SYNC_RUN_RETENTION", r.status, r.raw)
	}
	r = s.call(http.MethodGet, "/v1/syncs/"+dead, tok, "", nil)
	c := counts(r)
	if runState(r) != "SYNC_RUN_STATE_COMPLETED" || c["SYNC_OBJECT_TYPE_SALES_PERSON"]["applied"] != 1 || c["SYNC_OBJECT_TYPE_LEAD"]["deadLettered"] != 1 {
		t.Errorf("GET of the run that keeps a dead letter: %s; want it completed, counting its pruned sales person", r.raw)
	}
	if d := s.call(http.MethodGet, "/v1/dead-letters", tok, "", nil); !strings.Contains(string(d.raw), "ret-dead@example.com") {
		t.Errorf("dead letters after pruning: %s; want ret-dead with its record", d.raw)
	}
	if got := s.pendingKeys(tok, ""); strings.Join(got, ",") != "ret-parked" {
		t.Errorf("pending list after pruning = %v, want [ret-parked]", got)
	}
}
