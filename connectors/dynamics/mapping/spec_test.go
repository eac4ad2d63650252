package mapping

import (
	"slices"
	"strings"
	"testing"
)

func TestDefaultMappingReadsTheSameColumnsAsBefore(t *testing.T) {
	for _, set := range Mappable {
		if got := Default.Columns(set); !slices.Equal(got, Select[set]) {
			t.Errorf("%s: default columns %v, want %v", set, got, Select[set])
		}
	}
}

func TestParseNamesEveryWrongEntry(t *testing.T) {
	_, err := Parse([]byte(`
companies:
  - {column: name, field: company}
  - {column: websiteurl, field: website, as: link}
leads:
  contacts:
    - {column: emailaddress1, field: email}
    - {column: emailaddress2, field: email}
    - {column: jobtitle}
  leads:
    - {column: parentaccountid, field: externalCompanyId, as: externalId}
`), "test")
	for _, want := range []string{
		"accounts name → company: the connector sets company itself",
		`accounts websiteurl → website: as is "link"`,
		"contacts emailaddress2 → email: email is mapped twice",
		"contacts jobtitle → : an entry needs both a column and a field",
		"leads parentaccountid → externalCompanyId: as externalId needs a lookup column",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v\nlacks %q", err, want)
		}
	}
	if _, err := Parse([]byte(`companies: [{column: name, field: company, colour: red}]`), "test"); err == nil || !strings.Contains(err.Error(), "colour") {
		t.Errorf("an unknown key: %v", err)
	}
}

func TestCustomColumnsLabelsAndLookups(t *testing.T) {
	s, err := Parse([]byte(`{"leads": {"contacts": [
		{"column": "new_favouritecolour", "field": "favouriteColour"},
		{"column": "cr123_tier", "field": "tier", "as": "number"},
		{"column": "cr123_segment", "field": "segment", "as": "label"},
		{"column": "donotemail", "field": "unsubscribed", "as": "boolean"},
		{"column": "_parentcustomerid_value", "field": "parentAccount", "as": "externalId"}]}}`), "json")
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := s.Contact(row(t, `{"contactid":"`+contact+`","new_favouritecolour":"teal","cr123_tier":3,"cr123_segment":2,
		"cr123_segment@OData.Community.Display.V1.FormattedValue":"Enterprise","donotemail":true,"_parentcustomerid_value":"`+strings.ToUpper(account)+`"}`), directory)
	if rec["favouriteColour"] != "teal" || rec["tier"] != int64(3) || rec["segment"] != "Enterprise" || rec["unsubscribed"] != true || rec["parentAccount"] != account {
		t.Errorf("contact = %v", rec)
	}
	if _, ok := rec["email"]; ok {
		t.Errorf("an unmapped column was sent: %v", rec)
	}
	if !slices.Equal(s.Entries(Accounts), Default.Entries(Accounts)) || !slices.Equal(s.Entries(Leads), Default.Entries(Leads)) {
		t.Error("the sets a file leaves out do not keep the built-in entries")
	}
	rec, _ = s.Contact(row(t, `{"contactid":"`+contact+`"}`), directory)
	if rec["favouriteColour"] != "" || rec["tier"] != nil || rec["unsubscribed"] != nil {
		t.Errorf("empty custom columns must clear: %v", rec)
	}
	if s.Fingerprint(Contacts) == Default.Fingerprint(Contacts) || s.Fingerprint(Accounts) != Default.Fingerprint(Accounts) {
		t.Error("fingerprints do not tell the mappings apart")
	}
	none, err := Parse([]byte(`opportunities: []`), "empty")
	if err != nil || len(none.Entries(Opportunities)) != 0 || len(none.Entries(Accounts)) == 0 {
		t.Errorf("an empty list maps nothing: %v %v", none.Entries(Opportunities), err)
	}
}
