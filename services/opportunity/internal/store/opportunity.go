package store

import (
	"context"
	"time"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
)

// Opportunity is a stored opportunity. A zero time means the date is not set.
type Opportunity struct {
	// Seq orders records by creation; it is internal (keyset paging), never shown.
	Seq                   int64
	GUID                  string // marketoGUID, lowercase
	ExternalID            string // canonical form, see extid
	ExternalCompanyID     string // canonical form
	ExternalSalesPersonID string // canonical form
	Name                  string
	Description           string
	Type                  string
	Stage                 string
	Amount                float64
	ExpectedRevenue       float64
	Quantity              float64
	Probability           int32
	CloseDate             time.Time
	IsClosed              bool
	IsWon                 bool
	FiscalQuarter         int32
	FiscalYear            int32
	ForecastCategory      string
	ForecastCategoryName  string
	LeadSource            string
	Source                string
	NextStep              string
	LastActivityDate      time.Time
	ExternalCreatedDate   time.Time
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// The fields required to create an opportunity, as WriteResult.Missing names them.
const (
	FieldExternalCompanyID     Field = "external_company_id"
	FieldExternalSalesPersonID Field = "external_sales_person_id"
	FieldName                  Field = "name"
)

// OpportunityFields are the writable fields of an opportunity. A nil field is left as it is
// on update (and zero, or unset for dates, on create); a pointer to the zero value clears
// the field. ExternalCompanyID, ExternalSalesPersonID and Name are required to create and
// cannot be cleared: when set they are not empty.
type OpportunityFields struct {
	ExternalCompanyID     *extid.ID
	ExternalSalesPersonID *extid.ID
	Name                  *string
	Description           *string
	Type                  *string
	Stage                 *string
	Amount                *float64
	ExpectedRevenue       *float64
	Quantity              *float64
	Probability           *int32
	CloseDate             *time.Time
	IsClosed              *bool
	IsWon                 *bool
	FiscalQuarter         *int32
	FiscalYear            *int32
	ForecastCategory      *string
	ForecastCategoryName  *string
	LeadSource            *string
	Source                *string
	NextStep              *string
	LastActivityDate      *time.Time
	ExternalCreatedDate   *time.Time
}

// OpportunityWrite is one record of a batch write.
type OpportunityWrite struct {
	// Mode is what to do.
	Mode records.Mode
	// GUID is the key when set (UpdateOnly only); otherwise ExternalID is.
	GUID string
	// ExternalID is the key when GUID is empty.
	ExternalID extid.ID
	// Fields holds the values to set.
	Fields OpportunityFields
}

// OpportunityKey names one opportunity by GUID, or by external key when GUID is empty.
type OpportunityKey struct {
	GUID        string
	ExternalKey string
}

// OpportunityFilterField is a searchable opportunity field.
type OpportunityFilterField int

// The searchable opportunity fields; every value is an external key or a lowercase GUID.
const (
	OpportunityByGUID OpportunityFilterField = iota + 1
	OpportunityByExternalKey
	OpportunityByCompanyKey
	OpportunityBySalesPersonKey
)

// OpportunityFilter selects opportunities for ListOpportunities.
type OpportunityFilter struct {
	// By is the field matched.
	By OpportunityFilterField
	// Values are the GUIDs or external keys to match.
	Values []string
	// AfterSeq resumes after this Seq (keyset paging); 0 starts at the beginning.
	AfterSeq int64
	// Limit is the most records returned, 1 to MaxBatch+1.
	Limit int
}

// Opportunities keeps opportunities.
type Opportunities interface {
	// WriteOpportunities applies up to MaxBatch writes in one transaction and returns one
	// result per write, in order. Either every write is applied and committed before it
	// returns, or none is and it returns an error.
	// A create lacking ExternalCompanyID, ExternalSalesPersonID or Name is not applied and
	// its result names the first missing field. Each created record gets a new random
	// GUID, never reused. A write without a key, a key repeated within the batch, or a
	// write by GUID that is not UpdateOnly, returns ErrInvalid.
	WriteOpportunities(ctx context.Context, writes []OpportunityWrite) ([]WriteResult, error)
	// ListOpportunities returns the records matching any value of f with Seq > f.AfterSeq,
	// ordered by Seq, at most f.Limit of them.
	ListOpportunities(ctx context.Context, f OpportunityFilter) ([]Opportunity, error)
	// GetOpportunities returns the records that have one of guids or one of externalKeys,
	// each once, in no particular order. Unknown keys are ignored.
	GetOpportunities(ctx context.Context, guids, externalKeys []string) ([]Opportunity, error)
	// DeleteOpportunities removes up to MaxBatch records in one transaction and returns
	// one result per key, in order. It does not look at roles: the caller checks first.
	DeleteOpportunities(ctx context.Context, keys []OpportunityKey) ([]DeleteResult, error)
	// CountOpportunityReferences returns, for each of up to MaxBatch company keys and up to
	// MaxBatch sales person keys that at least one opportunity references, how many do, in
	// no particular order.
	CountOpportunityReferences(ctx context.Context, companyKeys, salesPersonKeys []string) (companies, salesPersons []ReferenceCount, err error)
	// CountOpportunities returns how many opportunities are stored.
	CountOpportunities(ctx context.Context) (int64, error)
}
