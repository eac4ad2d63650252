package store

import (
	"context"
	"time"
)

// MergeKind is why a CRM record went into another; its values are those of
// msisync.orchestrator.v1.MergeKind.
type MergeKind int

// The merge kinds.
const (
	// Merged: the CRM merged the record into another.
	Merged MergeKind = 1
	// Qualified: the CRM qualified a lead into a contact.
	Qualified MergeKind = 2
)

// Redirect says where a merged or qualified CRM record went, so that the diagnostics of its
// id can say so.
type Redirect struct {
	// ObjectType is Company or Lead.
	ObjectType ObjectType
	// ExternalID is the subordinate's CRM id in canonical form; keys compare it case-folded.
	ExternalID string
	// MasterExternalID is the CRM id of the record it went into.
	MasterExternalID string
	// Kind is why.
	Kind MergeKind
	// MergeTime is when msisync first applied it; set by the store.
	MergeTime time.Time
}

// MergeStore remembers merges.
type MergeStore interface {
	// PutRedirects records where the records went, in one transaction. A record already
	// recorded keeps its first MergeTime and takes the new master and kind.
	PutRedirects(ctx context.Context, redirects []Redirect, now time.Time) error
	// GetRedirect returns where the record went, or ErrNotFound.
	GetRedirect(ctx context.Context, t ObjectType, externalID string) (Redirect, error)
}
