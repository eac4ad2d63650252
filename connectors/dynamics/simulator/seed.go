package simulator

import (
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strings"
	"time"
)

// SeedOptions sizes a generated org. Zero sizes take the defaults of DefaultSeedOptions;
// negative sizes mean none.
type SeedOptions struct {
	// Random seeds the generator: the same SeedOptions always give the same org.
	Random int64
	// Users is the number of interactive system users (2 of them disabled); the application
	// user always exists in addition.
	Users int
	// Accounts, Contacts, Leads and Opportunities are the row counts of those sets.
	Accounts      int
	Contacts      int
	Leads         int
	Opportunities int
	// OrgDomain is the e-mail domain of the users (default "northwind-sim.com").
	OrgDomain string
}

// DefaultSeedOptions returns the sizes of "a realistic org".
func DefaultSeedOptions() SeedOptions {
	return SeedOptions{Random: 1, Users: 50, Accounts: 2000, Contacts: 20000, Leads: 5000, Opportunities: 3000,
		OrgDomain: "northwind-sim.com"}
}

// SeedReport counts what a seed generated, including the odd cases a connector must handle.
type SeedReport struct {
	// OrganizationID, BusinessUnitID and ApplicationUserID are the ids WhoAmI returns.
	OrganizationID    string `json:"organizationId"`
	BusinessUnitID    string `json:"businessUnitId"`
	ApplicationUserID string `json:"applicationUserId"`
	// OrgDomain is the users' e-mail domain.
	OrgDomain string `json:"orgDomain"`

	// Users counts interactive users (disabled ones included, the application user not);
	// the other counts are rows generated per set.
	Users           int `json:"users"`
	DisabledUsers   int `json:"disabledUsers"`
	Teams           int `json:"teams"`
	Accounts        int `json:"accounts"`
	Contacts        int `json:"contacts"`
	Leads           int `json:"leads"`
	Opportunities   int `json:"opportunities"`
	ConnectionRoles int `json:"connectionRoles"`
	// StakeholderConnections and SalesTeamConnections count connection pairs;
	// ConnectionRows counts rows (two per pair).
	StakeholderConnections int `json:"stakeholderConnections"`
	SalesTeamConnections   int `json:"salesTeamConnections"`
	ConnectionRows         int `json:"connectionRows"`

	// DisabledUserIDs and TeamIDs list the disabled users and the teams.
	DisabledUserIDs []string `json:"disabledUserIds"`
	TeamIDs         []string `json:"teamIds"`
	// AccountsOwnedByDisabledUser and ContactsOwnedByDisabledUser count records whose owner
	// is a disabled user.
	AccountsOwnedByDisabledUser int `json:"accountsOwnedByDisabledUser"`
	ContactsOwnedByDisabledUser int `json:"contactsOwnedByDisabledUser"`
	// OwnedByTeam counts records per entity set whose _ownerid_value is a team.
	OwnedByTeam map[string]int `json:"ownedByTeam"`
	// ContactsWithContactParent counts contacts whose parentcustomerid is a contact;
	// ContactsWithoutParent those with no parentcustomerid.
	ContactsWithContactParent int `json:"contactsWithContactParent"`
	ContactsWithoutParent     int `json:"contactsWithoutParent"`
	// LeadsWithoutAccount counts leads with companyname only (no _parentaccountid_value).
	LeadsWithoutAccount int `json:"leadsWithoutAccount"`
	// OpportunitiesWithContactCustomer counts opportunities whose customer is a contact;
	// ...NoAccount those of them whose contact has no account (parentaccountid null).
	OpportunitiesWithContactCustomer          int `json:"opportunitiesWithContactCustomer"`
	OpportunitiesWithContactCustomerNoAccount int `json:"opportunitiesWithContactCustomerNoAccount"`
	// MixedCaseEmails counts contacts and leads whose emailaddress1 is not lowercase.
	MixedCaseEmails int `json:"mixedCaseEmails"`
	// Duration is how long generation took.
	Duration time.Duration `json:"duration"`
}

// SeedReport returns the report of the seeds applied so far (counts add up over Seed calls).
func (s *Simulator) SeedReport() SeedReport {
	s.idsMu.Lock()
	defer s.idsMu.Unlock()
	r := s.report
	r.OwnedByTeam = map[string]int{}
	for k, v := range s.report.OwnedByTeam {
		r.OwnedByTeam[k] = v
	}
	r.DisabledUserIDs = append([]string(nil), s.report.DisabledUserIDs...)
	r.TeamIDs = append([]string(nil), s.report.TeamIDs...)
	return r
}

// baseline creates the organization ids, the application user and the connection roles.
func (s *Simulator) baseline(seed int64) {
	rng := rand.New(rand.NewSource(seed ^ 0x5eed0ba5e))
	s.idsMu.Lock()
	s.organizationID, s.businessUnitID, s.appUserID = seededGUID(rng), seededGUID(rng), seededGUID(rng)
	s.report = SeedReport{OrganizationID: s.organizationID, BusinessUnitID: s.businessUnitID,
		ApplicationUserID: s.appUserID, OwnedByTeam: map[string]int{}}
	s.idsMu.Unlock()
	o := s.org
	o.mu.Lock()
	defer o.mu.Unlock()
	o.put(o.tables["systemusers"], s.appUserID, map[string]any{
		"firstname": "#", "lastname": "msisync-sim", "fullname": "# msisync-sim",
		"internalemailaddress": "msisync-sim@application.invalid", "domainname": "app-" + s.opts.ClientID + "@application.invalid",
		"isdisabled": false, "accessmode": int64(4), "applicationid": seededGUID(rng),
	}, nil)
	for _, r := range connectionRoleSeed {
		o.put(o.tables["connectionroles"], seededGUID(rng), map[string]any{
			"name": r.name, "category": r.category, "statecode": int64(0)}, nil)
	}
	s.report.ConnectionRoles = len(connectionRoleSeed)
}

// seedSizes resolves zero (default) and negative (none) sizes.
func seedSizes(o SeedOptions) SeedOptions {
	d := DefaultSeedOptions()
	fix := func(v, def int) int {
		if v == 0 {
			return def
		}
		return max(v, 0)
	}
	o.Users, o.Accounts, o.Contacts = fix(o.Users, d.Users), fix(o.Accounts, d.Accounts), fix(o.Contacts, d.Contacts)
	o.Leads, o.Opportunities = fix(o.Leads, d.Leads), fix(o.Opportunities, d.Opportunities)
	if o.OrgDomain == "" {
		o.OrgDomain = d.OrgDomain
	}
	return o
}

// share returns round(n*frac), at least 1 when n > 0 and at most n.
func share(n int, frac float64) int {
	if n <= 0 {
		return 0
	}
	return min(n, max(1, int(math.Round(float64(n)*frac))))
}

// seeder holds the state of one Seed run.
type seeder struct {
	rng      *rand.Rand
	o        *org
	rep      *SeedReport
	ref      time.Time // "now" of the generated history
	enabled  []string  // enabled interactive users
	disabled []string
	teams    []string
	acctID   []string
	acctName []string
	acctDom  []string
	acctCont [][]int // contact indexes per account
	contID   []string
	contAcct []int // parent account index, -1 none
	contNoAc []int // contacts without an account parent
	stRoles  []string
	stfRoles []string
}

func (g *seeder) guid() string           { return seededGUID(g.rng) }
func (g *seeder) pick(l []string) string { return l[g.rng.Intn(len(l))] }

// modified returns a back-dated modifiedon within the last two years of the reference time.
func (g *seeder) modified() string {
	return g.ref.Add(-time.Duration(g.rng.Int63n(int64(730 * 24 * time.Hour)))).Truncate(time.Second).Format(time.RFC3339)
}

// owner returns an owner lookup: a team, a disabled user or an enabled user.
func (g *seeder) owner(team, disabled bool) (string, string) {
	switch {
	case team && len(g.teams) > 0:
		return g.pick(g.teams), "team"
	case disabled && len(g.disabled) > 0:
		return g.pick(g.disabled), "systemuser"
	case len(g.enabled) > 0:
		return g.pick(g.enabled), "systemuser"
	}
	return "", ""
}

// flags marks k distinct random indexes of n, skipping those already in taken.
func (g *seeder) flags(n, k int, taken []bool) []bool {
	out := make([]bool, n)
	for k > 0 {
		i := g.rng.Intn(n)
		if out[i] || (taken != nil && taken[i]) {
			continue
		}
		out[i] = true
		k--
	}
	return out
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Seed adds a generated org of the given sizes (deterministic for the same options) and
// returns the cumulative SeedReport.
func (s *Simulator) Seed(opts SeedOptions) SeedReport {
	start := time.Now()
	opts = seedSizes(opts)
	rep := SeedReport{OwnedByTeam: map[string]int{}, OrgDomain: opts.OrgDomain}
	g := &seeder{rng: rand.New(rand.NewSource(opts.Random)), o: s.org, rep: &rep,
		ref: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s.org.mu.Lock()
	for id, rec := range s.org.tables["connectionroles"].rows {
		switch rec.vals["category"] {
		case int64(1000):
			g.stRoles = append(g.stRoles, id)
		case int64(1001):
			g.stfRoles = append(g.stfRoles, id)
		}
	}
	sort.Strings(g.stRoles)
	sort.Strings(g.stfRoles)
	g.users(opts)
	g.accounts(opts.Accounts)
	g.contacts(opts.Contacts)
	g.leads(opts.Leads)
	g.opportunities(opts.Opportunities)
	s.org.mu.Unlock()
	rep.Duration = time.Since(start)

	s.idsMu.Lock()
	defer s.idsMu.Unlock()
	r := &s.report
	r.OrgDomain = rep.OrgDomain
	r.Users += rep.Users
	r.DisabledUsers += rep.DisabledUsers
	r.Teams += rep.Teams
	r.Accounts += rep.Accounts
	r.Contacts += rep.Contacts
	r.Leads += rep.Leads
	r.Opportunities += rep.Opportunities
	r.StakeholderConnections += rep.StakeholderConnections
	r.SalesTeamConnections += rep.SalesTeamConnections
	r.ConnectionRows += rep.ConnectionRows
	r.DisabledUserIDs = append(r.DisabledUserIDs, rep.DisabledUserIDs...)
	r.TeamIDs = append(r.TeamIDs, rep.TeamIDs...)
	r.AccountsOwnedByDisabledUser += rep.AccountsOwnedByDisabledUser
	r.ContactsOwnedByDisabledUser += rep.ContactsOwnedByDisabledUser
	for k, v := range rep.OwnedByTeam {
		r.OwnedByTeam[k] += v
	}
	r.ContactsWithContactParent += rep.ContactsWithContactParent
	r.ContactsWithoutParent += rep.ContactsWithoutParent
	r.LeadsWithoutAccount += rep.LeadsWithoutAccount
	r.OpportunitiesWithContactCustomer += rep.OpportunitiesWithContactCustomer
	r.OpportunitiesWithContactCustomerNoAccount += rep.OpportunitiesWithContactCustomerNoAccount
	r.MixedCaseEmails += rep.MixedCaseEmails
	r.Duration += rep.Duration
	out := *r
	out.OwnedByTeam = map[string]int{}
	for k, v := range r.OwnedByTeam {
		out.OwnedByTeam[k] = v
	}
	out.DisabledUserIDs = append([]string(nil), r.DisabledUserIDs...)
	out.TeamIDs = append([]string(nil), r.TeamIDs...)
	return out
}

// put inserts a new generated row, adopting vals as the record's storage (no copy).
func (g *seeder) put(set, id string, vals map[string]any, lks map[string]string) {
	t := g.o.tables[set]
	if _, exists := t.rows[id]; exists {
		g.o.put(t, id, vals, lks)
		return
	}
	for _, c := range t.def.cols {
		if _, ok := vals[c.name]; !ok {
			vals[c.name] = nil
		}
	}
	if lks == nil {
		lks = map[string]string{}
	}
	g.o.version++
	vals[t.def.primaryID], vals["versionnumber"], vals["modifiedon"] = id, g.o.version, g.modified()
	if t.def.col("statecode") != nil && vals["statecode"] == nil {
		vals["statecode"] = int64(0)
	}
	t.rows[id] = &record{vals: vals, lk: lks}
	t.sorted = nil
}

func (g *seeder) users(opts SeedOptions) {
	n := opts.Users
	nDisabled := min(2, max(n-1, 0))
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		first, last := g.pick(firstNames), g.pick(lastNames)
		local := strings.ToLower(first + "." + last)
		if seen[local]++; seen[local] > 1 {
			local = fmt.Sprintf("%s%d", local, seen[local])
		}
		id := g.guid()
		email := local + "@" + opts.OrgDomain
		disabled := i >= n-nDisabled
		g.put("systemusers", id, map[string]any{
			"firstname": first, "lastname": last, "fullname": first + " " + last, "internalemailaddress": email,
			"domainname": email, "isdisabled": disabled, "accessmode": int64(0),
		}, nil)
		if disabled {
			g.disabled = append(g.disabled, id)
		} else {
			g.enabled = append(g.enabled, id)
		}
	}
	g.rep.Users, g.rep.DisabledUsers = n, nDisabled
	g.rep.DisabledUserIDs = append([]string(nil), g.disabled...)
	if opts.Accounts+opts.Contacts+opts.Leads+opts.Opportunities > 0 {
		for i, name := range teamNames {
			id := g.guid()
			vals, lks := map[string]any{"name": name}, map[string]string{}
			// Every team has an administrator (teams.administratorid): an enabled user, but
			// the last team's is disabled when there is a disabled user.
			admin := ""
			switch {
			case i == len(teamNames)-1 && len(g.disabled) > 0:
				admin = g.disabled[0]
			case len(g.enabled) > 0:
				admin = g.enabled[i%len(g.enabled)]
			}
			if admin != "" {
				vals["_administratorid_value"], lks["_administratorid_value"] = admin, "systemuser"
			}
			g.put("teams", id, vals, lks)
			g.teams = append(g.teams, id)
		}
	}
	g.rep.Teams, g.rep.TeamIDs = len(g.teams), append([]string(nil), g.teams...)
}

// ownerFields sets _ownerid_value on vals/lks and counts team ownership.
func (g *seeder) ownerFields(set string, vals map[string]any, lks map[string]string, team, disabled bool) {
	id, lg := g.owner(team, disabled)
	if id == "" {
		return
	}
	vals["_ownerid_value"], lks["_ownerid_value"] = id, lg
	if lg == "team" {
		g.rep.OwnedByTeam[set]++
	}
}

func (g *seeder) accounts(n int) {
	team := g.flags(n, share(n, 0.01), nil)
	disabled := g.flags(n, min(3, n-share(n, 0.01)), team)
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		base := g.pick(companyAdj) + " " + g.pick(companyNoun)
		if seen[base]++; seen[base] > 1 {
			base = fmt.Sprintf("%s %d", base, seen[base])
		}
		name := base + " " + g.pick(companySuffix)
		dom := slug(base) + ".com"
		ci := g.rng.Intn(len(cities))
		id := g.guid()
		vals := map[string]any{
			"name": name, "websiteurl": "https://www." + dom, "telephone1": fmt.Sprintf("+1-555-%04d", g.rng.Intn(10000)),
			"address1_line1": fmt.Sprintf("%d %s", 1+g.rng.Intn(999), g.pick(streets)),
			"address1_city":  cities[ci][0], "address1_country": cities[ci][1],
			"address1_stateorprovince": states[ci], "address1_postalcode": fmt.Sprintf("%05d", g.rng.Intn(100000)),
			"industrycode": int64(1 + g.rng.Intn(33)), "sic": fmt.Sprintf("%04d", 100+g.rng.Intn(9800)),
			"numberofemployees": int64(5 + g.rng.Intn(20000)), "revenue": float64(g.rng.Intn(500000)) * 1000,
			"description": "Generated account.", "statecode": int64(0),
		}
		if g.rng.Intn(100) < 3 {
			vals["statecode"] = int64(1)
		}
		lks := map[string]string{}
		if i > 10 && g.rng.Intn(100) < 5 {
			vals["_parentaccountid_value"], lks["_parentaccountid_value"] = g.acctID[g.rng.Intn(i)], "account"
		}
		g.ownerFields("accounts", vals, lks, team[i], disabled[i])
		if disabled[i] {
			g.rep.AccountsOwnedByDisabledUser++
		}
		g.put("accounts", id, vals, lks)
		g.acctID, g.acctName, g.acctDom = append(g.acctID, id), append(g.acctName, name), append(g.acctDom, dom)
	}
	g.acctCont = make([][]int, n)
	g.rep.Accounts = n
}

// email builds first.last@domain, in mixed case when mixed is set.
func email(first, last, dom string, mixed bool) string {
	if mixed {
		return first + "." + last + "@" + strings.ToUpper(dom[:1]) + dom[1:]
	}
	return strings.ToLower(first+"."+last) + "@" + dom
}

func (g *seeder) contacts(n int) {
	noParent := g.flags(n, share(n, 0.02), nil)
	contactParent := g.flags(n, min(share(n, 0.005), n-share(n, 0.02)), noParent)
	if len(g.acctID) == 0 {
		for i := range noParent {
			noParent[i] = true
		}
	}
	taken := make([]bool, n)
	team := g.flags(n, share(n, 0.01), nil)
	copy(taken, team)
	disabled := g.flags(n, min(5, n-share(n, 0.01)), taken)
	mixed := g.flags(n, min(n, 5+n/2000), nil)
	g.contID, g.contAcct = make([]string, n), make([]int, n)
	for i := range g.contID {
		g.contID[i] = g.guid()
		g.contAcct[i] = -1
		if !noParent[i] && !contactParent[i] {
			g.contAcct[i] = g.rng.Intn(len(g.acctID))
		}
	}
	for i := 0; i < n; i++ {
		first, last := g.pick(firstNames), g.pick(lastNames)
		ci := g.rng.Intn(len(cities))
		vals := map[string]any{
			"firstname": first, "lastname": last, "fullname": first + " " + last, "jobtitle": g.pick(jobTitles),
			"telephone1": fmt.Sprintf("+1-555-%04d", g.rng.Intn(10000)), "mobilephone": fmt.Sprintf("+1-555-%04d", g.rng.Intn(10000)),
			"address1_city": cities[ci][0], "address1_country": cities[ci][1], "statecode": int64(0),
		}
		lks := map[string]string{}
		dom := g.pick(freeMail)
		switch {
		case g.contAcct[i] >= 0:
			a := g.contAcct[i]
			vals["_parentcustomerid_value"], lks["_parentcustomerid_value"] = g.acctID[a], "account"
			dom = g.acctDom[a]
			g.acctCont[a] = append(g.acctCont[a], i)
		case contactParent[i] && n > 1:
			p := g.rng.Intn(n)
			for tries := 0; (p == i || g.contAcct[p] < 0) && tries < 50; tries++ {
				p = g.rng.Intn(n)
			}
			if p == i {
				p = (i + 1) % n
			}
			vals["_parentcustomerid_value"], lks["_parentcustomerid_value"] = g.contID[p], "contact"
			if g.contAcct[p] >= 0 {
				dom = g.acctDom[g.contAcct[p]]
			}
			g.rep.ContactsWithContactParent++
		default:
			g.rep.ContactsWithoutParent++
			g.contNoAc = append(g.contNoAc, i)
		}
		if g.contAcct[i] < 0 && vals["_parentcustomerid_value"] != nil {
			g.contNoAc = append(g.contNoAc, i)
		}
		vals["emailaddress1"] = email(first, last, dom, mixed[i])
		if mixed[i] {
			g.rep.MixedCaseEmails++
		}
		g.ownerFields("contacts", vals, lks, team[i], disabled[i])
		if disabled[i] {
			g.rep.ContactsOwnedByDisabledUser++
		}
		g.put("contacts", g.contID[i], vals, lks)
	}
	// Primary contacts of accounts (set in place: part of the same generated history).
	t := g.o.tables["accounts"]
	for a, cs := range g.acctCont {
		if len(cs) > 0 {
			rec := t.rows[g.acctID[a]]
			rec.vals["_primarycontactid_value"], rec.lk["_primarycontactid_value"] = g.contID[cs[0]], "contact"
		}
	}
	g.rep.Contacts = n
}

func (g *seeder) leads(n int) {
	noAcct := g.flags(n, share(n, 0.70), nil)
	team := g.flags(n, share(n, 0.01), nil)
	mixed := g.flags(n, min(n, 2+n/2500), nil)
	for i := 0; i < n; i++ {
		first, last := g.pick(firstNames), g.pick(lastNames)
		ci := g.rng.Intn(len(cities))
		vals := map[string]any{
			"firstname": first, "lastname": last, "fullname": first + " " + last, "jobtitle": g.pick(jobTitles),
			"telephone1": fmt.Sprintf("+1-555-%04d", g.rng.Intn(10000)), "address1_city": cities[ci][0],
			"address1_country": cities[ci][1], "subject": "Interested in " + g.pick(products),
			"leadsourcecode": int64(1 + g.rng.Intn(10)), "statecode": int64(0),
		}
		switch r := g.rng.Intn(10); {
		case r == 8:
			vals["statecode"] = int64(1)
		case r == 9:
			vals["statecode"] = int64(2)
		}
		lks := map[string]string{}
		var company, dom string
		if noAcct[i] || len(g.acctID) == 0 {
			base := g.pick(companyAdj) + " " + g.pick(companyNoun)
			company, dom = base+" "+g.pick(companySuffix), slug(base)+"-co.com"
			g.rep.LeadsWithoutAccount++
		} else {
			a := g.rng.Intn(len(g.acctID))
			company, dom = g.acctName[a], g.acctDom[a]
			vals["_parentaccountid_value"], lks["_parentaccountid_value"] = g.acctID[a], "account"
			if cs := g.acctCont[a]; len(cs) > 0 && g.rng.Intn(2) == 0 {
				vals["_parentcontactid_value"], lks["_parentcontactid_value"] = g.contID[cs[g.rng.Intn(len(cs))]], "contact"
			}
		}
		vals["companyname"], vals["websiteurl"] = company, "https://www."+dom
		vals["emailaddress1"] = email(first, last, dom, mixed[i])
		if mixed[i] {
			g.rep.MixedCaseEmails++
		}
		g.ownerFields("leads", vals, lks, team[i], false)
		g.put("leads", g.guid(), vals, lks)
	}
	g.rep.Leads = n
}

func (g *seeder) opportunities(n int) {
	byContact := g.flags(n, share(n, 0.20), nil)
	if len(g.contID) == 0 {
		byContact = make([]bool, n)
	}
	if len(g.acctID) == 0 && len(g.contID) > 0 {
		for i := range byContact {
			byContact[i] = true
		}
	}
	team := g.flags(n, share(n, 0.01), nil)
	salesTeam := g.flags(n, share(n, 0.03), nil)
	firstContactCustomer := true
	for i := 0; i < n; i++ {
		id := g.guid()
		est := float64(5+g.rng.Intn(496)) * 1000
		closeDate := g.ref.AddDate(0, 0, g.rng.Intn(360)-180)
		vals := map[string]any{
			"name": g.pick(products) + " " + fmt.Sprint(2024+g.rng.Intn(3)), "description": "Generated opportunity.",
			"estimatedvalue": est, "estimatedclosedate": closeDate.Format("2006-01-02"),
		}
		switch r := g.rng.Intn(100); {
		case r < 60: // open
			stage := g.rng.Intn(4)
			vals["statecode"], vals["statuscode"], vals["salesstage"] = int64(0), int64(1), int64(stage)
			if g.rng.Intn(10) == 0 {
				vals["statuscode"] = int64(2)
			}
			vals["stepname"], vals["closeprobability"] = stepNames[stage], int64([]int{10, 25, 50, 75}[stage])
		case r < 85: // won
			vals["statecode"], vals["statuscode"], vals["salesstage"] = int64(1), int64(3), int64(3)
			vals["stepname"], vals["closeprobability"], vals["actualvalue"] = stepNames[3], int64(100), est
			vals["actualclosedate"] = closeDate.Format("2006-01-02")
		default: // lost
			vals["statecode"], vals["statuscode"], vals["salesstage"] = int64(2), int64(4+g.rng.Intn(2)), int64(g.rng.Intn(3))
			vals["stepname"], vals["closeprobability"] = stepNames[g.rng.Intn(3)], int64(0)
			vals["actualclosedate"] = closeDate.Format("2006-01-02")
		}
		lks := map[string]string{}
		acct := -1
		if byContact[i] {
			c := g.rng.Intn(len(g.contID))
			if firstContactCustomer && len(g.contNoAc) > 0 {
				c = g.contNoAc[0]
			}
			firstContactCustomer = false
			vals["_customerid_value"], lks["_customerid_value"] = g.contID[c], "contact"
			vals["_parentcontactid_value"], lks["_parentcontactid_value"] = g.contID[c], "contact"
			g.rep.OpportunitiesWithContactCustomer++
			if acct = g.contAcct[c]; acct >= 0 {
				vals["_parentaccountid_value"], lks["_parentaccountid_value"] = g.acctID[acct], "account"
			} else {
				g.rep.OpportunitiesWithContactCustomerNoAccount++
			}
		} else if len(g.acctID) > 0 {
			acct = g.rng.Intn(len(g.acctID))
			vals["_customerid_value"], lks["_customerid_value"] = g.acctID[acct], "account"
			vals["_parentaccountid_value"], lks["_parentaccountid_value"] = g.acctID[acct], "account"
		}
		g.ownerFields("opportunities", vals, lks, team[i], false)
		g.put("opportunities", id, vals, lks)
		g.stakeholders(id, acct)
		if salesTeam[i] && len(g.enabled) > 0 && len(g.stfRoles) > 0 {
			g.o.connectLocked(defsBySet["opportunities"], id, defsBySet["systemusers"], g.pick(g.enabled),
				g.pick(g.stfRoles), g.guid(), g.guid())
			g.rep.SalesTeamConnections++
			g.rep.ConnectionRows += 2
		}
	}
	g.rep.Opportunities = n
}

// stakeholders adds 0-3 stakeholder connections to opportunity id, preferring contacts of acct.
func (g *seeder) stakeholders(id string, acct int) {
	if len(g.contID) == 0 || len(g.stRoles) == 0 {
		return
	}
	k := 0
	switch r := g.rng.Intn(100); {
	case r < 20:
	case r < 55:
		k = 1
	case r < 85:
		k = 2
	default:
		k = 3
	}
	pool := []int(nil)
	if acct >= 0 {
		pool = g.acctCont[acct]
	}
	used := map[int]bool{}
	for j := 0; j < k; j++ {
		c := g.rng.Intn(len(g.contID))
		if len(pool) > 0 {
			c = pool[g.rng.Intn(len(pool))]
		}
		if used[c] {
			continue
		}
		used[c] = true
		g.o.connectLocked(defsBySet["opportunities"], id, defsBySet["contacts"], g.contID[c], g.pick(g.stRoles), g.guid(), g.guid())
		g.rep.StakeholderConnections++
		g.rep.ConnectionRows += 2
	}
}
