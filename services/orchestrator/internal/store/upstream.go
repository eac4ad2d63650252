package store

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// UpstreamObject is a kind of record delivered to the customer's Marketo, in the MSI order.
type UpstreamObject string

// The objects, in the order Marketo receives their writes (deletes go the other way).
const (
	UpstreamSalesPerson UpstreamObject = "salesPerson"
	UpstreamCompany     UpstreamObject = "company"
	UpstreamLead        UpstreamObject = "lead"
	UpstreamOpportunity UpstreamObject = "opportunity"
	UpstreamRole        UpstreamObject = "role"
)

// UpstreamObjects are the objects in the MSI order.
var UpstreamObjects = []UpstreamObject{UpstreamSalesPerson, UpstreamCompany, UpstreamLead, UpstreamOpportunity, UpstreamRole}

// UpstreamKey names one local record by its msisync id: the decimal id of a sales person,
// company or lead, the GUID of an opportunity or role. It does not change when the
// record's external id does (a lead merged or qualified).
type UpstreamKey struct {
	Object  UpstreamObject
	LocalID string
}

// LocalID is a record's msisync id as UpstreamKey.LocalID: the decimal id (0 and below name
// none), or the GUID, lower case and without braces, of an opportunity or role.
func LocalID(id int32, guid string) string {
	if guid != "" {
		return strings.ToLower(strings.Trim(guid, "{}"))
	}
	if id > 0 {
		return strconv.Itoa(int(id))
	}
	return ""
}

// FenceKey is one record a write is about to change, named as its caller named it
// (Kind: "id", "external", "email" or "role", a role's dedupe key; Value the key), so that an interrupted
// write can still be found: see UpstreamStore.BeginUpstreamWrite.
type FenceKey struct {
	Object UpstreamObject `json:"o"`
	Kind   string         `json:"k"`
	Value  string         `json:"v"`
}

// WriteFence is a write that began and has not ended: its writer may have died between the
// local write and EndUpstreamWrite.
type WriteFence struct {
	ID        int64
	Owner     string
	CreatedAt time.Time
	Keys      []FenceKey
}

// OutboxRow is one record to deliver: its key, the version claimed (Seq) and how it has
// fared so far.
type OutboxRow struct {
	Key UpstreamKey
	// Seq changes every time the record is marked again.
	Seq int64
	// EnqueuedAt is when the oldest undelivered change of the record was marked.
	EnqueuedAt time.Time
	// Attempts counts the deliveries that failed or waited since the record was marked.
	Attempts int
}

// UpstreamRef is a parent a delivered record names: by canonical external id (sales
// person, company, opportunity) or, for a role's lead, by the lead's msisync id.
type UpstreamRef struct {
	Object UpstreamObject
	Key    string
}

// Delivered is what msisync knows of one record in Marketo: Marketo's id for it, what was
// last sent, the parents that version names and Marketo's last answer.
type Delivered struct {
	Key UpstreamKey
	// ExternalKey is the record's external id as last sent (canonical form; for a role its
	// dedupe key).
	ExternalKey string
	// MarketoID is Marketo's numeric id (sales persons, companies, leads), 0 when unknown.
	MarketoID int64
	// MarketoGUID is Marketo's marketoGUID (opportunities, roles), empty when unknown.
	MarketoGUID string
	// SentHash is the SHA-256 of the last version sent; a version with the same hash is
	// not sent again.
	SentHash []byte
	// Parents are the parents the version sent names.
	Parents []UpstreamRef
	// Status is Marketo's last answer: created, updated or skipped.
	Status string
	// Code and Message are Marketo's reason when it skipped the record.
	Code, Message string
	// At is when Marketo answered.
	At time.Time
}

// Known reports whether Marketo holds the record (it answered with an id).
func (d Delivered) Known() bool { return d.MarketoID != 0 || d.MarketoGUID != "" }

// OutboxAck is the end of one claimed row's delivery. With Deliver set, the record's
// Delivered row is stored (replaced); with Forget set, it is removed (deleted in Marketo,
// or never there). With Done the outbox row is removed unless it was marked again since
// its claim (its seq moved); otherwise it is released for another attempt at RetryAt, with
// Reason saying why it waits (a release without a reason, a batch waiting to fill, does not
// count as an attempt).
type OutboxAck struct {
	Row     OutboxRow
	Deliver *Delivered
	Forget  bool
	Done    bool
	RetryAt time.Time
	Reason  string
}

// UpstreamQueue counts one object's rows in the outbox.
type UpstreamQueue struct {
	Object UpstreamObject
	// Pending rows wait to be sent; InFlight ones are claimed; Waiting ones wait for a
	// parent or a retry (they have a reason).
	Pending, InFlight, Waiting int64
	// Skipped counts records Marketo skipped at their last delivery.
	Skipped int64
	// Delivered counts records Marketo holds.
	Delivered int64
	// OldestWaiting is the EnqueuedAt of the oldest row; zero when there is none.
	OldestWaiting time.Time
}

// Backlog counts the object's records not delivered yet: pending, in flight or waiting.
func (q UpstreamQueue) Backlog() int64 { return q.Pending + q.InFlight + q.Waiting }

// UpstreamStore keeps the outbox of upstream mode: which local records still have to be
// delivered to the customer's Marketo, what Marketo holds of each, and the forwarder's
// state. Writers fence their writes (BeginUpstreamWrite before, EndUpstreamWrite after),
// so a write whose writer died in between is still delivered (see docs/upstream.md).
type UpstreamStore interface {
	// BeginUpstreamWrite stores a fence naming the records a write is about to change and
	// returns its id. Nothing is marked yet.
	BeginUpstreamWrite(ctx context.Context, owner string, keys []FenceKey, now time.Time) (int64, error)
	// EndUpstreamWrite marks the records the write changed (by msisync id) and removes the
	// fence (0: none), in one transaction.
	EndUpstreamWrite(ctx context.Context, fence int64, changed []UpstreamKey, now time.Time) error
	// StaleUpstreamWrites returns up to limit fences created before before with an id above
	// after, in id order (oldest first).
	StaleUpstreamWrites(ctx context.Context, before time.Time, after int64, limit int) ([]WriteFence, error)
	// ClaimOutbox claims up to limit rows of the object that are due at now and not claimed,
	// oldest first, until now + lease.
	ClaimOutbox(ctx context.Context, obj UpstreamObject, now time.Time, lease time.Duration, limit int) ([]OutboxRow, error)
	// AckOutbox applies the acks in one transaction.
	AckOutbox(ctx context.Context, acks []OutboxAck, now time.Time) error
	// ReleaseOutbox ends every claim and makes every row due now: a forwarder taking over,
	// or a pause ended early.
	ReleaseOutbox(ctx context.Context) error
	// GetDelivered returns the Delivered rows of the keys that have one.
	GetDelivered(ctx context.Context, keys []UpstreamKey) (map[UpstreamKey]Delivered, error)
	// DeliveredByExternalKey returns, of the object's external keys, those whose record
	// Marketo holds (Known), with their row.
	DeliveredByExternalKey(ctx context.Context, obj UpstreamObject, keys []string) (map[string]Delivered, error)
	// DeliveredByMarketoID returns the rows of the object with the Marketo ids.
	DeliveredByMarketoID(ctx context.Context, obj UpstreamObject, ids []int64) ([]Delivered, error)
	// ListDelivered returns up to limit Known rows of the object with a Marketo id above
	// after, in Marketo id order (the MSI backfill).
	ListDelivered(ctx context.Context, obj UpstreamObject, after int64, limit int) ([]Delivered, error)
	// Referenced returns which of the refs a Delivered row names as its parent.
	Referenced(ctx context.Context, refs []UpstreamRef) (map[UpstreamRef]bool, error)
	// MarkChildren marks every record whose delivered version names one of the parents, and
	// forgets the hash of that version so that it is sent again as it is (the parent was
	// created anew in Marketo, under a new Marketo id); it returns how many.
	MarkChildren(ctx context.Context, parents []UpstreamRef, now time.Time) (int64, error)
	// WaitReasons returns why the keys' outbox rows wait, for those that do.
	WaitReasons(ctx context.Context, keys []UpstreamKey) (map[UpstreamKey]string, error)
	// MarkSkipped marks every record Marketo skipped again and forgets the version sent,
	// so the next delivery sends it whether it changed or not; it returns how many.
	MarkSkipped(ctx context.Context, now time.Time) (int64, error)
	// CountUpstream counts the outbox and the delivered records per object at now.
	CountUpstream(ctx context.Context, now time.Time) ([]UpstreamQueue, error)
	// GetUpstreamState returns the named value ("" when unset).
	GetUpstreamState(ctx context.Context, name string) (string, error)
	// PutUpstreamState sets the named value.
	PutUpstreamState(ctx context.Context, name, value string) error
	// TakeUpstreamLease makes owner the forwarder until now + ttl when the lease is free,
	// expired, already its own or held by gone (an owner the caller knows to be dead; ""
	// names none), and reports whether it is.
	TakeUpstreamLease(ctx context.Context, owner, gone string, now time.Time, ttl time.Duration) (bool, error)
	// UpstreamLeaseHolder returns the forwarder lease's owner and expiry ("" when none).
	UpstreamLeaseHolder(ctx context.Context) (owner string, until time.Time, err error)
}
