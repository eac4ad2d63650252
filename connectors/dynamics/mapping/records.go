package mapping

import (
	"strconv"
	"strings"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
)

// CRMUser is the CRM's own view of a user, reported to the orchestrator so that diagnostics
// can compare the sales person's email with the Dynamics user's internalemailaddress.
type CRMUser struct {
	// ID is the systemuserid.
	ID string
	// Email is the internalemailaddress.
	Email string
	// FullName is the user's full name.
	FullName string
	// Active is true for an enabled user that is not an application user: only those are
	// synced as sales persons.
	Active bool
}

// User maps a systemusers row with the Default mapping.
func User(row dataverse.Row) (Record, CRMUser) { return Default.User(row) }

// User maps a systemusers row: the sales person (nil for a disabled or application user,
// which is not synced) and the CRM user.
func (s *Spec) User(row dataverse.Row) (Record, CRMUser) {
	id := row.GUID("systemuserid")
	disabled, _ := row.Bool("isdisabled")
	access, _ := row.Int("accessmode")
	app := row.GUID("applicationid") != "" || access == 4
	u := CRMUser{ID: id, Email: row.String("internalemailaddress"), FullName: row.String("fullname"), Active: !disabled && !app}
	if !u.Active {
		return nil, u
	}
	r := Record{"externalSalesPersonId": id}
	s.apply(SystemUsers, row, r)
	return r, u
}

// Account maps an accounts row with the Default mapping.
func Account(row dataverse.Row, users Users) (Record, []Finding) { return Default.Account(row, users) }

// Account maps an accounts row to a company; nil (with a finding) when the account is held
// because it has no owner MSI can show (see Owner).
func (s *Spec) Account(row dataverse.Row, users Users) (Record, []Finding) {
	id := row.GUID("accountid")
	r := Record{"externalCompanyId": id}
	var findings []Finding
	o, held, f := Owner(row, users, "account "+quoted(row.String("name"), id), Company, id)
	if f != nil {
		findings = append(findings, *f)
	}
	if held {
		return nil, findings
	}
	r.putSet("externalSalesPersonId", o)
	r.putSet("company", row.String("name"))
	s.apply(Accounts, row, r)
	return r, findings
}

// Contact maps a contacts row with the Default mapping.
func Contact(row dataverse.Row, users Users) (Record, []Finding) { return Default.Contact(row, users) }

// Contact maps a contacts row to a lead keyed by externalPersonId.
func (s *Spec) Contact(row dataverse.Row, users Users) (Record, []Finding) {
	id := row.GUID("contactid")
	what := "contact " + quoted(strings.TrimSpace(row.String("firstname")+" "+row.String("lastname")), id)
	r, findings := person(row, users, id, what)
	s.apply(Contacts, row, r)
	r.put("externalCompanyId", "")
	r.put("company", "")
	if parent := row.GUID("_parentcustomerid_value"); parent != "" {
		switch strings.ToLower(row.LookupType("_parentcustomerid_value")) {
		case "contact":
			findings = append(findings, Finding{Object: Lead, ExternalID: id, Kind: ParentIsContact,
				Message: what + " has the contact " + name(row, "_parentcustomerid_value", parent) + " as its parent customer, not an account: MSI needs the person's company, so set an account as the Company Name in Dynamics"})
		default:
			r["externalCompanyId"] = parent
			r.put("company", row.String("_parentcustomerid_value@OData.Community.Display.V1.FormattedValue"))
		}
	}
	return r, findings
}

// LeadRow maps a leads row with the Default mapping.
func LeadRow(row dataverse.Row, users Users) (Record, []Finding) { return Default.LeadRow(row, users) }

// LeadRow maps a leads row to a lead keyed by externalPersonId.
func (s *Spec) LeadRow(row dataverse.Row, users Users) (Record, []Finding) {
	id := row.GUID("leadid")
	what := "lead " + quoted(strings.TrimSpace(row.String("firstname")+" "+row.String("lastname")), id)
	r, findings := person(row, users, id, what)
	s.apply(Leads, row, r)
	return r, findings
}

// person maps what the connector sets on contacts and leads: the key and the owner.
func person(row dataverse.Row, users Users, id, what string) (Record, []Finding) {
	r := Record{"externalPersonId": id}
	var findings []Finding
	o, f := owner(row, users, what, Lead, id)
	if f != nil {
		findings = append(findings, *f)
	}
	r.put("externalSalesPersonId", o)
	return r, findings
}

// OpportunityRow maps an opportunities row with the Default mapping.
func OpportunityRow(row dataverse.Row, users Users) (Record, Record, []Finding) {
	return Default.OpportunityRow(row, users)
}

// OpportunityRow maps an opportunities row to an opportunity, plus the role of its customer
// when the customer is a contact (nil otherwise). The opportunity is nil (with a finding)
// when it is held because it has no owner MSI can show (see Owner); its role is still
// returned, so that a role msisync has is kept (one that is new waits for the opportunity).
func (s *Spec) OpportunityRow(row dataverse.Row, users Users) (Record, Record, []Finding) {
	id := row.GUID("opportunityid")
	what := "opportunity " + quoted(row.String("name"), id)
	r := Record{"externalOpportunityId": id}
	var findings []Finding
	o, held, f := Owner(row, users, what, Opportunity, id)
	if f != nil {
		findings = append(findings, *f)
	}
	customer, customerType := row.GUID("_customerid_value"), strings.ToLower(row.LookupType("_customerid_value"))
	var role Record
	if customer != "" && customerType == "contact" {
		role = Record{"externalOpportunityId": id, "externalPersonId": customer, "role": CustomerRole, "isPrimary": true}
	}
	if held {
		return nil, role, findings
	}
	r.putSet("externalSalesPersonId", o)
	r.putSet("name", row.String("name"))
	s.apply(Opportunities, row, r)
	company := row.GUID("_parentaccountid_value")
	if company == "" && customerType == "account" {
		company = customer
	}
	if company == "" {
		findings = append(findings, Finding{Object: Opportunity, ExternalID: id, Kind: Other,
			Message: what + " has no account (its potential customer is a contact without a parent account): MSI needs the opportunity's company, so set its Account in Dynamics"})
	}
	r.putSet("externalCompanyId", company) // required: an opportunity's company cannot be cleared
	state, _ := row.Int("statecode")
	r["isClosed"] = state != 0
	r["isWon"] = state == 1
	amount, ok := row.Float("estimatedvalue")
	if actual, aok := row.Float("actualvalue"); state == 1 && aok {
		amount, ok = actual, true
	}
	number(r, "amount", amount, ok)
	closeDate := row.String("estimatedclosedate")
	if actual := row.String("actualclosedate"); state != 0 && actual != "" {
		closeDate = actual
	}
	if closeDate != "" {
		r["closeDate"] = closeDate
	} else {
		r["closeDate"] = nil // a date is cleared with null
	}
	stage := row.String("stepname")
	if stage == "" {
		stage = label(row, "salesstage")
	}
	r.put("stage", stage)
	return r, role, findings
}

// ConnectionRole is a connectionroles row: the name and category of a connection's role.
type ConnectionRole struct {
	// Name is the role's name, e.g. "Decision Maker".
	Name string
	// Category is the picklist value; 1000 is Stakeholder.
	Category int64
}

// StakeholderCategory is the connection role category of opportunity stakeholders.
const StakeholderCategory = 1000

// Role reads a connectionroles row.
func Role(row dataverse.Row) (string, ConnectionRole) {
	c, _ := row.Int("category")
	return row.GUID("connectionroleid"), ConnectionRole{Name: row.String("name"), Category: c}
}

// Connection maps a connections row to an opportunity role: only an active connection from
// an opportunity (record1) to a contact (record2) in a Stakeholder-category role is one. The
// reverse row of each reciprocal pair (contact → opportunity) and Sales Team connections map
// to nil.
func Connection(row dataverse.Row, roles map[string]ConnectionRole) Record {
	t1, _ := row.Int("record1objecttypecode")
	t2, _ := row.Int("record2objecttypecode")
	state, _ := row.Int("statecode")
	if t1 != 3 || t2 != 2 || state != 0 {
		return nil
	}
	role, ok := roles[row.GUID("_record2roleid_value")]
	if !ok || role.Category != StakeholderCategory || role.Name == "" {
		return nil
	}
	return Record{"externalOpportunityId": row.GUID("_record1id_value"), "externalPersonId": row.GUID("_record2id_value"), "role": role.Name}
}

// RoleKey is the identity of an opportunity role: what a delete names.
type RoleKey struct {
	// Opportunity is the externalOpportunityId.
	Opportunity string `json:"opportunity"`
	// Person is the contact's externalPersonId.
	Person string `json:"person"`
	// Role is the role name.
	Role string `json:"role"`
}

// KeyOf returns a role record's key.
func KeyOf(role Record) RoleKey {
	s := func(f string) string { v, _ := role[f].(string); return v }
	return RoleKey{Opportunity: s("externalOpportunityId"), Person: s("externalPersonId"), Role: s("role")}
}

// label is a picklist column's display label when the row carries it, else its number.
func label(row dataverse.Row, col string) string {
	if l := row.String(col + "@OData.Community.Display.V1.FormattedValue"); l != "" {
		return l
	}
	if n, ok := row.Int(col); ok {
		return strconv.FormatInt(n, 10)
	}
	return ""
}

// quoted names a row for a message: 'Name' (id), or just 'id'.
func quoted(n, id string) string {
	if n == "" {
		return "'" + id + "'"
	}
	return "'" + n + "' (" + id + ")"
}
