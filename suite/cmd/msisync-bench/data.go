package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/msisync/msisync/platform/extid"
)

// salesPerson is a CRM user as the REST API takes it.
type salesPerson struct {
	ExternalSalesPersonID string `json:"externalSalesPersonId"`
	Email                 string `json:"email"`
	FirstName             string `json:"firstName"`
	LastName              string `json:"lastName"`
	Title                 string `json:"title"`
	Phone                 string `json:"phone"`
}

// company is a CRM account as the REST API takes it.
type company struct {
	ExternalCompanyID     string `json:"externalCompanyId"`
	ExternalSalesPersonID string `json:"externalSalesPersonId"`
	Company               string `json:"company"`
	Website               string `json:"website"`
	MainPhone             string `json:"mainPhone"`
	Industry              string `json:"industry"`
	BillingCity           string `json:"billingCity"`
	BillingCountry        string `json:"billingCountry"`
	NumberOfEmployees     int    `json:"numberOfEmployees"`
}

// lead is a CRM lead or contact as the REST API takes it.
type lead struct {
	ExternalPersonID      string `json:"externalPersonId"`
	ExternalCompanyID     string `json:"externalCompanyId"`
	ExternalSalesPersonID string `json:"externalSalesPersonId"`
	Email                 string `json:"email"`
	FirstName             string `json:"firstName"`
	LastName              string `json:"lastName"`
	Title                 string `json:"title"`
	Phone                 string `json:"phone"`
	City                  string `json:"city"`
}

// dataset is everything one run syncs.
type dataset struct {
	salesPersons []salesPerson
	companies    []company
	leads        []lead
}

var (
	firstNames = []string{"Dana", "Alex", "Maria", "Kenji", "Priya", "Lars", "Amara", "Chen", "Sofia", "Omar",
		"Elena", "Jonas", "Aisha", "Mateo", "Hannah", "Ravi", "Chloe", "Tomas", "Yuki", "Fatima"}
	lastNames = []string{"Lee", "Schmidt", "Garcia", "Tanaka", "Patel", "Nilsson", "Okafor", "Wang", "Rossi", "Haddad",
		"Petrova", "Berg", "Khan", "Lopez", "Müller", "Sharma", "Martin", "Novak", "Sato", "Benali"}
	titles = []string{"Account Executive", "VP Sales", "CTO", "Head of Marketing", "Procurement Manager",
		"IT Director", "Operations Lead", "CFO", "Software Engineer", "Marketing Coordinator"}
	cities = []string{"Berlin", "Lisbon", "Austin", "Toronto", "Osaka", "Nairobi", "Melbourne", "Dublin",
		"São Paulo", "Stockholm", "Chicago", "Zürich", "Lyon", "Pune", "Seattle"}
	industries = []string{"Software", "Manufacturing", "Retail", "Healthcare", "Finance", "Logistics", "Energy", "Education"}
)

// generate builds the data of a run from seed: sales persons, companies owned by them, and
// leads at those companies owned by the company's owner. Every external id is a random GUID
// in mixed case, as CRMs send them.
func generate(seed uint64, nSales, nCompanies, nLeads int) *dataset {
	rng := rand.New(rand.NewPCG(seed, 0x6d736973796e63))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	d := &dataset{
		salesPersons: make([]salesPerson, nSales),
		companies:    make([]company, nCompanies),
		leads:        make([]lead, nLeads),
	}
	for i := range d.salesPersons {
		first, last := pick(firstNames), pick(lastNames)
		d.salesPersons[i] = salesPerson{
			ExternalSalesPersonID: mixedGUID(rng),
			Email:                 fmt.Sprintf("%s.%s.%d@seller.example.com", strings.ToLower(first), asciiLower(last), i),
			FirstName:             first,
			LastName:              last,
			Title:                 "Account Executive",
			Phone:                 phone(rng),
		}
	}
	for i := range d.companies {
		d.companies[i] = company{
			ExternalCompanyID:     mixedGUID(rng),
			ExternalSalesPersonID: d.salesPersons[rng.IntN(nSales)].ExternalSalesPersonID,
			Company:               fmt.Sprintf("%s %s %d", pick(lastNames), pick([]string{"GmbH", "Ltd", "Inc.", "SA", "AB"}), i),
			Website:               fmt.Sprintf("https://www.company%d.example.com", i),
			MainPhone:             phone(rng),
			Industry:              pick(industries),
			BillingCity:           pick(cities),
			BillingCountry:        pick([]string{"Germany", "Portugal", "USA", "Canada", "Japan", "Kenya", "Australia", "Ireland"}),
			NumberOfEmployees:     10 + rng.IntN(20000),
		}
	}
	for i := range d.leads {
		first, last := pick(firstNames), pick(lastNames)
		c := d.companies[rng.IntN(nCompanies)]
		d.leads[i] = lead{
			ExternalPersonID:      mixedGUID(rng),
			ExternalCompanyID:     c.ExternalCompanyID,
			ExternalSalesPersonID: c.ExternalSalesPersonID,
			Email:                 fmt.Sprintf("%s.%s.%d@customer%d.example.com", strings.ToLower(first), asciiLower(last), i, i%997),
			FirstName:             first,
			LastName:              last,
			Title:                 pick(titles),
			Phone:                 phone(rng),
			City:                  pick(cities),
		}
	}
	return d
}

// mixedGUID returns a random version-4 GUID, 8-4-4-4-12, each hex letter randomly upper or
// lower case.
func mixedGUID(rng *rand.Rand) string {
	const hexLower, hexUpper = "0123456789abcdef", "0123456789ABCDEF"
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	out := make([]byte, 0, 36)
	for i, v := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		for _, nib := range []byte{v >> 4, v & 0x0f} {
			if rng.IntN(2) == 0 {
				out = append(out, hexLower[nib])
			} else {
				out = append(out, hexUpper[nib])
			}
		}
	}
	return string(out)
}

// phone returns a random phone number.
func phone(rng *rand.Rand) string {
	return fmt.Sprintf("+1 %03d %03d %04d", 200+rng.IntN(800), rng.IntN(1000), rng.IntN(10000))
}

// asciiLower lower-cases s and drops what is not a-z, for email local parts.
func asciiLower(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// key returns the match key the suite stores for an external id (a lowercase GUID).
func key(raw string) string {
	return extid.Key(raw)
}

// canonical returns the canonical form the suite stores for an external id.
func canonical(raw string) string {
	id, err := extid.Normalize(raw)
	if err != nil {
		return raw
	}
	return id.Canonical
}
