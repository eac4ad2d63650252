// Package records holds the batch-write rules every msisync service applies the same way:
// the sync modes and what each does with a record that exists or not, the 300-record
// limit, repeats within a batch, and the per-record results with Marketo reason codes.
package records

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/marketo"
)

// MaxBatch is the most records one call takes (Marketo's limit).
const MaxBatch = 300

// ErrInvalidCall is what a service's store returns (wrapped) for a call that breaks its
// contract — no key, too many records, an unknown field — with nothing written; every store
// package names it ErrInvalid.
var ErrInvalidCall = errors.New("invalid store call")

// Mode says what a write does with a record that exists or not.
type Mode int

// The write modes.
const (
	// CreateOnly inserts a missing record; an existing one is left alone.
	CreateOnly Mode = iota + 1
	// UpdateOnly changes an existing record; a missing one is left alone.
	UpdateOnly
	// CreateOrUpdate inserts or changes.
	CreateOrUpdate
)

// Outcome is what a write did (or, planned, will do) with one record.
type Outcome int

// The outcomes.
const (
	// Created: the record was inserted.
	Created Outcome = iota + 1
	// Updated: the existing record was changed.
	Updated
	// NotFound: UpdateOnly found no record.
	NotFound
	// AlreadyExists: CreateOnly found a record.
	AlreadyExists
)

// Decide returns what mode does with a record that exists or not.
func Decide(mode Mode, exists bool) Outcome {
	switch {
	case exists && mode == CreateOnly:
		return AlreadyExists
	case exists:
		return Updated
	case mode == UpdateOnly:
		return NotFound
	}
	return Created
}

// ParseSync reads a batch write's action and dedupe key choice. byID is true when records
// are matched on their msisync id, which only updateOnly allows.
func ParseSync(action commonv1.SyncAction, dedupe commonv1.DedupeBy) (mode Mode, byID bool, err error) {
	switch action {
	case commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY:
		mode = CreateOnly
	case commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY:
		mode = UpdateOnly
	case commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED, commonv1.SyncAction_SYNC_ACTION_CREATE_OR_UPDATE:
		mode = CreateOrUpdate
	default:
		return 0, false, status.Errorf(codes.InvalidArgument, "unknown action %v", action)
	}
	switch dedupe {
	case commonv1.DedupeBy_DEDUPE_BY_UNSPECIFIED, commonv1.DedupeBy_DEDUPE_BY_DEDUPE_FIELDS:
		return mode, false, nil
	case commonv1.DedupeBy_DEDUPE_BY_ID_FIELD:
		if mode != UpdateOnly {
			return 0, false, status.Error(codes.InvalidArgument, "dedupeBy idField works only with action updateOnly: records are created by their external id")
		}
		return mode, true, nil
	}
	return 0, false, status.Errorf(codes.InvalidArgument, "unknown dedupeBy %v", dedupe)
}

// CheckBatch enforces 1 to MaxBatch records per call.
func CheckBatch(n int) error {
	if n == 0 {
		return status.Error(codes.InvalidArgument, "the batch is empty; send 1 to 300 records")
	}
	if n > MaxBatch {
		return status.Errorf(codes.InvalidArgument, "the batch has %d records; send at most %d per call", n, MaxBatch)
	}
	return nil
}

// Reason builds a record-level reason. A value quoted in the message that could not be
// stored or shown (invalid UTF-8, a control character other than tab, line feed and carriage
// return) is shown as U+FFFD instead.
func Reason(code, format string, args ...any) *commonv1.Reason {
	return &commonv1.Reason{Code: code, Message: Printable(fmt.Sprintf(format, args...))}
}

// Printable returns s with invalid UTF-8 and the control characters ControlChar finds
// replaced by U+FFFD, so that it can be stored and shown.
func Printable(s string) string {
	if _, _, bad := ControlChar(s); !bad && utf8.ValidString(s) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if refusedControl(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, string(utf8.RuneError)))
}

// Skipped is the result of record i, left alone for reason.
func Skipped(i int, id int32, reason *commonv1.Reason) *commonv1.RecordResult {
	return &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_SKIPPED, Id: id, Reasons: []*commonv1.Reason{reason}}
}

// Result is the result of record i after a write: object names the record in reasons,
// for example "a sales person with externalSalesPersonId 'x'".
func Result(i int, outcome Outcome, id int32, object string) *commonv1.RecordResult {
	switch outcome {
	case Created:
		return &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_CREATED, Id: id}
	case Updated:
		return &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_UPDATED, Id: id}
	case AlreadyExists:
		return Skipped(i, id, Reason(marketo.CodeObjectExists, "Object already exists: %s exists (action createOnly)", object))
	}
	return Skipped(i, 0, Reason(marketo.CodeObjectNotFound, "Object not found: no %s (action updateOnly)", object))
}

// Deleted is the result of record i of a delete.
func Deleted(i int, id int32, deleted bool) *commonv1.RecordResult {
	if !deleted {
		return Skipped(i, 0, Reason(marketo.CodeObjectNotFound, "Record not found"))
	}
	return &commonv1.RecordResult{Index: int32(i), Status: commonv1.RecordStatus_RECORD_STATUS_DELETED, Id: id}
}

// Key names one record of a kind keyed by an integer id and an external id: by ID, or by
// ExternalKey (see extid.Key) when ID is 0.
type Key struct {
	ID          int32
	ExternalKey string
}

// DeleteResult is the outcome of deleting one Key.
type DeleteResult struct {
	// Deleted is false when no record had the key (or one deleted earlier in the batch).
	Deleted bool
	// ID is the deleted record's id.
	ID int32
}

// Repeats finds keys repeated within one batch.
type Repeats map[string]bool

// Seen records key and reports whether an earlier record of the batch had it.
func (r Repeats) Seen(key string) bool {
	if r[key] {
		return true
	}
	r[key] = true
	return false
}

// Duplicate is the reason a record whose key appeared earlier in the batch is skipped.
func Duplicate(key string) *commonv1.Reason {
	return Reason(marketo.CodeDuplicateInInput, "Duplicate object found in input: %s appears earlier in this request", key)
}
