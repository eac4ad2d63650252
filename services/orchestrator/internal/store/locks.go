package store

import "context"

// LockKey names a record for a KeyLocker: its kind (salesPerson, company, lead,
// opportunity, or leadId for a lead named by its msisync id) and its canonical key.
type LockKey struct {
	Kind, Key string
}

// KeyLocker orders the writes that name a record as a parent against the deletes of that
// record, across every replica sharing the store: a write takes a shared lock on each parent
// it names for as long as it checks that the parents exist and writes, a delete takes an
// exclusive lock on the record for as long as it checks that nothing references the record
// and deletes it. So a child is never written beside a delete of its parent that did not see
// it.
type KeyLocker interface {
	// LockKeys takes a shared lock on every key of shared and an exclusive lock on every key
	// of exclusive (exclusive where a key is in both), all in one acquisition, waiting until
	// they are granted or ctx ends. unlock releases them all and must be called once, also
	// when ctx has ended since. With no keys it takes nothing.
	LockKeys(ctx context.Context, shared, exclusive []LockKey) (unlock func(), err error)
}
