package simulator

import "strings"

// colType is the simulator's storage type of a column.
type colType int

const (
	tGUID     colType = iota // Edm.Guid (primary id, applicationid)
	tString                  // Edm.String
	tInt                     // Edm.Int32 (integers, picklists, state codes)
	tNumber                  // Edm.Decimal (money, decimals)
	tBool                    // Edm.Boolean
	tDateTime                // Edm.DateTimeOffset, stored as "2006-01-02T15:04:05Z"
	tDate                    // Edm.Date, stored as "2006-01-02"
	tLookup                  // _x_value lookup: bare lowercase GUID plus the target's logical name
	tVersion                 // versionnumber (Edm.Int64), system managed
)

// edmType is the OData type name used in conversion error messages.
func (t colType) edmType() string {
	switch t {
	case tGUID, tLookup:
		return "Edm.Guid"
	case tInt:
		return "Edm.Int32"
	case tNumber:
		return "Edm.Decimal"
	case tBool:
		return "Edm.Boolean"
	case tDateTime:
		return "Edm.DateTimeOffset"
	case tDate:
		return "Edm.Date"
	case tVersion:
		return "Edm.Int64"
	}
	return "Edm.String"
}

// column describes one column of a table.
type column struct {
	name     string
	typ      colType
	targets  []string // lookup target logical names; first is the default
	attrType string   // metadata AttributeType
}

// tableDef describes one entity set.
type tableDef struct {
	set         string
	logical     string
	primaryID   string
	primaryName string // column used as the lookup FormattedValue ("" when none)
	typeCode    int    // object type code (connections' record*objecttypecode)
	cols        []column
	idx         map[string]*column
}

// col returns the column named name, or nil.
func (d *tableDef) col(name string) *column { return d.idx[name] }

// lookupName returns the lookup logical name of column col ("ownerid" for "_ownerid_value").
func lookupName(col string) string {
	return strings.TrimSuffix(strings.TrimPrefix(col, "_"), "_value")
}

func c(name string, t colType, attrType string) column {
	return column{name: name, typ: t, attrType: attrType}
}

func lk(name string, attrType string, targets ...string) column {
	return column{name: "_" + name + "_value", typ: tLookup, targets: targets, attrType: attrType}
}

var (
	ownerCol    = lk("ownerid", "Owner", "systemuser", "team")
	modifiedCol = c("modifiedon", tDateTime, "DateTime")
	versionCol  = c("versionnumber", tVersion, "BigInt")
	stateCol    = c("statecode", tInt, "State")
	// syncCol is the Boolean column Marketo's native sync uses to keep a record out of the
	// sync (only an explicit No does); null on every seeded row.
	syncCol = c("new_synctomkto", tBool, "Boolean")
)

// mktCols are the Marketo Sales Insight columns on leads and contacts.
var mktCols = []column{
	c("mkt_lastinterestingmomenttype", tString, "String"),
	c("mkt_lastinterestingmomentdate", tDateTime, "DateTime"),
	c("mkt_lastinterestingmomentdesc", tString, "Memo"),
	c("mkt_leadinterestingmomentsource", tString, "String"),
	c("mkt_priority", tInt, "Integer"),
	c("mkt_urgency", tNumber, "Decimal"),
	c("mkt_relativescore", tNumber, "Decimal"),
	c("mkt_leadscore", tInt, "Integer"),
}

func withMkt(cols ...column) []column { return append(cols, mktCols...) }

// tableDefs lists every entity set the simulator serves.
var tableDefs = []*tableDef{
	{set: "systemusers", logical: "systemuser", primaryID: "systemuserid", primaryName: "fullname", typeCode: 8, cols: []column{
		c("systemuserid", tGUID, "Uniqueidentifier"), c("fullname", tString, "String"), c("firstname", tString, "String"),
		c("lastname", tString, "String"), c("internalemailaddress", tString, "String"), c("domainname", tString, "String"),
		c("isdisabled", tBool, "Boolean"), c("accessmode", tInt, "Picklist"), c("applicationid", tGUID, "Uniqueidentifier"),
		modifiedCol, versionCol,
	}},
	{set: "teams", logical: "team", primaryID: "teamid", primaryName: "name", typeCode: 9, cols: []column{
		c("teamid", tGUID, "Uniqueidentifier"), c("name", tString, "String"), lk("administratorid", "Lookup", "systemuser"), modifiedCol, versionCol,
	}},
	{set: "accounts", logical: "account", primaryID: "accountid", primaryName: "name", typeCode: 1, cols: []column{
		c("accountid", tGUID, "Uniqueidentifier"), c("name", tString, "String"), c("websiteurl", tString, "String"),
		c("telephone1", tString, "String"), c("address1_line1", tString, "String"), c("address1_city", tString, "String"),
		c("address1_stateorprovince", tString, "String"), c("address1_postalcode", tString, "String"),
		c("address1_country", tString, "String"), c("industrycode", tInt, "Picklist"), c("sic", tString, "String"),
		c("numberofemployees", tInt, "Integer"), c("revenue", tNumber, "Money"), c("description", tString, "Memo"),
		ownerCol, lk("parentaccountid", "Lookup", "account"), lk("primarycontactid", "Lookup", "contact"),
		lk("masterid", "Lookup", "account"), c("merged", tBool, "Boolean"), syncCol, stateCol, modifiedCol, versionCol,
	}},
	{set: "contacts", logical: "contact", primaryID: "contactid", primaryName: "fullname", typeCode: 2, cols: withMkt(
		c("contactid", tGUID, "Uniqueidentifier"), c("firstname", tString, "String"), c("lastname", tString, "String"),
		c("fullname", tString, "String"), c("emailaddress1", tString, "String"), c("jobtitle", tString, "String"),
		c("telephone1", tString, "String"), c("mobilephone", tString, "String"), c("address1_city", tString, "String"),
		c("address1_country", tString, "String"), lk("parentcustomerid", "Customer", "account", "contact"),
		lk("originatingleadid", "Lookup", "lead"), lk("masterid", "Lookup", "contact"), c("merged", tBool, "Boolean"),
		c("new_favouritecolour", tString, "String"), c("cr123_tier", tInt, "Integer"), c("cr123_segment", tInt, "Picklist"), // custom columns (an org's own)
		ownerCol, syncCol, stateCol, modifiedCol, versionCol,
	)},
	{set: "leads", logical: "lead", primaryID: "leadid", primaryName: "fullname", typeCode: 4, cols: withMkt(
		c("leadid", tGUID, "Uniqueidentifier"), c("firstname", tString, "String"), c("lastname", tString, "String"),
		c("fullname", tString, "String"), c("emailaddress1", tString, "String"), c("companyname", tString, "String"),
		c("jobtitle", tString, "String"), c("telephone1", tString, "String"), c("websiteurl", tString, "String"),
		c("address1_city", tString, "String"), c("address1_country", tString, "String"), c("subject", tString, "String"),
		c("leadsourcecode", tInt, "Picklist"), lk("parentaccountid", "Lookup", "account"),
		lk("parentcontactid", "Lookup", "contact"), lk("masterid", "Lookup", "lead"), c("merged", tBool, "Boolean"),
		c("new_favouritecolour", tString, "String"), // a custom column
		ownerCol, syncCol, stateCol, c("statuscode", tInt, "Status"), modifiedCol, versionCol,
	)},
	{set: "opportunities", logical: "opportunity", primaryID: "opportunityid", primaryName: "name", typeCode: 3, cols: []column{
		c("opportunityid", tGUID, "Uniqueidentifier"), c("name", tString, "String"), c("description", tString, "Memo"),
		lk("customerid", "Customer", "account", "contact"), lk("parentaccountid", "Lookup", "account"),
		lk("parentcontactid", "Lookup", "contact"), ownerCol, c("estimatedvalue", tNumber, "Money"),
		c("actualvalue", tNumber, "Money"), c("estimatedclosedate", tDate, "DateTime"), c("actualclosedate", tDate, "DateTime"),
		c("closeprobability", tInt, "Integer"), c("stepname", tString, "String"), c("salesstage", tInt, "Picklist"),
		syncCol, stateCol, c("statuscode", tInt, "Status"), modifiedCol, versionCol,
	}},
	{set: "connectionroles", logical: "connectionrole", primaryID: "connectionroleid", primaryName: "name", typeCode: 3231, cols: []column{
		c("connectionroleid", tGUID, "Uniqueidentifier"), c("name", tString, "String"), c("category", tInt, "Picklist"),
		stateCol, modifiedCol, versionCol,
	}},
	{set: "connections", logical: "connection", primaryID: "connectionid", typeCode: 3234, cols: []column{
		c("connectionid", tGUID, "Uniqueidentifier"),
		lk("record1id", "Lookup", "opportunity", "contact", "systemuser", "account"),
		lk("record2id", "Lookup", "opportunity", "contact", "systemuser", "account"),
		lk("record1roleid", "Lookup", "connectionrole"), lk("record2roleid", "Lookup", "connectionrole"),
		c("record1objecttypecode", tInt, "EntityName"), c("record2objecttypecode", tInt, "EntityName"),
		lk("relatedconnectionid", "Lookup", "connection"), c("ismaster", tBool, "Boolean"),
		stateCol, modifiedCol, versionCol,
	}},
	// The plug-in registration tables a webhook is registered with (see webhooks.go).
	{set: "sdkmessages", logical: "sdkmessage", primaryID: "sdkmessageid", primaryName: "name", typeCode: 4606, cols: []column{
		c("sdkmessageid", tGUID, "Uniqueidentifier"), c("name", tString, "String"), modifiedCol, versionCol,
	}},
	{set: "sdkmessagefilters", logical: "sdkmessagefilter", primaryID: "sdkmessagefilterid", typeCode: 4607, cols: []column{
		c("sdkmessagefilterid", tGUID, "Uniqueidentifier"), lk("sdkmessageid", "Lookup", "sdkmessage"),
		c("primaryobjecttypecode", tString, "EntityName"), modifiedCol, versionCol,
	}},
	{set: "serviceendpoints", logical: "serviceendpoint", primaryID: "serviceendpointid", primaryName: "name", typeCode: 4618, cols: []column{
		c("serviceendpointid", tGUID, "Uniqueidentifier"), c("name", tString, "String"), c("description", tString, "Memo"),
		c("contract", tInt, "Picklist"), c("url", tString, "String"), c("authtype", tInt, "Picklist"),
		c("authvalue", tString, "String"), c("messageformat", tInt, "Picklist"), modifiedCol, versionCol,
	}},
	{set: "sdkmessageprocessingsteps", logical: "sdkmessageprocessingstep", primaryID: "sdkmessageprocessingstepid", primaryName: "name", typeCode: 4608, cols: []column{
		c("sdkmessageprocessingstepid", tGUID, "Uniqueidentifier"), c("name", tString, "String"),
		c("mode", tInt, "Picklist"), c("stage", tInt, "Picklist"), c("rank", tInt, "Integer"),
		c("asyncautodelete", tBool, "Boolean"), lk("eventhandler", "Lookup", "serviceendpoint"),
		lk("sdkmessageid", "Lookup", "sdkmessage"), lk("sdkmessagefilterid", "Lookup", "sdkmessagefilter"),
		stateCol, modifiedCol, versionCol,
	}},
}

// defsBySet and defsByLogical index tableDefs.
var defsBySet, defsByLogical = func() (map[string]*tableDef, map[string]*tableDef) {
	bySet, byLogical := map[string]*tableDef{}, map[string]*tableDef{}
	for _, d := range tableDefs {
		d.idx = map[string]*column{}
		for i := range d.cols {
			d.idx[d.cols[i].name] = &d.cols[i]
		}
		bySet[d.set], byLogical[d.logical] = d, d
	}
	return bySet, byLogical
}()
