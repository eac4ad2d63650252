package objects

import (
	accountv1 "github.com/msisync/msisync/gen/msisync/account/v1"
	opportunityv1 "github.com/msisync/msisync/gen/msisync/opportunity/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
)

// timestamps are the Marketo names of every record's creation and update times.
var timestamps = map[string]string{"create_time": "createdAt", "update_time": "updatedAt"}

func renames(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range timestamps {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// msiFields are the lead fields MSI computes; lead sync refuses them per record.
var msiFields = map[string]string{
	"leadScore":                      "it is kept by the scoring service",
	"urgency":                        "MSI computes it from score changes",
	"relativeUrgency":                "MSI computes it from score changes",
	"relativeScore":                  "MSI computes it from scores",
	"relativeScoring":                "MSI computes it from scores",
	"priority":                       "MSI computes it from urgency and relative score",
	"msiLastInterestingMomentType":   "it comes from interesting moments",
	"msiLastInterestingMomentDate":   "it comes from interesting moments",
	"msiLastInterestingMomentDesc":   "it comes from interesting moments",
	"msiLastInterestingMomentSource": "it comes from interesting moments",
	"crmDeleted":                     crmDeleted,
}

// crmDeleted explains why sync refuses the read-only field crmDeleted of leads, companies
// and opportunities.
const crmDeleted = "a CRM connector sets it when the CRM deleted the record and msisync keeps it (MSISYNC_DELETE_MODE=flag)"

// Company is the Marketo Company object (CRM accounts), step 2 of the MSI order.
var Company = &Object{
	Name:        "Company",
	Display:     "Company",
	Plural:      "Companies",
	Description: "A CRM account (Dynamics account). Needs its owner, the sales person, synced first.",
	IDField:     "id",
	Dedupe:      []string{"externalCompanyId"},
	Searchable:  [][]string{{"externalCompanyId"}, {"id"}, {"company"}, {"externalSalesPersonId"}},
	Record:      &accountv1.Company{},
	Input:       &accountv1.CompanyInput{},
	Renames:     renames(nil),
	Types:       map[string]string{"website": "url", "mainPhone": "phone", "annualRevenue": "currency"},
	ReadOnly:    map[string]string{"crmDeleted": crmDeleted},
}

// Lead is the Marketo Lead object (CRM leads and contacts), step 3 of the MSI order.
var Lead = &Object{
	Name:          "Lead",
	Display:       "Lead",
	Plural:        "Leads",
	Description:   "A person: a CRM lead or contact. Needs its owner and company synced first.",
	IDField:       "id",
	Dedupe:        []string{"email"},
	Searchable:    [][]string{{"email"}, {"id"}, {"externalPersonId"}, {"externalCompanyId"}, {"externalSalesPersonId"}},
	Record:        &personv1.Lead{},
	Input:         &personv1.LeadInput{},
	Renames:       renames(nil),
	Types:         map[string]string{"email": "email", "website": "url", "phone": "phone", "mobilePhone": "phone", "fax": "phone", "annualRevenue": "currency"},
	ReadOnly:      msiFields,
	Custom:        "custom_fields",
	DefaultFields: []string{"id", "email", "firstName", "lastName", "updatedAt", "createdAt"},
}

// Opportunity is the Marketo Opportunity object, step 4 of the MSI order.
var Opportunity = &Object{
	Name:        "Opportunity",
	Display:     "Opportunity",
	Plural:      "Opportunities",
	Description: "A CRM opportunity. Needs its company and owner synced first.",
	IDField:     "marketoGUID",
	Dedupe:      []string{"externalOpportunityId"},
	Searchable:  [][]string{{"marketoGUID"}, {"externalOpportunityId"}, {"externalCompanyId"}, {"externalSalesPersonId"}},
	Record:      &opportunityv1.Opportunity{},
	Input:       &opportunityv1.OpportunityInput{},
	Renames:     renames(map[string]string{"marketo_guid": "marketoGUID"}),
	Types:       map[string]string{"amount": "currency", "expectedRevenue": "currency"},
	ReadOnly:    map[string]string{"crmDeleted": crmDeleted},
}

// OpportunityRole is the Marketo Opportunity Role object (contact roles), step 5.
var OpportunityRole = &Object{
	Name:        "OpportunityRole",
	Display:     "Opportunity Role",
	Plural:      "Opportunity Roles",
	Description: "A person's role on an opportunity. Needs the opportunity and the lead synced first.",
	IDField:     "marketoGUID",
	Dedupe:      []string{"externalOpportunityId", "leadId", "role"},
	Searchable:  [][]string{{"marketoGUID"}, {"externalOpportunityId", "leadId", "role"}, {"externalOpportunityId"}, {"leadId"}},
	Record:      &opportunityv1.OpportunityRole{},
	Input:       &opportunityv1.OpportunityRoleInput{},
	Renames:     renames(map[string]string{"marketo_guid": "marketoGUID"}),
}
