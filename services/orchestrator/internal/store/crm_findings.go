package store

import (
	"context"
	"time"
)

// CrmFindingKind is what a CRM connector found about a CRM record; its values are those of
// msisync.orchestrator.v1.CrmFindingKind, and sorting by it sorts as the API lists findings.
type CrmFindingKind int

// The finding kinds.
const (
	// TeamOwner: the record is owned by a CRM team, not a user.
	TeamOwner CrmFindingKind = 1
	// ParentIsContact: a contact whose parent customer is another contact.
	ParentIsContact CrmFindingKind = 2
	// InactiveOwner: the record is owned by a disabled or application user.
	InactiveOwner CrmFindingKind = 3
	// SalesPersonEmailMismatch is computed from the CRM users and never stored.
	SalesPersonEmailMismatch CrmFindingKind = 4
	// OtherFinding is anything else, explained by its message.
	OtherFinding CrmFindingKind = 5
	// DeletedInCrm: the record was deleted in the CRM and msisync keeps it, flagged deleted.
	DeletedInCrm CrmFindingKind = 6
)

// CrmUser is the CRM's own view of one of its users, as a connector reported it.
type CrmUser struct {
	// ExternalSalesPersonID is the user's id in canonical form (extid.Normalize); users are
	// keyed by its case-folded form (extid.Fold), as sales persons are.
	ExternalSalesPersonID string
	// Source names the connector that reported the user last, for example "dynamics".
	Source string
	// Email is the user's email in the CRM, as reported; "" when it has none.
	Email string
	// FullName is the user's display name.
	FullName string
	// Active reports whether the user can own records that MSI shows.
	Active bool
	// UpdateTime is when the user was last reported; set by the store.
	UpdateTime time.Time
}

// CrmFindingKey names one finding: a record and a kind.
type CrmFindingKey struct {
	// ObjectType is the record's object type.
	ObjectType ObjectType
	// ExternalID is the record's CRM id in canonical form (extid.Normalize); keys compare
	// it case-folded (extid.Fold).
	ExternalID string
	// Kind is the finding's kind.
	Kind CrmFindingKind
}

// CrmFinding is one fact about one CRM record, as a connector reported it.
type CrmFinding struct {
	CrmFindingKey
	// Source names the connector that reported the finding last.
	Source string
	// Message says what was found and what to do about it.
	Message string
	// UpdateTime is when the finding was last reported; set by the store.
	UpdateTime time.Time
}

// CrmFindingQuery selects a page of findings, ordered by object type, case-folded external
// id (byte order) and kind.
type CrmFindingQuery struct {
	// ObjectType filters by object type; 0 means all.
	ObjectType ObjectType
	// ExternalID filters by record (matched case-folded); "" means all.
	ExternalID string
	// ExternalIDs filters by any of these records (matched case-folded); nil means all.
	ExternalIDs []string
	// Kind filters by kind; 0 means all.
	Kind CrmFindingKind
	// After starts the page after this key (its ExternalID compared case-folded); a zero
	// After.ObjectType starts at the beginning.
	After CrmFindingKey
	// Limit is the page size; 0 means no limit.
	Limit int
}

// CrmStore keeps the CRM-side facts that CRM connectors report: the CRM's users and its
// findings about records. External ids are matched case-folded (extid.Fold of the canonical
// form) and returned as last reported.
type CrmStore interface {
	// PutCrmUsers creates or replaces the users, keyed by their case-folded
	// ExternalSalesPersonID, in one transaction, with UpdateTime now. When a key repeats in
	// users the last one wins. It returns how many distinct users were stored.
	PutCrmUsers(ctx context.Context, users []CrmUser, now time.Time) (int, error)
	// GetCrmUsers returns the users with the external ids that exist (ids matched
	// case-folded; repeats allowed), ordered by case-folded id.
	GetCrmUsers(ctx context.Context, externalIDs []string) ([]CrmUser, error)
	// ListCrmUsers returns up to limit users whose case-folded id sorts after after (byte
	// order; "" starts at the beginning), in that order; activeOnly leaves inactive users
	// out.
	ListCrmUsers(ctx context.Context, after string, activeOnly bool, limit int) ([]CrmUser, error)
	// ReportCrmFindings deletes the resolved findings and then creates or replaces the
	// findings (with UpdateTime now), all in one transaction. When a key repeats in
	// findings the last one wins; keys in resolved that are not stored are ignored. It
	// returns how many distinct findings were stored and how many the resolved keys
	// deleted.
	ReportCrmFindings(ctx context.Context, findings []CrmFinding, resolved []CrmFindingKey, now time.Time) (stored, deleted int, err error)
	// ListCrmFindings returns a page of the findings the query selects, in its order.
	ListCrmFindings(ctx context.Context, q CrmFindingQuery) ([]CrmFinding, error)
	// CountCrmFindings counts the findings the query selects, ignoring its After and Limit.
	CountCrmFindings(ctx context.Context, q CrmFindingQuery) (int, error)
}
