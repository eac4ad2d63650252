package upstream

import "sync"

// existingLeads are the Marketo ids of leads Marketo already had when msisync first
// delivered them (it answered updated, not created): they may carry scores and moments
// from before msisync, which the MSI poller reads at its next poll rather than at the next
// refresh. Kept in memory: after a restart the refresh reads them.
type existingLeads struct {
	mu  sync.Mutex
	ids []int64
}

// add queues the ids.
func (e *existingLeads) add(ids ...int64) {
	e.mu.Lock()
	e.ids = append(e.ids, ids...)
	e.mu.Unlock()
}

// take removes and returns up to n queued ids.
func (e *existingLeads) take(n int) []int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	n = min(n, len(e.ids))
	out := append([]int64(nil), e.ids[:n]...)
	e.ids = e.ids[n:]
	return out
}

// TakeExisting returns up to n Marketo ids of leads Marketo already had when msisync
// first delivered them (see the MSI poller's Existing).
func (f *Forwarder) TakeExisting(n int) []int64 { return f.existing.take(n) }

// ReturnExisting puts back ids the poller could not read.
func (f *Forwarder) ReturnExisting(ids []int64) { f.existing.add(ids...) }
