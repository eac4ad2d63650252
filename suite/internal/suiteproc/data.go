package suiteproc

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/msisync/msisync/platform/extid"
)

// SalesPerson is a CRM user as the REST API takes it.
type SalesPerson struct {
	ExternalSalesPersonID string `json:"externalSalesPersonId"`
	Email                 string `json:"email"`
	FirstName             string `json:"firstName"`
	LastName              string `json:"lastName"`
	Title                 string `json:"title"`
	Phone                 string `json:"phone"`
}

// Company is a CRM account as the REST API takes it.
type Company struct {
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

// Lead is a CRM lead or contact as the REST API takes it.
type Lead struct {
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

// Dataset is the CRM data of a run.
type Dataset struct {
	SalesPersons []SalesPerson
	Companies    []Company
	Leads        []Lead
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

// NewRand returns the generator Generate uses for seed.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x6d736973796e63))
}

// Generate builds the data of a run from seed: sales persons, companies owned by them, and
// leads at those companies owned by the company's owner. Every external id is a random GUID
// in mixed case, as CRMs send them.
func Generate(seed uint64, nSales, nCompanies, nLeads int) *Dataset {
	rng := NewRand(seed)
	d := &Dataset{
		SalesPersons: make([]SalesPerson, nSales),
		Companies:    make([]Company, nCompanies),
		Leads:        make([]Lead, nLeads),
	}
	for i := range d.SalesPersons {
		d.SalesPersons[i] = RandomSalesPerson(rng, i)
	}
	for i := range d.Companies {
		d.Companies[i] = RandomCompany(rng, d.SalesPersons, i)
	}
	for i := range d.Leads {
		d.Leads[i] = RandomLead(rng, d.Companies, i)
	}
	return d
}

// RandomSalesPerson returns the i-th generated sales person.
func RandomSalesPerson(rng *rand.Rand, i int) SalesPerson {
	first, last := pick(rng, firstNames), pick(rng, lastNames)
	return SalesPerson{
		ExternalSalesPersonID: MixedGUID(rng),
		Email:                 fmt.Sprintf("%s.%s.%d@seller.example.com", strings.ToLower(first), asciiLower(last), i),
		FirstName:             first,
		LastName:              last,
		Title:                 "Account Executive",
		Phone:                 phone(rng),
	}
}

// RandomCompany returns the i-th generated company, owned by one of owners.
func RandomCompany(rng *rand.Rand, owners []SalesPerson, i int) Company {
	return Company{
		ExternalCompanyID:     MixedGUID(rng),
		ExternalSalesPersonID: owners[rng.IntN(len(owners))].ExternalSalesPersonID,
		Company:               fmt.Sprintf("%s %s %d", pick(rng, lastNames), pick(rng, []string{"GmbH", "Ltd", "Inc.", "SA", "AB"}), i),
		Website:               fmt.Sprintf("https://www.company%d.example.com", i),
		MainPhone:             phone(rng),
		Industry:              pick(rng, industries),
		BillingCity:           pick(rng, cities),
		BillingCountry:        pick(rng, []string{"Germany", "Portugal", "USA", "Canada", "Japan", "Kenya", "Australia", "Ireland"}),
		NumberOfEmployees:     10 + rng.IntN(20000),
	}
}

// RandomLead returns the i-th generated lead, at one of companies and owned by its owner,
// with a new random externalPersonId and an email unique to i.
func RandomLead(rng *rand.Rand, companies []Company, i int) Lead {
	first, last := pick(rng, firstNames), pick(rng, lastNames)
	c := companies[rng.IntN(len(companies))]
	return Lead{
		ExternalPersonID:      MixedGUID(rng),
		ExternalCompanyID:     c.ExternalCompanyID,
		ExternalSalesPersonID: c.ExternalSalesPersonID,
		Email:                 fmt.Sprintf("%s.%s.%d@customer%d.example.com", strings.ToLower(first), asciiLower(last), i, i%997),
		FirstName:             first,
		LastName:              last,
		Title:                 pick(rng, titles),
		Phone:                 phone(rng),
		City:                  pick(rng, cities),
	}
}

// pick returns a random element of s.
func pick(rng *rand.Rand, s []string) string { return s[rng.IntN(len(s))] }

// MixedGUID returns a random version-4 GUID, 8-4-4-4-12, each hex letter randomly upper or
// lower case.
func MixedGUID(rng *rand.Rand) string {
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

// Key returns the match key the suite stores for an external id (a lowercase GUID).
func Key(raw string) string {
	return extid.Key(raw)
}

// Canonical returns the canonical form the suite stores for an external id.
func Canonical(raw string) string {
	id, err := extid.Normalize(raw)
	if err != nil {
		return raw
	}
	return id.Canonical
}
