package dataverse

import "testing"

func TestAttributeNameUnwrapsLookupValues(t *testing.T) {
	for column, want := range map[string]string{
		"_parentcustomerid_value": "parentcustomerid", " _OwnerId_Value ": "ownerid", "jobtitle": "jobtitle",
		"__value": "__value", "cr123_value": "cr123_value", "_x_value": "x",
	} {
		if got := AttributeName(column); got != want {
			t.Errorf("AttributeName(%q) = %q, want %q", column, got, want)
		}
	}
}
