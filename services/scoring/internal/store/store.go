// Package store defines how the scoring service keeps lead links, score changes, interesting
// moments, derived MSI values, tier boundaries and the change feed. The doc comments of Store
// are the contract every implementation meets; storetest checks it against each.
package store

import (
	"context"
	"time"

	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/scoring/internal/model"
)

// MaxBatch is the most records one write call takes.
const MaxBatch = records.MaxBatch

// ErrInvalid is returned for a call that breaks this contract; nothing is written.
var ErrInvalid = records.ErrInvalidCall

// Link says who a lead is (its CRM id) and who owns it. Empty strings mean none.
type Link struct {
	LeadID int32
	// PersonID and PersonKey are the lead's external person id, canonical and match key.
	PersonID, PersonKey string
	// OwnerID and OwnerKey are the owning sales person's external id, canonical and key.
	OwnerID, OwnerKey string
}

// LeadMerge moves the scoring of the lead Subordinate onto the lead Master.
type LeadMerge struct {
	Subordinate, Master int32
}

// Person names the lead an input is about: by LeadID when it is non-zero, otherwise by
// PersonKey (an external person id's match key).
type Person struct {
	LeadID    int32
	PersonKey string
}

// ScoreChange is one score change to record.
type ScoreChange struct {
	Person Person
	// Value is the delta, or the new score when IsNew.
	Value int32
	IsNew bool
	// Reason is why the score changed.
	Reason string
	// EventTime is when it happened; zero means now.
	EventTime time.Time
}

// Moment is one interesting moment to record.
type Moment struct {
	Person Person
	// Type is 1 Email, 2 Milestone or 3 Web.
	Type int32
	// Description and Source describe it.
	Description, Source string
	// EventTime is when it happened; zero means now.
	EventTime time.Time
}

// Reported is one lead's MSI values as an upstream Marketo reports them (PutInsights).
type Reported struct {
	// LeadID is the lead's msisync id; it must be positive.
	LeadID int32
	// Values are the values, stored as they are.
	Values model.Reported
}

// Outcome is what became of one recorded input.
type Outcome int

// The outcomes.
const (
	// Recorded means the activity was stored.
	Recorded Outcome = iota + 1
	// UnknownLead means no lead link has the lead id or external person id.
	UnknownLead
	// AmbiguousLead means several leads have the external person id.
	AmbiguousLead
	// OutOfRange means the score would leave the int32 range.
	OutOfRange
)

// Result is the outcome of one input.
type Result struct {
	Outcome Outcome
	// ActivityID is the new activity's id when Recorded.
	ActivityID int32
	// LeadID is the resolved lead (0 when unknown or ambiguous).
	LeadID int32
}

// Insight is a lead's derived MSI values, with urgency evaluated at a given time.
type Insight struct {
	LeadID   int32
	PersonID string
	Score    int32
	// Urgency is u at the time the insight was read (or at the change, in the feed).
	Urgency                 float64
	Stars, Flames, Priority int32
	// Moment is the last interesting moment (ID 0 when none).
	Moment model.Moment
	// UpdatedAt is when any value last changed; zero when never.
	UpdatedAt time.Time
}

// Change is one change-feed entry.
type Change struct {
	// Seq is the entry's position in the feed: entries are read in Seq order, and an entry
	// with a higher Seq is never committed before one with a lower Seq is visible.
	Seq int64
	// Fields are the values that changed.
	Fields model.Field
	// Insight holds all values after the change; Insight.UpdatedAt is the change time.
	Insight Insight
}

// ActivityKind is the kind of an activity.
type ActivityKind int32

// The activity kinds (the proto's ActivityKind numbers).
const (
	KindScoreChange ActivityKind = 1
	KindMoment      ActivityKind = 2
)

// Activity is one recorded score change or interesting moment.
type Activity struct {
	ID     int32
	LeadID int32
	Kind   ActivityKind
	// RecordedAt is when it was recorded; EventTime when it happened.
	RecordedAt, EventTime time.Time
	// Delta, NewValue, OldValue and Reason are set for score changes.
	Delta, NewValue, OldValue int32
	Reason                    string
	// MomentType, Description and Source are set for moments.
	MomentType          int32
	Description, Source string
}

// ActivityFilter selects activities.
type ActivityFilter struct {
	// Since: only activities recorded at or after it.
	Since time.Time
	// AfterID: only activities with a greater id (keyset paging); 0 starts at Since.
	AfterID int32
	// Kinds are the kinds returned (one or both).
	Kinds []ActivityKind
	// LeadIDs, when not empty, are the only leads returned (at most 30).
	LeadIDs []int32
	// Limit is the most activities returned, 1 to MaxBatch+1.
	Limit int
}

// BestBetsCursor is where a Best Bets page resumes: after (Priority, LeadID) in the order
// priority descending, lead id ascending.
type BestBetsCursor struct {
	Priority int32
	LeadID   int32
}

// Recompute is the outcome of RecomputeTiers.
type Recompute struct {
	// Boundaries are the boundaries in force afterwards.
	Boundaries model.Boundaries
	// Changed is how many leads' stars, flames or priority changed.
	Changed int
	// Skipped is true when dueBefore was given and the boundaries in force were computed
	// with the same configuration at or after it (another replica did the work).
	Skipped bool
}

// Store keeps the scoring data. Implementations are safe for concurrent use, also by several
// processes (replicas) over one database. Every write is one transaction; every change of a
// lead's derived values is appended to the change feed in the transaction that makes it.
type Store interface {
	// SyncLinks creates or replaces up to MaxBatch lead links in one transaction (a lead id
	// repeated keeps its last link). It never touches scores. A lead with derived values
	// whose external person id changes to another non-empty one gets a feed entry with all
	// its values (so the writeback reaches the new CRM row). Lead ids must be positive.
	SyncLinks(ctx context.Context, links []Link) error
	// DeleteLeads forgets up to MaxBatch leads: links, activities and derived values.
	// Unknown ids are ignored. Feed entries already written stay in the feed.
	DeleteLeads(ctx context.Context, leadIDs []int32) error
	// MergeLeads moves up to MaxBatch leads' scoring onto others, in order, in one
	// transaction: each subordinate's activities become its master's (ids and times kept),
	// the master's derived values take both (model.Merge) with a feed entry when they change,
	// and the subordinate is forgotten. A merge whose subordinate is unknown changes nothing
	// and is Recorded (a repeated merge is harmless); an unknown master is UnknownLead; a
	// score sum out of range is OutOfRange. Ids must be positive and differ.
	MergeLeads(ctx context.Context, merges []LeadMerge) ([]Result, error)
	// RecordScoreChanges records up to MaxBatch score changes in input order in one
	// transaction, re-derives each affected lead's values with the boundaries in force, and
	// appends one feed entry per lead whose values changed over the batch. It returns one
	// result per change and each affected lead's insight once (urgency at the record time),
	// in order of first appearance.
	RecordScoreChanges(ctx context.Context, changes []ScoreChange) ([]Result, []Insight, error)
	// RecordMoments records up to MaxBatch interesting moments like RecordScoreChanges; a
	// moment at least as recent as the lead's last one becomes its last one.
	RecordMoments(ctx context.Context, moments []Moment) ([]Result, []Insight, error)
	// PutInsights stores up to MaxBatch leads' values as Marketo reports them, in order, in
	// one transaction (a lead repeated keeps its last values): each known lead's derived
	// values become the given ones (model.Params.ApplyReported), and each lead whose shown
	// values changed over the batch gets one feed entry listing exactly those fields, so a
	// repeated put of the same values appends nothing. It returns one result per input
	// (Recorded with LeadID, or UnknownLead for a lead without a link) and how many leads'
	// values changed. Lead ids must be positive.
	PutInsights(ctx context.Context, in []Reported) ([]Result, int, error)
	// Insights returns the insight of each distinct id (urgency now); an unknown lead has
	// only LeadID set.
	Insights(ctx context.Context, leadIDs []int32) ([]Insight, error)
	// RecomputeTiers computes the boundaries from all scored leads (or the static
	// configuration), stores them and re-derives every lead's stars, flames and priority,
	// appending a feed entry for each lead whose values changed. Calls are serialised across
	// processes. When dueBefore is not zero and the boundaries in force were computed with
	// the same configuration at or after dueBefore, it does nothing and reports Skipped.
	RecomputeTiers(ctx context.Context, tiers model.Tiers, dueBefore time.Time) (Recompute, error)
	// Boundaries returns the boundaries in force: those of an empty population (with the
	// given mode) before the first computation.
	Boundaries(ctx context.Context, mode model.Mode) (model.Boundaries, error)
	// BestBets returns the leads owned by ownerKey with priority > 0, ordered by priority
	// descending then lead id, after the cursor (nil: from the start), at most limit.
	BestBets(ctx context.Context, ownerKey string, after *BestBetsCursor, limit int) ([]Insight, error)
	// Changes returns up to limit feed entries with Seq > afterSeq, in Seq order. A reader
	// that resumes after the last Seq it saw never misses nor repeats an entry, whatever
	// writers run concurrently.
	Changes(ctx context.Context, afterSeq int64, limit int) ([]Change, error)
	// Activities returns the activities matching f in recording (id) order.
	Activities(ctx context.Context, f ActivityFilter) ([]Activity, error)
	// Close releases the store's resources.
	Close() error
}
