package connector

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/msisync/msisync/connectors/dynamics/mapping"
	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
)

// SyncReport is what one sync cycle did.
type SyncReport struct {
	// Started and Finished bound the cycle.
	Started, Finished time.Time
	// Sets reports each entity set pulled, in pull order.
	Sets []SetReport
	// Objects reports each object type sent, in sync order.
	Objects []ObjectReport
	// Runs are the ids of the sync runs created.
	Runs []string
	// Reasons groups the parked and rejected records by object type and reason.
	Reasons []ReasonCount
	// Findings counts the CRM findings reported; Resolved those cleared.
	Findings, Resolved int
	// Users counts the CRM users reported for the email check.
	Users int
	// Merges counts the Dynamics merges and lead qualifications msisync applied.
	Merges int
	// Pull, Send, Apply and Finish time the cycle's steps: reading Dataverse and mapping,
	// creating the sync runs, waiting for the orchestrator to process them, and the deletes,
	// reports and state commit after that.
	Pull, Send, Apply, Finish time.Duration
}

// SetReport is what one entity set yielded.
type SetReport struct {
	// EntitySet is the Dataverse entity set.
	EntitySet string
	// Rows are the new or changed rows read; Deleted the deleted ones.
	Rows, Deleted int
	// Unchanged counts rows whose mapping equals what was sent before (not sent again).
	Unchanged int
	// OutOfScope counts the rows read that are out of the sync scope (never sent; see
	// scope.go).
	OutOfScope int
	// Full is true when the whole set was read (first load, or an expired delta token).
	Full bool
}

// ObjectReport is what happened to one object type.
type ObjectReport struct {
	// Object is the object type.
	Object mapping.Object
	// Sent counts records sent in sync runs; Applied, Parked and Rejected how the
	// orchestrator processed them.
	Sent, Applied, Parked, Rejected int
	// Deleted counts records deleted; DeleteSkipped deletes the orchestrator refused or that
	// found nothing (with reasons in Reasons); DroppedParked parked records of deleted rows
	// dropped from the pending list; DeletesWaiting deletes refused as in use (1022), kept
	// and tried again next cycle.
	Deleted, DeleteSkipped, DroppedParked, DeletesWaiting int
}

// ReasonCount is how many records of a type were parked, rejected or not deleted for one
// reason.
type ReasonCount struct {
	// Object is the object type.
	Object mapping.Object
	// Outcome is parked, rejected or delete skipped.
	Outcome string
	// Code is the Marketo code; Message the reason with its ids replaced by "…".
	Code, Message string
	// Count is how many records; Example one record's key.
	Count   int
	Example string
}

// Pulled counts the rows read across entity sets (changed and deleted).
func (r *SyncReport) Pulled() int {
	n := 0
	for _, s := range r.Sets {
		n += s.Rows + s.Deleted
	}
	return n
}

// DeletesWaiting counts the deletes refused as in use, all types together.
func (r *SyncReport) DeletesWaiting() int {
	n := 0
	for _, o := range r.Objects {
		n += o.DeletesWaiting
	}
	return n
}

// object returns the report of one object type, adding it in sync order.
func (r *SyncReport) object(o mapping.Object) *ObjectReport {
	for i := range r.Objects {
		if r.Objects[i].Object == o {
			return &r.Objects[i]
		}
	}
	r.Objects = append(r.Objects, ObjectReport{Object: o})
	slices.SortFunc(r.Objects, func(a, b ObjectReport) int { return cmp.Compare(a.Object, b.Object) })
	return r.object(o)
}

// ids matches GUIDs, which make every reason unique.
var ids = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// reason counts one parked, rejected or skipped record's reasons.
func (r *SyncReport) reason(o mapping.Object, outcome string, reasons []*commonv1.Reason, key string) {
	for _, rs := range reasons {
		msg := ids.ReplaceAllString(rs.GetMessage(), "…")
		i := slices.IndexFunc(r.Reasons, func(c ReasonCount) bool {
			return c.Object == o && c.Outcome == outcome && c.Code == rs.GetCode() && c.Message == msg
		})
		if i < 0 {
			r.Reasons = append(r.Reasons, ReasonCount{Object: o, Outcome: outcome, Code: rs.GetCode(), Message: msg, Example: key})
			i = len(r.Reasons) - 1
		}
		r.Reasons[i].Count++
	}
}

// String summarises the report in a few lines.
func (r *SyncReport) String() string {
	s := fmt.Sprintf("pulled %d rows in %s;", r.Pulled(), r.Finished.Sub(r.Started).Round(time.Millisecond))
	for _, o := range r.Objects {
		s += fmt.Sprintf(" %s: %d sent, %d applied, %d parked, %d rejected, %d deleted;", o.Object, o.Sent, o.Applied, o.Parked, o.Rejected, o.Deleted)
		if o.DeletesWaiting > 0 {
			s = s[:len(s)-1] + fmt.Sprintf(", %d deletes waiting;", o.DeletesWaiting)
		}
	}
	if r.Merges > 0 {
		s += fmt.Sprintf(" %d merges;", r.Merges)
	}
	return s + fmt.Sprintf(" %d findings, %d resolved", r.Findings, r.Resolved)
}

// Outcomes of a ReasonCount.
const (
	OutcomeParked        = "parked"
	OutcomeRejected      = "rejected"
	OutcomeDeleteSkipped = "delete skipped"
)
