package simulator

// picklistLabels are the display labels of the option sets the simulator serves (the
// out-of-box ones, and a custom one),
// by table logical name and column: Dataverse returns them as the column's
// OData.Community.Display.V1.FormattedValue annotation when annotations are asked for.
var picklistLabels = map[string]map[string]map[int64]string{
	"account": {
		"industrycode": {1: "Accounting", 2: "Agriculture and Non-petrol Natural Resource Extraction", 3: "Broadcasting Printing and Publishing",
			4: "Brokers", 5: "Building Supply Retail", 6: "Business Services", 7: "Consulting", 8: "Consumer Services",
			9: "Design, Direction and Creative Management", 10: "Distributors, Dispatchers and Processors", 11: "Doctor's Offices and Clinics",
			12: "Durable Manufacturing", 13: "Eating and Drinking Places", 14: "Entertainment Retail", 15: "Equipment Rental and Leasing",
			16: "Financial", 17: "Food and Tobacco Processing", 18: "Inbound Capital Intensive Processing", 19: "Inbound Repair and Services",
			20: "Insurance", 21: "Legal Services", 22: "Non-Durable Merchandise Retail", 23: "Outbound Consumer Service",
			24: "Petrochemical Extraction and Distribution", 25: "Service Retail", 26: "SIG Affiliations", 27: "Social Services",
			28: "Special Outbound Trade Contractors", 29: "Specialty Realty", 30: "Transportation", 31: "Utility Creation and Distribution",
			32: "Vehicle Retail", 33: "Wholesale"},
		"statecode": {0: "Active", 1: "Inactive"},
	},
	"contact": {
		"statecode":     {0: "Active", 1: "Inactive"},
		"cr123_segment": {100000000: "SMB", 100000001: "Mid-market", 100000002: "Enterprise"}, // a custom option set
	},
	"lead": {
		"leadsourcecode": {1: "Advertisement", 2: "Employee Referral", 3: "External Referral", 4: "Partner", 5: "Public Relations",
			6: "Seminar", 7: "Trade Show", 8: "Web", 9: "Word of Mouth", 10: "Other"},
		"statecode": {0: "Open", 1: "Qualified", 2: "Disqualified"},
	},
	"opportunity": {
		"salesstage": {0: "Qualify", 1: "Develop", 2: "Propose", 3: "Close"},
		"statecode":  {0: "Open", 1: "Won", 2: "Lost"},
		"statuscode": {1: "In Progress", 2: "On Hold", 3: "Won", 4: "Canceled", 5: "Out-Sold"},
	},
	"connectionrole": {"category": {1: "Business", 2: "Family", 3: "Social", 4: "Sales", 5: "Other", 1000: "Stakeholder", 1001: "Sales Team", 1002: "Service"}},
	"connection":     {"statecode": {0: "Active", 1: "Inactive"}},
}

// picklistLabel returns the label of an option set value, when the simulator knows it.
func picklistLabel(logical, col string, v any) (string, bool) {
	n, ok := v.(int64)
	if !ok {
		return "", false
	}
	l, ok := picklistLabels[logical][col][n]
	return l, ok
}
