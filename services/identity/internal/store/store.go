// Package store defines how the identity service keeps sales persons. The doc comments of
// Store are the contract every implementation meets; storetest checks it against each.
package store

import (
	"context"
	"time"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
)

// MaxBatch is the most records one call takes.
const MaxBatch = records.MaxBatch

// ErrInvalid is returned for a call that breaks this contract (no key, too many records, an
// unknown field); nothing is written.
var ErrInvalid = records.ErrInvalidCall

// SalesPerson is a stored sales person.
type SalesPerson struct {
	ID          int32
	ExternalID  string // canonical form, see extid
	Email       string
	FirstName   string
	LastName    string
	Title       string
	Phone       string
	MobilePhone string
	Fax         string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Field names a writable sales person field.
type Field string

// The writable fields.
const (
	FieldEmail       Field = "email"
	FieldFirstName   Field = "first_name"
	FieldLastName    Field = "last_name"
	FieldTitle       Field = "title"
	FieldPhone       Field = "phone"
	FieldMobilePhone Field = "mobile_phone"
	FieldFax         Field = "fax"
)

// Fields lists the writable fields in a fixed order.
var Fields = []Field{FieldEmail, FieldFirstName, FieldLastName, FieldTitle, FieldPhone, FieldMobilePhone, FieldFax}

// Write is one record of a batch write.
type Write struct {
	// Mode is what to do.
	Mode records.Mode
	// ID is the key when set (UpdateOnly only); otherwise ExternalID is.
	ID int32
	// ExternalID is the key when ID is 0; it is required to create.
	ExternalID extid.ID
	// Fields holds the fields to set, by name; absent fields keep their value (or are empty
	// on create).
	Fields map[Field]string
}

// WriteResult is the outcome of one Write.
type WriteResult struct {
	Outcome records.Outcome
	// ID is the record's id; 0 for NotFound.
	ID int32
}

// Key names one record by ID, or by external key when ID is 0.
type Key = records.Key

// DeleteResult is the outcome of deleting one Key.
type DeleteResult = records.DeleteResult

// FilterField is a searchable field.
type FilterField int

// The searchable fields.
const (
	ByID FilterField = iota + 1
	ByExternalKey
	ByEmail // matched on the case-folded email
)

// Filter selects sales persons for List.
type Filter struct {
	// By is the field matched.
	By FilterField
	// IDs are the values when By is ByID.
	IDs []int32
	// Keys are the values otherwise: external keys, or case-folded emails.
	Keys []string
	// AfterID resumes after this id (keyset paging); 0 starts at the beginning.
	AfterID int32
	// Limit is the most records returned, 1 to MaxBatch+1.
	Limit int
}

// Store keeps sales persons. Implementations are safe for concurrent use.
type Store interface {
	// Write applies up to MaxBatch writes in one transaction and returns one result per
	// write, in order. Either every write is applied and committed before Write returns,
	// or none is and Write returns an error. A write without a key, a key repeated within
	// the batch, or a write by ID that is not UpdateOnly returns ErrInvalid.
	Write(ctx context.Context, writes []Write) ([]WriteResult, error)
	// List returns the records matching any value of f, with id > f.AfterID, ordered by id,
	// at most f.Limit of them.
	List(ctx context.Context, f Filter) ([]SalesPerson, error)
	// Get returns the records that have one of ids or one of externalKeys, each once, in no
	// particular order. Unknown keys are ignored.
	Get(ctx context.Context, ids []int32, externalKeys []string) ([]SalesPerson, error)
	// Delete removes up to MaxBatch records in one transaction and returns one result per
	// key, in order. A key that matches no record (or one already deleted earlier in the
	// batch) gives Deleted false.
	Delete(ctx context.Context, keys []Key) ([]DeleteResult, error)
	// Count returns how many sales persons are stored.
	Count(ctx context.Context) (int64, error)
	// Close releases the store's resources.
	Close() error
}
