package objects

import (
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
)

// SalesPerson is the Marketo SalesPerson object (CRM users), step 1 of the MSI order. The
// sync-run API decodes sales persons through it; the Marketo sales-person endpoints keep
// their own decoder for now.
var SalesPerson = &Object{
	Name:        "SalesPerson",
	Display:     "Sales Person",
	Plural:      "Sales Persons",
	Description: "A CRM user who owns accounts, leads and opportunities. Sync sales persons first: their email must equal the CRM user's email.",
	IDField:     "id",
	Dedupe:      []string{"externalSalesPersonId"},
	Searchable:  [][]string{{"externalSalesPersonId"}, {"id"}, {"email"}},
	Record:      &identityv1.SalesPerson{},
	Input:       &identityv1.SalesPersonInput{},
	Renames:     renames(nil),
	Types:       map[string]string{"email": "email", "phone": "phone", "mobilePhone": "phone", "fax": "phone"},
}
