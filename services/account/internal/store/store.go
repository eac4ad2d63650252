// Package store defines how the account service keeps companies. The doc comments of Store
// are the contract every implementation meets; storetest checks it against each.
package store

import (
	"context"
	"time"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
)

// MaxBatch is the most records (or keys) one call takes.
const MaxBatch = records.MaxBatch

// ErrInvalid is returned for a call that breaks this contract (no key, a repeated key, too
// many records, an unknown field); nothing is written.
var ErrInvalid = records.ErrInvalidCall

// Company is a stored company (CRM account).
type Company struct {
	ID int32
	// ExternalID is the company's CRM id, in canonical form (see extid).
	ExternalID string
	// SalesPersonID is the owning sales person's CRM id, in canonical form.
	SalesPersonID     string
	Company           string
	Site              string
	Website           string
	MainPhone         string
	Industry          string
	SICCode           string
	NumberOfEmployees int32
	AnnualRevenue     float64
	BillingStreet     string
	BillingCity       string
	BillingState      string
	BillingPostalCode string
	BillingCountry    string
	CompanyNotes      string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Field names a writable text field of a company.
type Field string

// The writable text fields.
const (
	FieldCompany           Field = "company"
	FieldSite              Field = "site"
	FieldWebsite           Field = "website"
	FieldMainPhone         Field = "main_phone"
	FieldIndustry          Field = "industry"
	FieldSICCode           Field = "sic_code"
	FieldBillingStreet     Field = "billing_street"
	FieldBillingCity       Field = "billing_city"
	FieldBillingState      Field = "billing_state"
	FieldBillingPostalCode Field = "billing_postal_code"
	FieldBillingCountry    Field = "billing_country"
	FieldCompanyNotes      Field = "company_notes"
)

// Fields lists the writable text fields in a fixed order.
var Fields = []Field{
	FieldCompany, FieldSite, FieldWebsite, FieldMainPhone, FieldIndustry, FieldSICCode,
	FieldBillingStreet, FieldBillingCity, FieldBillingState, FieldBillingPostalCode,
	FieldBillingCountry, FieldCompanyNotes,
}

// Write is one record of a batch write.
type Write struct {
	// Mode is what to do.
	Mode records.Mode
	// ID is the key when set (UpdateOnly only); otherwise ExternalID is.
	ID int32
	// ExternalID is the key when ID is 0; it is required to create.
	ExternalID extid.ID
	// SalesPerson is the owner. It is required to create; on update the zero ID keeps the
	// current owner and any other value replaces it.
	SalesPerson extid.ID
	// Fields holds the text fields to set, by name; absent fields keep their value (or are
	// empty on create).
	Fields map[Field]string
	// NumberOfEmployees, when not nil, is set; nil keeps the value (0 on create).
	NumberOfEmployees *int32
	// AnnualRevenue, when not nil, is set; nil keeps the value (0 on create).
	AnnualRevenue *float64
}

// WriteResult is the outcome of one Write.
type WriteResult struct {
	// Outcome is what the write did; 0 when MissingOwner is set.
	Outcome records.Outcome
	// ID is the record's id; 0 for NotFound and MissingOwner.
	ID int32
	// MissingOwner is set when the write would have created a record but has no
	// SalesPerson: nothing was written for it.
	MissingOwner bool
}

// Key names one record by ID, or by external key when ID is 0.
type Key = records.Key

// DeleteResult is the outcome of deleting one Key.
type DeleteResult = records.DeleteResult

// FilterField is a searchable field.
type FilterField int

// The searchable fields.
const (
	// ByID matches the integer id.
	ByID FilterField = iota + 1
	// ByExternalKey matches the company's external key (extid.Key).
	ByExternalKey
	// ByCompany matches the case-folded company name (extid.Fold of the trimmed name).
	ByCompany
	// BySalesPerson matches the owner's external key (extid.Key).
	BySalesPerson
)

// Filter selects companies for List.
type Filter struct {
	// By is the field matched.
	By FilterField
	// IDs are the values when By is ByID.
	IDs []int32
	// Keys are the values otherwise: external keys, or case-folded company names.
	Keys []string
	// AfterID resumes after this id (keyset paging); 0 starts at the beginning.
	AfterID int32
	// Limit is the most records returned, 1 to MaxBatch+1.
	Limit int
}

// Store keeps companies. Implementations are safe for concurrent use.
type Store interface {
	// Write applies up to MaxBatch writes in one transaction and returns one result per
	// write, in order. Either every write is applied and committed before Write returns, or
	// none is and Write returns an error. A write without a key, a key repeated within the
	// batch, a write by ID that is not UpdateOnly, or an unknown field returns ErrInvalid. A
	// write that would create a record without a SalesPerson writes nothing and reports
	// MissingOwner; the other writes go ahead. Ids are never reused.
	Write(ctx context.Context, writes []Write) ([]WriteResult, error)
	// List returns the records matching any value of f, with id > f.AfterID, ordered by id,
	// at most f.Limit of them.
	List(ctx context.Context, f Filter) ([]Company, error)
	// Get returns the records that have one of ids or one of externalKeys, each once, in no
	// particular order. Unknown keys are ignored.
	Get(ctx context.Context, ids []int32, externalKeys []string) ([]Company, error)
	// Delete removes up to MaxBatch records in one transaction and returns one result per
	// key, in order. A key that matches no record (or one already deleted earlier in the
	// batch) gives Deleted false.
	Delete(ctx context.Context, keys []Key) ([]DeleteResult, error)
	// CountBySalesPerson returns, for each of up to MaxBatch sales person keys (extid.Key)
	// that owns at least one company, how many it owns, with one query. Keys owning none
	// are absent from the map. More than MaxBatch keys returns ErrInvalid.
	CountBySalesPerson(ctx context.Context, salesPersonKeys []string) (map[string]int, error)
	// Count returns how many companies are stored.
	Count(ctx context.Context) (int64, error)
	// Close releases the store's resources.
	Close() error
}
