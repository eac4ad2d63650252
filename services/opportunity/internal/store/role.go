package store

import (
	"context"
	"strconv"
	"time"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
)

// Role is a stored opportunity role. A zero time means the date is not set.
type Role struct {
	// Seq orders records by creation; it is internal (keyset paging), never shown.
	Seq                   int64
	GUID                  string // marketoGUID, lowercase
	ExternalOpportunityID string // canonical form, see extid
	LeadID                int32
	Role                  string // as first sent, trimmed
	IsPrimary             bool
	ExternalCreatedDate   time.Time
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// RoleKey is a role's compound dedupe key.
type RoleKey struct {
	// ExternalOpportunityID is the opportunity's external id; lookups use only its Key.
	ExternalOpportunityID extid.ID
	// LeadID is the lead's id, greater than 0.
	LeadID int32
	// Role is the role name, not empty; matched by FoldRole.
	Role string
}

// FoldRole returns the form in which role names are compared: case-insensitively, so
// "Technical Buyer" and "technical buyer" name one role.
func FoldRole(role string) string { return extid.Fold(role) }

// Match returns the form in which k is compared: two keys name the same role exactly when
// their Match is equal.
func (k RoleKey) Match() string {
	return k.ExternalOpportunityID.Key + "\x00" + strconv.Itoa(int(k.LeadID)) + "\x00" + FoldRole(k.Role)
}

// RoleFields are the writable fields of a role besides its key. A nil field is left as it
// is on update (false, or unset, on create); a pointer to the zero time clears the date.
type RoleFields struct {
	IsPrimary           *bool
	ExternalCreatedDate *time.Time
}

// RoleWrite is one record of a batch write.
type RoleWrite struct {
	// Mode is what to do.
	Mode records.Mode
	// GUID is the key when set (UpdateOnly only); otherwise Key is.
	GUID string
	// Key is the compound key when GUID is empty; all three parts are required then.
	Key RoleKey
	// Fields holds the values to set.
	Fields RoleFields
}

// RoleLookup names one role by GUID, or by compound key when GUID is empty.
type RoleLookup struct {
	GUID string
	Key  RoleKey
}

// RoleFilterField is a searchable single-field role key.
type RoleFilterField int

// The searchable role fields.
const (
	RoleByGUID RoleFilterField = iota + 1
	RoleByOpportunityKey
	RoleByLeadID
)

// RoleFilter selects roles for ListRoles.
type RoleFilter struct {
	// By is the field matched.
	By RoleFilterField
	// Values are the GUIDs or opportunity external keys to match (RoleByGUID,
	// RoleByOpportunityKey).
	Values []string
	// LeadIDs are the lead ids to match (RoleByLeadID).
	LeadIDs []int32
	// AfterSeq resumes after this Seq (keyset paging); 0 starts at the beginning.
	AfterSeq int64
	// Limit is the most records returned, 1 to MaxBatch+1.
	Limit int
}

// Roles keeps opportunity roles. It does not check that a role's opportunity or lead
// exists: the caller does, before writing.
type Roles interface {
	// WriteRoles applies up to MaxBatch writes in one transaction and returns one result per
	// write, in order. Keys (by Match, or GUIDs) must be distinct within the batch. Either
	// every write is applied and committed before it returns, or none is and it returns an
	// error. Each created record gets a new random GUID, never reused. A write by compound
	// key lacking a part, or a write by GUID that is not UpdateOnly, returns ErrInvalid.
	WriteRoles(ctx context.Context, writes []RoleWrite) ([]WriteResult, error)
	// ListRoles returns the records matching any value of f with Seq > f.AfterSeq, ordered
	// by Seq, at most f.Limit of them.
	ListRoles(ctx context.Context, f RoleFilter) ([]Role, error)
	// GetRoles returns the records that have one of guids or one of the compound keys, each
	// once, in no particular order, with one query. Unknown keys are ignored.
	GetRoles(ctx context.Context, guids []string, keys []RoleKey) ([]Role, error)
	// DeleteRoles removes up to MaxBatch records in one transaction and returns one result
	// per lookup, in order.
	DeleteRoles(ctx context.Context, lookups []RoleLookup) ([]DeleteResult, error)
	// CountRoleReferences returns, for each of up to MaxBatch opportunity keys and up to
	// MaxBatch lead ids that at least one role references, how many do, in no particular
	// order.
	CountRoleReferences(ctx context.Context, opportunityKeys []string, leadIDs []int32) (opportunities, leads []ReferenceCount, err error)
	// CountRoles returns how many opportunity roles are stored.
	CountRoles(ctx context.Context) (int64, error)
}
