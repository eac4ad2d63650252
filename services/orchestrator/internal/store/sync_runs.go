package store

import (
	"context"
	"time"
)

// ObjectType is one of the five object types of the MSI sync order; its values are those
// of msisync.orchestrator.v1.SyncObjectType, and sorting by it sorts in sync order.
type ObjectType int

// The object types, in sync order.
const (
	SalesPerson     ObjectType = 1
	Company         ObjectType = 2
	Lead            ObjectType = 3
	Opportunity     ObjectType = 4
	OpportunityRole ObjectType = 5
)

// ObjectTypes lists the object types in sync order.
var ObjectTypes = []ObjectType{SalesPerson, Company, Lead, Opportunity, OpportunityRole}

// RunState is where a sync run stands.
type RunState string

// The run states.
const (
	// RunQueued waits for a worker.
	RunQueued RunState = "queued"
	// RunRunning is held by a worker until its lease ends.
	RunRunning RunState = "running"
	// RunWaiting has no pending record but some parked ones.
	RunWaiting RunState = "waiting"
	// RunCompleted has no pending or parked record.
	RunCompleted RunState = "completed"
	// RunFailed stopped on an internal error; a worker resumes it once its lease ends.
	RunFailed RunState = "failed"
)

// RecordState is where one record of a sync run stands.
type RecordState string

// The record states.
const (
	// RecordPending has not been processed (or was released and waits to be again).
	RecordPending RecordState = "pending"
	// RecordApplied was written.
	RecordApplied RecordState = "applied"
	// RecordParked waits for its missing parent.
	RecordParked RecordState = "parked"
	// RecordRejected will never be applied.
	RecordRejected RecordState = "rejected"
	// RecordDeadLettered stayed parked past its expiry.
	RecordDeadLettered RecordState = "dead_lettered"
	// RecordDropped was dropped by a person.
	RecordDropped RecordState = "dropped"
)

// RecordStates lists every record state.
var RecordStates = []RecordState{RecordPending, RecordApplied, RecordParked, RecordRejected, RecordDeadLettered, RecordDropped}

// Reason is a coded reason (Marketo code and message).
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Parent names a parent record a parked record waits for.
type Parent struct {
	// Kind is the parent's kind: "salesPerson", "company", "lead" (by externalPersonId),
	// "leadId" (by msisync lead id) or "opportunity".
	Kind string
	// Key is the parent's match key: an extid key (case-folded, canonical GUID) or a
	// decimal lead id.
	Key string
}

// SyncRun is a sync run.
type SyncRun struct {
	// ID is the run's id (a UUID).
	ID string
	// ClientID is the API client that created the run; only it (or an admin client) sees
	// and manages the run and its records. "" for runs stored before owners were kept with
	// several clients configured.
	ClientID string
	// RequestID is the client's idempotency key, or "": one client's key never names
	// another client's run.
	RequestID string
	// State is the run's state.
	State RunState
	// RejectMissingParents rejects records whose parent is missing instead of parking them.
	RejectMissingParents bool
	// LeaseUntil is when the lease of the worker holding the run ends.
	LeaseUntil time.Time
	// CreatedAt, StartedAt and CompletedAt are when the run was stored, first claimed and
	// last completed; zero when unset.
	CreatedAt, StartedAt, CompletedAt time.Time
}

// SyncRecord is one record of a sync run.
type SyncRecord struct {
	// ID is the record's id, assigned by the store; its decimal form is the pending id.
	ID int64
	// RunID is the run it belongs to.
	RunID string
	// ObjectType is its object type.
	ObjectType ObjectType
	// Index is its position in its object type's list in the request.
	Index int
	// Record is the record as sent (JSON object, Marketo field names).
	Record []byte
	// Key is the record's own key, for display.
	Key string
	// State is where it stands.
	State RecordState
	// Outcome is the latest processing outcome.
	Outcome
	// Attempts counts how many times it was processed.
	Attempts int
	// AttemptTime is when it was last processed; zero before.
	AttemptTime time.Time
	// UpdateTime is when its state last changed.
	UpdateTime time.Time
	// AutoRetry is where a dead letter stands in its automatic retries.
	AutoRetry AutoRetry
}

// Outcome is what processing a record produced.
type Outcome struct {
	// Status is "created" or "updated" for an applied record, "" otherwise.
	Status string
	// RecID is the applied record's integer id (sales persons, companies, leads).
	RecID int32
	// GUID is the applied record's GUID (opportunities, roles).
	GUID string
	// Reasons say why it was rejected or parked.
	Reasons []Reason
	// Missing is the parent a parked record waits for; MissingDisplay is that parent's key
	// as the record gave it.
	Missing        Parent
	MissingDisplay string
	// ParkTime and ExpireTime are when it was last parked and when it expires to the
	// dead-letter list; zero unless parked or dead-lettered.
	ParkTime, ExpireTime time.Time
}

// RecordUpdate records the outcome of processing one record.
type RecordUpdate struct {
	// ID names the record.
	ID int64
	// From is the state the record was read in; the update applies only while the record
	// is still in it (so that a concurrent drop or retry wins).
	From RecordState
	// To is the new state.
	To RecordState
	// Outcome is stored as given (it replaces the previous one).
	Outcome
}

// Counts is how many records of one object type of a run are in each state.
type Counts struct {
	// ObjectType is the type counted.
	ObjectType ObjectType
	// ByState counts records per state.
	ByState map[RecordState]int
}

// RecordQuery selects a page of a run's records, in sync order (object type, then index).
type RecordQuery struct {
	// RunID names the run.
	RunID string
	// ObjectType filters by type; 0 means all.
	ObjectType ObjectType
	// State filters by state; "" means all.
	State RecordState
	// AfterType and AfterIndex start the page after that record; AfterType 0 starts at
	// the beginning.
	AfterType  ObjectType
	AfterIndex int
	// Limit is the page size.
	Limit int
}

// RunQuery selects a page of sync runs, newest first: by creation time, then id, both
// descending.
type RunQuery struct {
	// ClientID, when Owned is set, keeps only the runs of that client.
	ClientID string
	Owned    bool
	// States keeps only runs in one of them; empty means all.
	States []RunState
	// CreatedFrom keeps only runs created at or after it, CreatedBefore only runs created
	// before it; the zero time does not filter.
	CreatedFrom, CreatedBefore time.Time
	// RequestID keeps only runs with this idempotency key; "" means all.
	RequestID string
	// BeforeTime and BeforeID start the page after that run (its creation time and id), in
	// list order; an empty BeforeID starts with the newest run.
	BeforeTime time.Time
	BeforeID   string
	// Limit is the page size.
	Limit int
}

// RunSummary is a sync run with its record counts (as CountRecords counts them).
type RunSummary struct {
	SyncRun
	Counts []Counts
}

// ParkedParent is a parent that parked records wait for.
type ParkedParent struct {
	Parent
	// Display is the parent's key as one of the records gave it.
	Display string
}

// ParkedQuery selects a page of parked (State RecordParked, ordered by park time) or
// dead-lettered (State RecordDeadLettered, ordered by expiry) records, oldest first.
type ParkedQuery struct {
	// State is RecordParked or RecordDeadLettered.
	State RecordState
	// ObjectType filters by type; 0 means all.
	ObjectType ObjectType
	// RunID filters by run; "" means all.
	RunID string
	// ClientID, when Owned is set, keeps only the records of runs of that client.
	ClientID string
	Owned    bool
	// Key filters by the record's own key, compared case-insensitively; "" means all.
	Key string
	// After starts after this position (the time the list is ordered by and the id); a
	// zero AfterID starts at the beginning.
	AfterTime time.Time
	AfterID   int64
	// Limit is the page size.
	Limit int
}

// SyncRunStore keeps sync runs and their records. Every method that changes record states
// also settles the runs concerned: a run that is waiting or completed becomes queued when
// one of its records is pending, waiting when some are parked, and completed otherwise;
// queued, running and failed runs are left to their worker.
type SyncRunStore interface {
	DeadLetterRetryStore
	// CreateSyncRun stores run and its records (all pending; ids are assigned) in one
	// transaction. When run.RequestID is not empty and a run of run.ClientID with it
	// exists, nothing is stored and that run is returned with created false (runs of other
	// clients with the same request id do not count).
	CreateSyncRun(ctx context.Context, run SyncRun, records []SyncRecord) (SyncRun, bool, error)
	// GetSyncRun returns the run, or ErrNotFound.
	GetSyncRun(ctx context.Context, id string) (SyncRun, error)
	// ClaimSyncRun gives the oldest run that is queued, or running or failed with a lease
	// that ended before now, to the caller: it becomes running with the lease until
	// leaseUntil (and StartedAt now when unset). Two callers, on any replicas, never claim
	// the same run at once. ErrNotFound when no run is claimable.
	ClaimSyncRun(ctx context.Context, now, leaseUntil time.Time) (SyncRun, error)
	// RenewLease extends the lease of a running run; ErrNotFound when the run is not
	// running any more.
	RenewLease(ctx context.Context, id string, leaseUntil time.Time) error
	// FinishSyncRun ends a worker's pass over a running (or failed) run: it becomes queued
	// when a record is pending, waiting when some are parked, completed (CompletedAt now)
	// otherwise. It returns the new state.
	FinishSyncRun(ctx context.Context, id string, now time.Time) (RunState, error)
	// FailSyncRun marks a running run failed; a worker may claim it again after retryAt.
	FailSyncRun(ctx context.Context, id string, retryAt time.Time) error
	// PendingRecords returns up to limit pending records of the run and type, in index
	// order.
	PendingRecords(ctx context.Context, runID string, t ObjectType, limit int) ([]SyncRecord, error)
	// GetSyncRecords returns the records with the ids that exist, in id order.
	GetSyncRecords(ctx context.Context, ids []int64) ([]SyncRecord, error)
	// UpdateRecords stores the outcomes in one transaction (each only while the record is
	// still in its From state; Attempts is incremented and AttemptTime and UpdateTime set to
	// now) and settles the runs concerned. It returns how many records changed.
	UpdateRecords(ctx context.Context, updates []RecordUpdate, now time.Time) (int, error)
	// ReleaseParked makes every parked record waiting for one of the parents pending again
	// and settles their runs. It returns how many were released.
	ReleaseParked(ctx context.Context, parents []Parent, now time.Time) (int, error)
	// ParkedParents returns up to limit distinct parents that parked records wait for,
	// ordered by kind then key, starting after the parent after (the zero Parent starts at
	// the beginning).
	ParkedParents(ctx context.Context, after Parent, limit int) ([]ParkedParent, error)
	// ExpireParked moves parked records whose expiry is not after now to the dead-letter
	// list and settles their runs. It returns how many expired.
	ExpireParked(ctx context.Context, now time.Time) (int, error)
	// ReviveDeadLettered makes every dead-lettered record waiting for one of the parents
	// (one that expired while parked for it) pending again in its run, and settles their
	// runs, so that children follow a parent that arrives after they expired. It returns
	// how many were revived.
	ReviveDeadLettered(ctx context.Context, parents []Parent, now time.Time) (int, error)
	// DeadLetteredParents is ParkedParents for the parents dead-lettered records wait for.
	DeadLetteredParents(ctx context.Context, after Parent, limit int) ([]ParkedParent, error)
	// DropRecords moves the parked or dead-lettered records among ids to dropped, settles
	// their runs and returns the ids dropped.
	DropRecords(ctx context.Context, ids []int64, now time.Time) ([]int64, error)
	// CountRecords counts the run's records per object type (present types only, in sync
	// order) and state.
	CountRecords(ctx context.Context, runID string) ([]Counts, error)
	// ListRecords returns a page of a run's records, in sync order.
	ListRecords(ctx context.Context, q RecordQuery) ([]SyncRecord, error)
	// ListSyncRuns returns a page of runs, newest first, each with its counts.
	ListSyncRuns(ctx context.Context, q RunQuery) ([]RunSummary, error)
	// ListParked returns a page of the pending or dead-letter list, oldest first.
	ListParked(ctx context.Context, q ParkedQuery) ([]SyncRecord, error)
	// OwnedRecords returns, in id order, the ids among ids that name records of the
	// client's runs.
	OwnedRecords(ctx context.Context, clientID string, ids []int64) ([]int64, error)
	// PruneSyncRuns makes one step of a pass over the runs that completed before
	// step.Cutoff (see PruneStep): it deletes their applied, rejected and dropped records,
	// each run in a transaction of its own. A run left without records is deleted; one that
	// still holds dead-lettered records keeps them, and CountRecords keeps counting the
	// records deleted. Runs that are not completed are left alone, and pending, parked and
	// dead-lettered records are never deleted. Concurrent passes (other replicas) are safe.
	PruneSyncRuns(ctx context.Context, step PruneStep) (Pruned, error)
}

// PruneStep is one step of a pass that prunes completed sync runs, in the order of their
// completion time and id.
type PruneStep struct {
	// Cutoff: runs that completed before it are pruned.
	Cutoff time.Time
	// AfterTime and AfterID continue the pass after that run (its completion time and id);
	// an empty AfterID starts the pass.
	AfterTime time.Time
	AfterID   string
	// Limit is how many runs the step visits.
	Limit int
}

// Pruned is what one step of a prune pass did.
type Pruned struct {
	// Visited counts the runs the step visited; fewer than its limit ends the pass.
	Visited int
	// LastTime and LastID name the last run visited: the next step continues after it.
	LastTime time.Time
	LastID   string
	// Runs counts the runs deleted whole; Records the records deleted, theirs included.
	Runs, Records int
}
