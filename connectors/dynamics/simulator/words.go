package simulator

// Small built-in word lists for the seed generator.
var (
	firstNames = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
		"Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos",
		"Karen", "Daniel", "Lisa", "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily",
		"Andrew", "Michelle", "Kenji", "Amanda", "Joshua", "Melissa", "Priya", "Deborah", "Kevin", "Laura",
		"Brian", "Rebecca", "Sofia", "Sharon", "Lars", "Cynthia", "Ahmed", "Anna", "Mateo", "Olga", "Wei", "Fatima",
		"Lukas", "Chloe", "Omar", "Ingrid", "Rafael", "Yuki", "Noah", "Aisha"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
		"Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
		"Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
		"Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Schmidt",
		"Muller", "Rossi", "Tanaka", "Kowalski", "Novak", "Larsen", "Dubois", "Okafor", "Patel"}
	companyAdj = []string{"Blue", "Northern", "Summit", "Bright", "Silver", "Pacific", "Granite", "Evergreen",
		"Swift", "Atlas", "Crimson", "Golden", "Pioneer", "Vertex", "Harbor", "Iron", "Lumen", "Nova", "Prime",
		"Quantum", "Red", "Solid", "True", "Urban", "Vital", "Wild", "Apex", "Clear", "Delta", "Echo"}
	companyNoun = []string{"Harbor", "Ridge", "Peak", "River", "Forge", "Field", "Stone", "Bridge", "Valley",
		"Wave", "Path", "Point", "Grove", "Works", "Labs", "Systems", "Dynamics", "Logistics", "Foods", "Health",
		"Energy", "Analytics", "Networks", "Capital", "Motors", "Media", "Robotics", "Textiles", "Pharma", "Retail"}
	companySuffix = []string{"Inc.", "LLC", "Ltd.", "GmbH", "Corp.", "Group", "Partners", "Co.", "S.A.", "AG"}
	cities        = [][2]string{{"Seattle", "United States"}, {"Austin", "United States"}, {"Boston", "United States"},
		{"Chicago", "United States"}, {"Denver", "United States"}, {"Toronto", "Canada"}, {"London", "United Kingdom"},
		{"Manchester", "United Kingdom"}, {"Berlin", "Germany"}, {"Munich", "Germany"}, {"Paris", "France"},
		{"Lyon", "France"}, {"Madrid", "Spain"}, {"Milan", "Italy"}, {"Amsterdam", "Netherlands"},
		{"Stockholm", "Sweden"}, {"Warsaw", "Poland"}, {"Tokyo", "Japan"}, {"Sydney", "Australia"},
		{"Sao Paulo", "Brazil"}, {"Mexico City", "Mexico"}, {"Bangalore", "India"}, {"Singapore", "Singapore"}}
	states    = []string{"WA", "TX", "MA", "IL", "CO", "ON", "", "", "BY", "", "", "", "", "", "", "", "", "", "NSW", "SP", "CDMX", "KA", ""}
	streets   = []string{"Main St", "Oak Ave", "Market St", "Park Blvd", "Lake Rd", "High St", "Mill Lane", "Harbor Way"}
	jobTitles = []string{"CEO", "CFO", "CTO", "VP Sales", "VP Marketing", "Director of IT", "Marketing Manager", "Sales Manager", "Procurement Lead", "Operations Manager", "Software Engineer", "Product Manager", "Account Executive", "Data Analyst", "Head of Growth", "IT Administrator"}
	products  = []string{"CRM rollout", "Cloud migration", "Analytics platform", "Support renewal", "Fleet upgrade", "Security audit", "Training package", "Data warehouse", "Marketing automation", "Hardware refresh"}
	freeMail  = []string{"gmail.com", "outlook.com", "yahoo.com", "proton.me"}
	stepNames = []string{"1-Qualify", "2-Develop", "3-Propose", "4-Close"}
	teamNames = []string{"Inside Sales EMEA", "Enterprise Accounts", "Partner Channel"}
)

// connectionRoleSeed lists the out-of-box connection roles and their categories.
var connectionRoleSeed = []struct {
	name     string
	category int64
}{
	{"Stakeholder", 1000}, {"Champion", 1000}, {"Decision Maker", 1000}, {"End User", 1000},
	{"Economic Buyer", 1000}, {"Influencer", 1000}, {"Technical Buyer", 1000},
	{"Delivery Professional", 1001}, {"Account Manager", 1001}, {"Territory Manager", 1001},
	{"Service Professional", 1001}, {"Industry Expert", 1001}, {"Technical Sales Professional", 1001},
	{"Partner", 1}, {"Supplier", 1}, {"Former Employee", 1},
}
