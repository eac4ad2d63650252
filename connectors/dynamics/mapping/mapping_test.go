package mapping

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
)

const (
	user     = "11111111-1111-1111-1111-111111111111"
	disabled = "22222222-2222-2222-2222-222222222222"
	team     = "33333333-3333-3333-3333-333333333333"
	account  = "44444444-4444-4444-4444-444444444444"
	contact  = "55555555-5555-5555-5555-555555555555"
	opp      = "66666666-6666-6666-6666-666666666666"
	stake    = "77777777-7777-7777-7777-777777777777"
	salesTm  = "88888888-8888-8888-8888-888888888888"
)

// users knows one active and one disabled user, the administrators of teams, and a
// fallback owner.
type users struct {
	active   map[string]bool
	admins   map[string]string
	fallback string
}

func (u users) Active(id string) (bool, bool)  { a, ok := u.active[id]; return a, ok }
func (u users) Administrator(id string) string { return u.admins[id] }
func (u users) Fallback() string               { return u.fallback }

var directory = users{active: map[string]bool{user: true, disabled: false}}

// row decodes a Dataverse JSON object as the client does (numbers as json.Number).
func row(t *testing.T, s string) dataverse.Row {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var r dataverse.Row
	if err := d.Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestUserSyncsOnlyEnabledInteractiveUsers(t *testing.T) {
	for _, tc := range []struct {
		name, json string
		synced     bool
	}{
		{"enabled", `{"systemuserid":"` + strings.ToUpper(user) + `","internalemailaddress":"Ann@Example.com","firstname":"Ann","isdisabled":false,"accessmode":0,"applicationid":null}`, true},
		{"disabled", `{"systemuserid":"` + disabled + `","internalemailaddress":"bo@example.com","isdisabled":true,"accessmode":0}`, false},
		{"application user", `{"systemuserid":"` + team + `","isdisabled":false,"accessmode":4,"applicationid":"` + opp + `"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, u := User(row(t, tc.json))
			if (rec != nil) != tc.synced || u.Active != tc.synced {
				t.Fatalf("User = %v, %+v; want synced %v", rec, u, tc.synced)
			}
			if tc.synced && (rec["externalSalesPersonId"] != user || rec["email"] != "Ann@Example.com") {
				t.Errorf("sales person = %v, want lowercase id and the email as Dynamics has it", rec)
			}
		})
	}
}

func TestOwnersAreNeverGuessed(t *testing.T) {
	for _, tc := range []struct {
		name, owner, ownerType string
		want                   string
		kind                   Kind
	}{
		{"user", user, "systemuser", user, 0},
		{"team", team, "team", "", TeamOwner},
		{"disabled user", disabled, "systemuser", "", InactiveOwner},
		{"user not seen yet", account, "systemuser", account, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, found := Account(row(t, `{"accountid":"`+account+`","name":"Contoso","_ownerid_value":"`+tc.owner+
				`","_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"`+tc.ownerType+`","industrycode":7,"industrycode@OData.Community.Display.V1.FormattedValue":"Consulting","revenue":1250000.5}`), directory)
			if (len(found) > 0) != (tc.kind != 0) || (tc.kind != 0 && found[0].Kind != tc.kind) {
				t.Errorf("findings = %+v, want kind %v", found, tc.kind)
			}
			if tc.want == "" {
				if rec != nil {
					t.Errorf("an account without an owner MSI can show was sent: %v", rec)
				}
				return
			}
			if got, _ := rec["externalSalesPersonId"].(string); got != tc.want {
				t.Errorf("owner = %q, want %q", got, tc.want)
			}
			if rec["industry"] != "Consulting" || rec["annualRevenue"] != 1250000.5 || rec["company"] != "Contoso" {
				t.Errorf("company = %v", rec)
			}
		})
	}
}

func TestCompanyOwnerFallsBackToTeamAdministratorThenFallbackOwner(t *testing.T) {
	const admin, fallback = "99999999-9999-9999-9999-999999999999", "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa"
	u := users{active: map[string]bool{user: true, disabled: false, admin: true, fallback: true}, admins: map[string]string{team: admin}}
	acct := func(owner, ownerType string) dataverse.Row {
		return row(t, `{"accountid":"`+account+`","name":"Contoso","_ownerid_value":"`+owner+`","_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"`+ownerType+`"}`)
	}
	if rec, found := Account(acct(team, "team"), u); rec["externalSalesPersonId"] != admin || len(found) != 1 || found[0].Kind != TeamOwner {
		t.Errorf("team-owned account: %v %v, want the team's administrator and a finding", rec, found)
	}
	if rec, found := Account(acct(disabled, "systemuser"), u); rec != nil || len(found) != 1 {
		t.Errorf("account of a disabled user without a fallback: %v %v, want it held with a finding", rec, found)
	}
	u.fallback = fallback
	if rec, found := Account(acct(disabled, "systemuser"), u); rec["externalSalesPersonId"] != fallback || len(found) != 1 || found[0].Kind != InactiveOwner {
		t.Errorf("account of a disabled user: %v %v, want the fallback owner and a finding", rec, found)
	}
	u.active[admin] = false
	if rec, _ := Account(acct(team, "team"), u); rec["externalSalesPersonId"] != fallback {
		t.Errorf("team account whose administrator is disabled: %v, want the fallback owner", rec)
	}
}

func TestEveryMappedColumnIsSentAndAnEmptyOneClears(t *testing.T) {
	// A contact whose owner is a team and whose parent account was removed: the owner, the
	// company and every empty column go out as explicit clears.
	rec, found := Contact(row(t, `{"contactid":"`+contact+`","firstname":"Ann","_ownerid_value":"`+team+`","_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"team"}`), directory)
	want := Record{"externalPersonId": contact, "externalSalesPersonId": "", "externalCompanyId": "", "company": "", "email": "", "firstName": "Ann",
		"lastName": "", "phone": "", "city": "", "country": "", "title": "", "mobilePhone": ""}
	if !reflect.DeepEqual(rec, want) || len(found) != 1 || found[0].Kind != TeamOwner {
		t.Errorf("contact = %v %v\nwant %v", rec, found, want)
	}
	rec, _ = LeadRow(row(t, `{"leadid":"`+contact+`","_ownerid_value":"`+disabled+`","_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"systemuser"}`), directory)
	if rec["externalSalesPersonId"] != "" || rec["externalCompanyId"] != "" {
		t.Errorf("lead of a disabled user without an account = %v, want owner and company cleared", rec)
	}
	rec, _ = Account(row(t, `{"accountid":"`+account+`","name":"Contoso","_ownerid_value":"`+user+`"}`), directory)
	if v, ok := rec["annualRevenue"]; !ok || v != nil || rec["website"] != "" {
		t.Errorf("account without revenue or website = %v, want them cleared", rec)
	}
}

func TestContactCompanyComesFromAnAccountParentOnly(t *testing.T) {
	rec, found := Contact(row(t, `{"contactid":"`+contact+`","emailaddress1":"x@y.com","_parentcustomerid_value":"`+account+
		`","_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"account","_parentcustomerid_value@OData.Community.Display.V1.FormattedValue":"Contoso"}`), directory)
	if rec["externalCompanyId"] != account || rec["company"] != "Contoso" || len(found) != 0 {
		t.Errorf("account parent: %v %v", rec, found)
	}
	rec, found = Contact(row(t, `{"contactid":"`+contact+`","_parentcustomerid_value":"`+opp+`","_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"contact"}`), directory)
	if rec["externalCompanyId"] != "" || len(found) != 1 || found[0].Kind != ParentIsContact {
		t.Errorf("contact parent: %v %v", rec, found)
	}
}

func TestOpportunityStateCustomerAndCompany(t *testing.T) {
	rec, role, found := OpportunityRow(row(t, `{"opportunityid":"`+opp+`","name":"Big deal","_customerid_value":"`+contact+
		`","_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname":"contact","_parentaccountid_value":"`+account+
		`","_ownerid_value":"`+user+`","statecode":1,"estimatedvalue":1000,"actualvalue":1200,"estimatedclosedate":"2026-12-01","actualclosedate":"2026-11-20","closeprobability":100,"stepname":"3-Close"}`), directory)
	want := Record{"externalOpportunityId": opp, "name": "Big deal", "externalCompanyId": account, "externalSalesPersonId": user, "description": "",
		"isClosed": true, "isWon": true, "amount": 1200.0, "closeDate": "2026-11-20", "probability": int64(100), "stage": "3-Close"}
	if !reflect.DeepEqual(rec, want) || len(found) != 0 {
		t.Errorf("won opportunity = %v %v\nwant %v", rec, found, want)
	}
	if KeyOf(role) != (RoleKey{Opportunity: opp, Person: contact, Role: CustomerRole}) {
		t.Errorf("customer role = %v", role)
	}
	_, _, found = OpportunityRow(row(t, `{"opportunityid":"`+opp+`","name":"x","_ownerid_value":"`+user+`","statecode":0}`), directory)
	if len(found) != 1 || found[0].Kind != Other {
		t.Errorf("an opportunity without an account must be explained: %v", found)
	}
}

func TestOnlyStakeholderConnectionsFromOpportunityToContactAreRoles(t *testing.T) {
	roles := map[string]ConnectionRole{stake: {Name: "Decision Maker", Category: StakeholderCategory}, salesTm: {Name: "Account Manager", Category: 1001}}
	conn := func(t1, t2 int, roleID string, state int) dataverse.Row {
		return row(t, `{"connectionid":"`+account+`","_record1id_value":"`+opp+`","_record2id_value":"`+contact+`","_record2roleid_value":"`+roleID+
			`","record1objecttypecode":`+itoa(t1)+`,"record2objecttypecode":`+itoa(t2)+`,"statecode":`+itoa(state)+`}`)
	}
	if got := Connection(conn(3, 2, stake, 0), roles); KeyOf(got) != (RoleKey{Opportunity: opp, Person: contact, Role: "Decision Maker"}) {
		t.Errorf("stakeholder connection = %v", got)
	}
	for name, r := range map[string]dataverse.Row{
		"reverse row of the pair": conn(2, 3, stake, 0),
		"sales team":              conn(3, 2, salesTm, 0),
		"inactive":                conn(3, 2, stake, 1),
		"unknown role":            conn(3, 2, team, 0),
	} {
		if got := Connection(r, roles); got != nil {
			t.Errorf("%s mapped to a role: %v", name, got)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
