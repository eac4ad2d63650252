// Package store defines how the opportunity service keeps opportunities and opportunity
// roles. The doc comments of Opportunities and Roles are the contract every implementation
// meets; storetest checks it against each.
package store

import (
	"github.com/msisync/msisync/platform/records"
)

// MaxBatch is the most records, keys or parent keys one call takes.
const MaxBatch = records.MaxBatch

// ErrInvalid is returned for a call that breaks this contract (no key, too many records, a
// limit out of range); nothing is written.
var ErrInvalid = records.ErrInvalidCall

// WriteResult is the outcome of one write of a batch.
type WriteResult struct {
	// Outcome is what the write did; 0 when Missing is set.
	Outcome records.Outcome
	// GUID is the record's marketoGUID when it exists (created, updated or already
	// existing); empty otherwise.
	GUID string
	// Missing, when set, names a field required to create that the write lacks: no record
	// had the key, the mode allowed a create, and nothing was written.
	Missing Field
}

// Field names a field of a stored record, in the words of the store (the server maps them
// to the API's names).
type Field string

// DeleteResult is the outcome of deleting one key.
type DeleteResult struct {
	// Deleted is false when no record had the key (or one already deleted earlier in the
	// batch).
	Deleted bool
	// GUID is the deleted record's marketoGUID.
	GUID string
}

// ReferenceCount says how many records reference one parent.
type ReferenceCount struct {
	// Key is the parent's external key (see extid.Key) when the parent is keyed by external
	// id; empty otherwise.
	Key string
	// ID is the parent's integer id when the parent is keyed by one; 0 otherwise.
	ID int32
	// Count is at least 1.
	Count int32
}

// Store keeps opportunities and their roles in one database. Implementations are safe for
// concurrent use.
type Store interface {
	Opportunities
	Roles
	// Close releases the store's resources.
	Close() error
}
