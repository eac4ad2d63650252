package objects

import (
	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
)

// SalesPerson is the Marketo SalesPerson object (CRM users), step 1 of the MSI order. The
// sync-run API decodes sales persons through it; the Marketo sales-person endpoints
// describe, check and render them through it and keep their own decoder, which ignores a
// null id.
var SalesPerson = &Object{
	Name:        "SalesPerson",
	Display:     "Sales Person",
	Plural:      "Sales Persons",
	Description: "A CRM user who owns companies, leads and opportunities (Dynamics systemuser). Sync these first.",
	IDField:     "id",
	Dedupe:      []string{"externalSalesPersonId"},
	Searchable:  [][]string{{"email"}, {"id"}, {"externalSalesPersonId"}},
	Record:      &identityv1.SalesPerson{},
	Input:       &identityv1.SalesPersonInput{},
	Renames:     renames(nil),
	Types:       map[string]string{"email": "email", "phone": "phone", "mobilePhone": "phone", "fax": "phone"},
}
