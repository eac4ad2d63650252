package objects

import (
	"strings"
	"testing"
)

func TestParseCustomFieldsNamesEveryWrongEntry(t *testing.T) {
	got, err := ParseCustomFields(" leads:favouriteColour:string , leads:tier:Integer,")
	if err != nil || len(got[Lead]) != 2 || got[Lead][1] != (CustomField{Name: "tier", Type: "integer"}) {
		t.Fatalf("ParseCustomFields = %v, %v", got, err)
	}
	_, err = ParseCustomFields("companies:tier:string,leads:email:string,leads:9lives:string,leads:tier:date,leads:tier,leads:a:string,leads:a:float")
	for _, want := range []string{"MSISYNC_CUSTOM_FIELDS", "only leads", "standard Lead field", "9lives", "leads:tier:date", "object:name:type", "declared twice"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

func TestDescribeListsDeclaredCustomFields(t *testing.T) {
	types := map[string]string{}
	for _, f := range Lead.Metadata().GetFields() {
		types[f.GetName()] = f.GetDataType()
	}
	if types["seats"] != "integer" || types["favouriteColour"] != "string" || types["email"] != "email" {
		t.Errorf("lead describe types = %v", types)
	}
}
