// Package store defines how the person service keeps leads. The doc comments of Store are
// the contract every implementation meets; storetest checks it against each.
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
// unknown field or column, a key repeated within a batch); nothing is written.
var ErrInvalid = records.ErrInvalidCall

// Lead is a stored lead.
type Lead struct {
	ID    int32
	Email string
	// The CRM ids, in canonical form (see extid); "" when not set.
	ExternalPersonID      string
	ExternalCompanyID     string
	ExternalSalesPersonID string
	Salutation            string
	FirstName             string
	MiddleName            string
	LastName              string
	Title                 string
	Department            string
	Phone                 string
	MobilePhone           string
	Fax                   string
	Company               string
	Website               string
	Address               string
	City                  string
	State                 string
	PostalCode            string
	Country               string
	LeadSource            string
	LeadStatus            string
	LeadRole              string
	Rating                string
	Industry              string
	AnnualRevenue         float64
	NumberOfEmployees     int32
	Unsubscribed          bool
	DoNotCall             bool
	// Custom holds the custom fields by name: JSON values (string, float64, bool).
	Custom    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Field names a writable text field of a lead; the name is also its column.
type Field string

// The writable text fields.
const (
	FieldEmail       Field = "email"
	FieldSalutation  Field = "salutation"
	FieldFirstName   Field = "first_name"
	FieldMiddleName  Field = "middle_name"
	FieldLastName    Field = "last_name"
	FieldTitle       Field = "title"
	FieldDepartment  Field = "department"
	FieldPhone       Field = "phone"
	FieldMobilePhone Field = "mobile_phone"
	FieldFax         Field = "fax"
	FieldCompany     Field = "company"
	FieldWebsite     Field = "website"
	FieldAddress     Field = "address"
	FieldCity        Field = "city"
	FieldState       Field = "state"
	FieldPostalCode  Field = "postal_code"
	FieldCountry     Field = "country"
	FieldLeadSource  Field = "lead_source"
	FieldLeadStatus  Field = "lead_status"
	FieldLeadRole    Field = "lead_role"
	FieldRating      Field = "rating"
	FieldIndustry    Field = "industry"
)

// Fields lists the writable text fields in a fixed order.
var Fields = []Field{
	FieldEmail, FieldSalutation, FieldFirstName, FieldMiddleName, FieldLastName, FieldTitle,
	FieldDepartment, FieldPhone, FieldMobilePhone, FieldFax, FieldCompany, FieldWebsite,
	FieldAddress, FieldCity, FieldState, FieldPostalCode, FieldCountry, FieldLeadSource,
	FieldLeadStatus, FieldLeadRole, FieldRating, FieldIndustry,
}

// Text returns a pointer to the lead's text field f, or nil for an unknown field.
func (l *Lead) Text(f Field) *string {
	switch f {
	case FieldEmail:
		return &l.Email
	case FieldSalutation:
		return &l.Salutation
	case FieldFirstName:
		return &l.FirstName
	case FieldMiddleName:
		return &l.MiddleName
	case FieldLastName:
		return &l.LastName
	case FieldTitle:
		return &l.Title
	case FieldDepartment:
		return &l.Department
	case FieldPhone:
		return &l.Phone
	case FieldMobilePhone:
		return &l.MobilePhone
	case FieldFax:
		return &l.Fax
	case FieldCompany:
		return &l.Company
	case FieldWebsite:
		return &l.Website
	case FieldAddress:
		return &l.Address
	case FieldCity:
		return &l.City
	case FieldState:
		return &l.State
	case FieldPostalCode:
		return &l.PostalCode
	case FieldCountry:
		return &l.Country
	case FieldLeadSource:
		return &l.LeadSource
	case FieldLeadStatus:
		return &l.LeadStatus
	case FieldLeadRole:
		return &l.LeadRole
	case FieldRating:
		return &l.Rating
	case FieldIndustry:
		return &l.Industry
	}
	return nil
}

// Column names a lead field that List and Get can read; the name is also its column.
type Column string

// The readable columns besides the text Fields (whose names are columns too).
const (
	// ColumnID is the lead's id, which every read fills in: a projection of ColumnID alone
	// reads only the id.
	ColumnID                    Column = "id"
	ColumnExternalPersonID      Column = "external_person_id"
	ColumnExternalCompanyID     Column = "external_company_id"
	ColumnExternalSalesPersonID Column = "external_sales_person_id"
	ColumnAnnualRevenue         Column = "annual_revenue"
	ColumnNumberOfEmployees     Column = "number_of_employees"
	ColumnUnsubscribed          Column = "unsubscribed"
	ColumnDoNotCall             Column = "do_not_call"
	ColumnCustomFields          Column = "custom_fields"
	ColumnCreatedAt             Column = "created_at"
	ColumnUpdatedAt             Column = "updated_at"
)

// Columns lists every readable column but ColumnID, in the order a full read selects them
// (after the id).
var Columns = func() []Column {
	out := []Column{Column(FieldEmail), ColumnExternalPersonID, ColumnExternalCompanyID, ColumnExternalSalesPersonID}
	for _, f := range Fields[1:] {
		out = append(out, Column(f))
	}
	return append(out, ColumnAnnualRevenue, ColumnNumberOfEmployees, ColumnUnsubscribed,
		ColumnDoNotCall, ColumnCustomFields, ColumnCreatedAt, ColumnUpdatedAt)
}()

// Projection names the columns a read fills in; an empty projection reads every column.
// The lead's ID is always filled in; the fields of columns not named keep their zero value.
// Naming a column twice is allowed; an unknown column is ErrInvalid.
type Projection []Column

// Lookup names the field a batch write matches existing leads on.
type Lookup int

// The lookup fields.
const (
	// LookupEmail matches on the case-folded email; several leads may share one.
	LookupEmail Lookup = iota + 1
	// LookupExternalPersonID matches on the external person key (unique when set).
	LookupExternalPersonID
	// LookupID matches on the lead id; UpdateOnly writes only.
	LookupID
)

// Write is one record of a batch write. Pointer fields that are nil, text fields absent from
// Fields and custom names absent from Custom keep their value on update (and are empty on
// create).
type Write struct {
	// Mode is what to do with a lead that matches or not. Ignored when CreateDuplicate.
	Mode records.Mode
	// CreateDuplicate creates a new lead whether or not one matches (Marketo's
	// createDuplicate); only the external person id rule can still skip it.
	CreateDuplicate bool
	// ID is the key with LookupID; ignored otherwise.
	ID int32
	// Fields holds the text fields to set, by name. With LookupEmail, Fields[FieldEmail] is
	// the key and must not be empty.
	Fields map[Field]string
	// ExternalPersonID is the CRM id to set; a zero ID clears it. With
	// LookupExternalPersonID it is the key and must be set.
	ExternalPersonID *extid.ID
	// ExternalCompanyID is the company's CRM id to set; a zero ID clears it.
	ExternalCompanyID *extid.ID
	// ExternalSalesPersonID is the owner's CRM id to set; a zero ID clears it.
	ExternalSalesPersonID *extid.ID
	AnnualRevenue         *float64
	NumberOfEmployees     *int32
	Unsubscribed          *bool
	DoNotCall             *bool
	// Custom holds the custom fields to set, merged by name into the lead's: a nil value
	// removes the name. Values must encode as JSON.
	Custom map[string]any
}

// Skip says why a write that its mode would have applied was left alone.
type Skip int

// The skip reasons.
const (
	// NotSkipped: Outcome says what happened.
	NotSkipped Skip = iota
	// SkipAmbiguous: with LookupEmail, Matches (more than one) leads have the email and the
	// write is UpdateOnly or CreateOrUpdate.
	SkipAmbiguous
	// SkipExternalPersonIDTaken: the write would give a lead an external person id that
	// another lead, HolderID, already has (or, creating, that any lead has).
	SkipExternalPersonIDTaken
)

// WriteResult is the outcome of one Write.
type WriteResult struct {
	// Outcome is what the write did when Skip is NotSkipped. With several matches and
	// CreateOnly it is AlreadyExists.
	Outcome records.Outcome
	// Skip, when not NotSkipped, says why nothing was written although Outcome would apply.
	Skip Skip
	// ID is the lead's id: the created, updated or matched lead (the lowest id when several
	// match with CreateOnly); 0 for NotFound and SkipAmbiguous.
	ID int32
	// Matches is how many leads matched, for SkipAmbiguous.
	Matches int
	// HolderID is the lead that has the external person id, for SkipExternalPersonIDTaken.
	HolderID int32
}

// Key names one lead by ID, or by external person key when ID is 0.
type Key = records.Key

// DeleteResult is the outcome of deleting one Key.
type DeleteResult = records.DeleteResult

// FilterField is a searchable field.
type FilterField int

// The searchable fields.
const (
	ByID                     FilterField = iota + 1
	ByEmail                              // matched on the case-folded email
	ByExternalPersonKey                  // matched on extid keys
	ByExternalCompanyKey                 // matched on extid keys
	ByExternalSalesPersonKey             // matched on extid keys
)

// Filter selects leads for List and Count.
type Filter struct {
	// By is the field matched.
	By FilterField
	// IDs are the values when By is ByID.
	IDs []int32
	// Keys are the values otherwise: extid keys, or case-folded emails. Empty keys match
	// nothing.
	Keys []string
	// AfterID resumes after this id (keyset paging); 0 starts at the beginning. Count
	// ignores it.
	AfterID int32
	// Limit is the most leads List returns, 1 to MaxBatch+1. Count ignores it.
	Limit int
	// Read is the columns List fills in (nil: all). Count ignores it.
	Read Projection
}

// Store keeps leads. Implementations are safe for concurrent use.
type Store interface {
	// Write applies up to MaxBatch writes in one transaction, matching existing leads on
	// lookup, and returns one result per write, in order. Either every write is applied and
	// committed before Write returns, or none is and Write returns an error.
	//
	// It returns ErrInvalid, writing nothing, for: a write without its lookup key; LookupID
	// with a write that is not UpdateOnly or is CreateDuplicate; a lookup key repeated among
	// the writes that are not CreateDuplicate; a non-empty external person id that more
	// than one write sets; an unknown text field.
	//
	// Outcomes: with LookupEmail, a match by several leads is AlreadyExists for CreateOnly
	// and SkipAmbiguous otherwise; one match or none follows records.Decide, as with the
	// other lookups. A write that would create a lead with an external person id some lead
	// has, or give a matched lead one that another lead has, is SkipExternalPersonIDTaken.
	// On update, custom fields merge by name and a nil value removes the name.
	Write(ctx context.Context, lookup Lookup, writes []Write) ([]WriteResult, error)
	// List returns the leads matching any value of f, with id > f.AfterID, ordered by id,
	// at most f.Limit of them, with the columns of f.Read filled in.
	List(ctx context.Context, f Filter) ([]Lead, error)
	// Count returns how many leads match any value of f (AfterID and Limit are ignored).
	Count(ctx context.Context, f Filter) (int, error)
	// Get returns the leads that have one of ids or one of externalKeys, each once, in no
	// particular order, with the columns of read filled in (nil: all). Unknown keys are
	// ignored.
	Get(ctx context.Context, ids []int32, externalKeys []string, read Projection) ([]Lead, error)
	// Delete removes up to MaxBatch leads in one transaction and returns one result per key,
	// in order. A key that matches no lead (or one already deleted earlier in the batch)
	// gives Deleted false.
	Delete(ctx context.Context, keys []Key) ([]DeleteResult, error)
	// CountReferences returns, for each of up to MaxBatch company keys and up to MaxBatch
	// sales person keys (extid keys), how many leads reference it; keys no lead references
	// are absent from the maps.
	CountReferences(ctx context.Context, companyKeys, salesPersonKeys []string) (companies, salesPersons map[string]int, err error)
	// CountAll returns how many leads are stored (Count with a filter counts matches).
	CountAll(ctx context.Context) (int64, error)
	// Close releases the store's resources.
	Close() error
}
