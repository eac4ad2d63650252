package syncrun

import (
	"context"

	"github.com/msisync/msisync/services/orchestrator/internal/auth"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// caller is the API client a call acts as. A client sees and manages only its own sync
// runs and their parked and dead-lettered records, an admin client every client's; an
// auditor client sees every client's too, and its calls that would change them are refused
// before they get here (auth, 603).
type caller struct {
	id  string
	all bool
}

// callerOf returns who the call acts as; a call without an authenticated client (one made
// in-process) acts as the client "", which owns nothing but what it created.
func callerOf(ctx context.Context) caller {
	p, _ := auth.FromContext(ctx)
	return caller{id: p.ClientID, all: p.SeesAll()}
}

// owns reports whether the caller may see and manage the run.
func (c caller) owns(run store.SyncRun) bool {
	return c.all || run.ClientID == c.id
}

// own returns the ids among ids (all positive) that name records the caller may manage;
// the others are answered as not found, as ids naming no record are.
func (s *Server) own(ctx context.Context, c caller, ids []int64) ([]int64, error) {
	if c.all || len(ids) == 0 {
		return ids, nil
	}
	return s.st.OwnedRecords(ctx, c.id, ids)
}
