package simulator

import (
	"sync"
	"time"
)

// maxPatchLog bounds the PATCH log; older entries are dropped first.
const maxPatchLog = 100_000

// Stats is a snapshot of the simulator's counters.
type Stats struct {
	// Requests counts top-level Web API requests by HTTP method ($batch parts excluded).
	Requests map[string]int64 `json:"requests"`
	// TokensIssued counts access tokens issued; TokenErrors counts refused token requests.
	TokensIssued int64 `json:"tokensIssued"`
	TokenErrors  int64 `json:"tokenErrors"`
	// Unauthorized counts 401 answers.
	Unauthorized int64 `json:"unauthorized"`
	// Throttled counts 429 answers (injected and concurrency-limit ones);
	// ConcurrencyRejected counts the concurrency-limit ones alone.
	Throttled           int64 `json:"throttled"`
	ConcurrencyRejected int64 `json:"concurrencyRejected"`
	// InjectedFailures counts FailNext answers.
	InjectedFailures int64 `json:"injectedFailures"`
	// PatchesApplied counts successful PATCHes (in and outside $batch);
	// PatchNotFound counts PATCHes answered 404; PreconditionFailed counts 412s.
	PatchesApplied     int64 `json:"patchesApplied"`
	PatchNotFound      int64 `json:"patchNotFound"`
	PreconditionFailed int64 `json:"preconditionFailed"`
	// Creates and Deletes count rows created by POST/upserting PATCH and deleted by DELETE.
	Creates int64 `json:"creates"`
	Deletes int64 `json:"deletes"`
	// Batches counts $batch requests that ran; BatchParts counts the operations inside them.
	Batches    int64 `json:"batches"`
	BatchParts int64 `json:"batchParts"`
	// RowsServed counts entities returned by GETs, deleted-entity entries included.
	RowsServed int64 `json:"rowsServed"`
	// DeltaRequests counts GETs of a deltaLink.
	DeltaRequests int64 `json:"deltaRequests"`
}

// PatchRecord is one applied PATCH, for tests checking that write-back landed.
type PatchRecord struct {
	Set     string    `json:"set"`
	ID      string    `json:"id"`
	Columns []string  `json:"columns"`
	InBatch bool      `json:"inBatch"`
	Created bool      `json:"created"`
	At      time.Time `json:"at"`
}

// statsState holds the counters behind Stats.
type statsState struct {
	mu sync.Mutex
	counters
}

// counters are the resettable parts of statsState.
type counters struct {
	requests            map[string]int64
	tokensIssued        int64
	tokenErrors         int64
	unauthorized        int64
	throttled           int64
	concurrencyRejected int64
	injectedFailures    int64
	patchesApplied      int64
	patchNotFound       int64
	preconditionFailed  int64
	creates             int64
	deletes             int64
	batches             int64
	batchParts          int64
	rowsServed          int64
	deltaRequests       int64
	patches             []PatchRecord
}

func (st *statsState) add(p *int64, n int64) {
	st.mu.Lock()
	*p += n
	st.mu.Unlock()
}

func (st *statsState) countRequest(method string) {
	st.mu.Lock()
	st.requests[method]++
	st.mu.Unlock()
}

func (st *statsState) logPatch(p PatchRecord) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.patchesApplied++
	if len(st.patches) >= maxPatchLog {
		st.patches = append(st.patches[:0], st.patches[len(st.patches)-maxPatchLog/2:]...)
	}
	st.patches = append(st.patches, p)
}

// Stats returns a snapshot of the counters.
func (s *Simulator) Stats() Stats {
	st := &s.stats
	st.mu.Lock()
	defer st.mu.Unlock()
	req := make(map[string]int64, len(st.requests))
	for k, v := range st.requests {
		req[k] = v
	}
	return Stats{
		Requests: req, TokensIssued: st.tokensIssued, TokenErrors: st.tokenErrors, Unauthorized: st.unauthorized,
		Throttled: st.throttled, ConcurrencyRejected: st.concurrencyRejected, InjectedFailures: st.injectedFailures,
		PatchesApplied: st.patchesApplied, PatchNotFound: st.patchNotFound, PreconditionFailed: st.preconditionFailed,
		Creates: st.creates, Deletes: st.deletes, Batches: st.batches, BatchParts: st.batchParts,
		RowsServed: st.rowsServed, DeltaRequests: st.deltaRequests,
	}
}

// Patches returns the log of applied PATCHes, oldest first (bounded to the most recent
// 100,000 entries).
func (s *Simulator) Patches() []PatchRecord {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return append([]PatchRecord(nil), s.stats.patches...)
}

// ResetStats zeroes the counters and the PATCH log.
func (s *Simulator) ResetStats() {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.counters = counters{requests: map[string]int64{}}
}
