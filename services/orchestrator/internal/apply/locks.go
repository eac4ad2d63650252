package apply

import (
	"context"
	"strconv"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/services/orchestrator/internal/links"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// leadIDKind is the lock kind of a lead named by its msisync id (roles may name their lead
// either way, so a lead's delete locks both of its names).
const leadIDKind = "leadId"

// lockSet collects the record keys one batch locks. The zero value is ready to use.
type lockSet []store.LockKey

// add adds the record of the kind with the external id; an empty or invalid id names none.
func (s *lockSet) add(kind links.Kind, externalID string) {
	if k := extid.Key(externalID); k != "" {
		*s = append(*s, store.LockKey{Kind: string(kind), Key: k})
	}
}

// addLeadID adds the lead with the msisync id.
func (s *lockSet) addLeadID(id int32) {
	if id != 0 {
		*s = append(*s, store.LockKey{Kind: leadIDKind, Key: strconv.Itoa(int(id))})
	}
}

// addLead adds the lead under both of its names: its msisync id and its external id (0 and
// "" name none).
func (s *lockSet) addLead(id int32, externalID string) {
	s.add(links.Lead, externalID)
	s.addLeadID(id)
}

// lockParents takes a shared lock on every parent a batch of writes names, so that none of
// them can be deleted between the check that it exists and the write. Call the returned
// function when the write is done.
func (a *Applier) lockParents(ctx context.Context, parents lockSet) (func(), error) {
	return a.lock(ctx, parents, nil)
}

// lockDeleted takes an exclusive lock on every record a batch of deletes names, so that no
// write can name one of them as its parent between the check that nothing references it and
// the delete. Call the returned function when the delete is done.
func (a *Applier) lockDeleted(ctx context.Context, records lockSet) (func(), error) {
	return a.lock(ctx, nil, records)
}

// lock takes a shared lock on every record of shared and an exclusive one on every record of
// exclusive (none without Locks). Call the returned function when the work is done.
func (a *Applier) lock(ctx context.Context, shared, exclusive lockSet) (func(), error) {
	if a.Locks == nil {
		return func() {}, nil
	}
	return a.Locks.LockKeys(ctx, shared, exclusive)
}
