// Package mapping turns Dataverse rows into the Marketo records of the MSI sync contract
// (docs/msi-contract.md): systemusers → sales persons, accounts → companies, contacts and leads →
// leads keyed by externalPersonId, opportunities → opportunities, and the opportunity's
// customer contact plus Stakeholder connections → opportunity roles.
//
// Every mapped column is sent on every record sent, an empty one as an explicit clear ("" or
// null), so that a value cleared in Dynamics is cleared in msisync too. It never guesses: a
// person (contact or lead) owned by a team or by a user who is not synced is sent with its
// owner cleared, a contact whose parent is another contact with its company cleared, and
// each such case comes back as a Finding for the diagnostics. A company or an opportunity
// must have an owner in MSI: see Owner for how one is chosen, or the record held.
package mapping

import (
	"strings"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
)

// Entity sets, in the order the connector pulls them.
const (
	SystemUsers     = "systemusers"
	Accounts        = "accounts"
	Contacts        = "contacts"
	Leads           = "leads"
	Opportunities   = "opportunities"
	Connections     = "connections"
	ConnectionRoles = "connectionroles"
)

// PullOrder lists the tracked entity sets in sync order (connection roles are read whole).
var PullOrder = []string{SystemUsers, Accounts, Contacts, Leads, Opportunities, Connections}

// Select names the columns read from each entity set. MSI writeback columns (mkt_*) are
// never read, so our own writeback does not come back as a change.
var Select = map[string][]string{
	SystemUsers: {"systemuserid", "fullname", "firstname", "lastname", "internalemailaddress", "isdisabled", "accessmode", "applicationid"},
	Accounts: {"accountid", "name", "websiteurl", "telephone1", "address1_line1", "address1_city", "address1_stateorprovince",
		"address1_postalcode", "address1_country", "industrycode", "sic", "numberofemployees", "revenue", "description", "_ownerid_value"},
	Contacts: {"contactid", "firstname", "lastname", "emailaddress1", "jobtitle", "telephone1", "mobilephone", "address1_city",
		"address1_country", "_parentcustomerid_value", "_ownerid_value"},
	Leads: {"leadid", "firstname", "lastname", "emailaddress1", "companyname", "jobtitle", "telephone1", "websiteurl",
		"address1_city", "address1_country", "leadsourcecode", "_parentaccountid_value", "_ownerid_value", "statecode"},
	Opportunities: {"opportunityid", "name", "description", "_customerid_value", "_parentaccountid_value", "_ownerid_value",
		"estimatedvalue", "actualvalue", "estimatedclosedate", "actualclosedate", "closeprobability", "stepname", "salesstage", "statecode"},
	Connections:     {"connectionid", "_record1id_value", "_record2id_value", "_record2roleid_value", "record1objecttypecode", "record2objecttypecode", "statecode"},
	ConnectionRoles: {"connectionroleid", "name", "category", "statecode"},
}

// IDColumn is the primary id column of each entity set.
var IDColumn = map[string]string{
	SystemUsers: "systemuserid", Accounts: "accountid", Contacts: "contactid", Leads: "leadid",
	Opportunities: "opportunityid", Connections: "connectionid", ConnectionRoles: "connectionroleid",
}

// Kind says why a CRM row could not be mapped as is.
type Kind int

const (
	// TeamOwner: the row is owned by a team; MSI shows records to a user, so it has no owner.
	TeamOwner Kind = iota + 1
	// ParentIsContact: a contact whose parent customer is another contact has no company.
	ParentIsContact
	// InactiveOwner: the owner is a disabled or application user, which is not synced.
	InactiveOwner
	// Other: anything else worth a person's attention.
	Other
)

// Finding is a CRM row the mapping could not take as is, in words a person can act on.
type Finding struct {
	// Object is the sync object type the row maps to.
	Object Object
	// ExternalID is the row's id.
	ExternalID string
	// Kind says what is wrong.
	Kind Kind
	// Message explains it.
	Message string
}

// Object is one of the five sync object types.
type Object int

const (
	// SalesPerson is step 1.
	SalesPerson Object = iota + 1
	// Company is step 2.
	Company
	// Lead is step 3 (Dynamics contacts and leads).
	Lead
	// Opportunity is step 4.
	Opportunity
	// OpportunityRole is step 5.
	OpportunityRole
)

// ObjectOf returns the object type an entity set maps to.
func ObjectOf(entitySet string) Object {
	switch entitySet {
	case SystemUsers:
		return SalesPerson
	case Accounts:
		return Company
	case Contacts, Leads:
		return Lead
	case Opportunities:
		return Opportunity
	case Connections:
		return OpportunityRole
	}
	return 0
}

// Users tells the mapping which CRM users are synced as sales persons, and who stands in
// for an owner that is not one.
type Users interface {
	// Active reports whether the user is known and synced (enabled, not an application
	// user); known is false for a user the connector has never seen.
	Active(id string) (active, known bool)
	// Administrator returns a team's administrator (teams.administratorid), "" when unknown.
	Administrator(team string) string
	// Fallback returns the configured fallback owner (MSISYNC_DYNAMICS_FALLBACK_OWNER) when
	// it is an active user, else "".
	Fallback() string
}

// CustomerRole is the role name given to an opportunity's customer contact.
const CustomerRole = "Customer"

// Record is a Marketo record with Marketo field names, ready for a sync run.
type Record map[string]any

// put sets field to value; an empty value is sent as it is, which clears the field.
func (r Record) put(field string, value any) { r[field] = value }

// putSet sets field to value unless it is empty: for fields MSI requires, which cannot be
// cleared (a company's or an opportunity's name).
func (r Record) putSet(field, value string) {
	if value != "" {
		r[field] = value
	}
}

// number sets field to v, or to null (a clear) when the column is empty.
func number[T int64 | float64](r Record, field string, v T, ok bool) {
	if ok {
		r[field] = v
	} else {
		r[field] = nil
	}
}

// owner resolves a person's _ownerid_value: the sales person to name ("" clears the owner),
// and a finding when the owner is a team or a user who is not a sales person.
func owner(row dataverse.Row, users Users, what string, object Object, id string) (string, *Finding) {
	ownerID := row.GUID("_ownerid_value")
	if ownerID == "" {
		return "", nil
	}
	if strings.EqualFold(row.LookupType("_ownerid_value"), "team") {
		return "", &Finding{Object: object, ExternalID: id, Kind: TeamOwner,
			Message: what + " is owned by the team " + name(row, "_ownerid_value", ownerID) + ", not a user: MSI shows records to their owning user, so it has no sales person in MSI; assign it to a user in Dynamics"}
	}
	if active, known := users.Active(ownerID); known && !active {
		return "", &Finding{Object: object, ExternalID: id, Kind: InactiveOwner,
			Message: what + " is owned by the user " + name(row, "_ownerid_value", ownerID) + ", who is disabled or an application user and so not a sales person: it has no sales person in MSI; assign it to an active user in Dynamics"}
	}
	return ownerID, nil
}

// Owner resolves the owner of a record MSI requires one for (a company, an opportunity).
// A record owned by an enabled, regular user names that user. Otherwise, in this order: the
// owning team's administrator when that user is active; else the fallback owner
// (MSISYNC_DYNAMICS_FALLBACK_OWNER); else the record is held (held is true): it is not sent,
// and msisync keeps what it had. Each case but the first comes with a finding.
func Owner(row dataverse.Row, users Users, what string, object Object, id string) (owner string, held bool, f *Finding) {
	ownerID := row.GUID("_ownerid_value")
	if ownerID == "" {
		return "", false, nil
	}
	kind, who := InactiveOwner, "the user "+name(row, "_ownerid_value", ownerID)+", who is disabled or an application user and so not a sales person"
	if strings.EqualFold(row.LookupType("_ownerid_value"), "team") {
		kind, who = TeamOwner, "the team "+name(row, "_ownerid_value", ownerID)+", not a user"
		if admin := users.Administrator(ownerID); admin != "" {
			if active, _ := users.Active(admin); active {
				return admin, false, &Finding{Object: object, ExternalID: id, Kind: kind,
					Message: what + " is owned by " + who + ": MSI shows it with the team's administrator '" + admin + "' as its sales person; assign it to a user in Dynamics to change that"}
			}
		}
	} else if active, known := users.Active(ownerID); !known || active {
		return ownerID, false, nil
	}
	if fb := users.Fallback(); fb != "" {
		return fb, false, &Finding{Object: object, ExternalID: id, Kind: kind,
			Message: what + " is owned by " + who + ": MSI shows it with the fallback sales person '" + fb + "' (MSISYNC_DYNAMICS_FALLBACK_OWNER); assign it to an active user in Dynamics to change that"}
	}
	return "", true, &Finding{Object: object, ExternalID: id, Kind: kind,
		Message: what + " is owned by " + who + ": a " + object.String() + " needs a sales person in MSI, so it is not synced (msisync keeps what it had, if anything) and the records under it wait; assign it to an active user in Dynamics, or set MSISYNC_DYNAMICS_FALLBACK_OWNER"}
}

// name is a lookup's display name, or its id when the row carries no formatted value.
func name(row dataverse.Row, col, id string) string {
	if n := row.String(col + "@OData.Community.Display.V1.FormattedValue"); n != "" {
		return "'" + n + "' (" + id + ")"
	}
	return "'" + id + "'"
}

// String names the object type as the Marketo API does.
func (o Object) String() string {
	switch o {
	case SalesPerson:
		return "sales person"
	case Company:
		return "company"
	case Lead:
		return "lead"
	case Opportunity:
		return "opportunity"
	case OpportunityRole:
		return "opportunity role"
	}
	return "unknown"
}
