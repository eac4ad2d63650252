package dataverse

import (
	"encoding/json"
	"strings"
	"testing"
)

func decodeRow(t *testing.T, s string) Row {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var r Row
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRowHelpers(t *testing.T) {
	r := decodeRow(t, `{
		"name": "Contoso",
		"numberofemployees": 250,
		"revenue": 1234567.89,
		"big": 9007199254740993,
		"intlike": 3.0,
		"closeprobability": null,
		"isdisabled": true,
		"donotemail": false,
		"strbool": "false",
		"accountid": "{60C4E274-0D87-E711-80E5-00155DB19E6D}",
		"_ownerid_value": "0A0A0A0A-0000-0000-0000-00000000000A",
		"_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "team",
		"nested": {"a": 1},
		"list": [1, "x"]
	}`)

	strs := map[string]string{
		"name": "Contoso", "numberofemployees": "250", "revenue": "1234567.89", "big": "9007199254740993",
		"closeprobability": "", "missing": "", "isdisabled": "true", "nested": `{"a":1}`, "list": `[1,"x"]`,
	}
	for col, want := range strs {
		if got := r.String(col); got != want {
			t.Errorf("String(%s) = %q, want %q", col, got, want)
		}
	}
	if got := r.GUID("accountid"); got != "60c4e274-0d87-e711-80e5-00155db19e6d" {
		t.Errorf("GUID = %q", got)
	}
	if got := r.GUID("closeprobability"); got != "" {
		t.Errorf("GUID(null) = %q", got)
	}
	if got := r.LookupType("_ownerid_value"); got != "team" {
		t.Errorf("LookupType = %q", got)
	}
	if got := r.LookupType("_parentcustomerid_value"); got != "" {
		t.Errorf("LookupType(missing) = %q", got)
	}

	if n, ok := r.Int("numberofemployees"); !ok || n != 250 {
		t.Errorf("Int = %d %v", n, ok)
	}
	if n, ok := r.Int("big"); !ok || n != 9007199254740993 {
		t.Errorf("Int(big) = %d %v (precision lost?)", n, ok)
	}
	if n, ok := r.Int("intlike"); !ok || n != 3 {
		t.Errorf("Int(3.0) = %d %v", n, ok)
	}
	for _, col := range []string{"revenue", "closeprobability", "missing", "name"} {
		if _, ok := r.Int(col); ok {
			t.Errorf("Int(%s) ok", col)
		}
	}
	if f, ok := r.Float("revenue"); !ok || f != 1234567.89 {
		t.Errorf("Float = %v %v", f, ok)
	}
	if f, ok := r.Float("numberofemployees"); !ok || f != 250 {
		t.Errorf("Float(int) = %v %v", f, ok)
	}
	if _, ok := r.Float("closeprobability"); ok {
		t.Error("Float(null) ok")
	}
	if b, ok := r.Bool("isdisabled"); !ok || !b {
		t.Errorf("Bool(true) = %v %v", b, ok)
	}
	if b, ok := r.Bool("donotemail"); !ok || b {
		t.Errorf("Bool(false) = %v %v", b, ok)
	}
	if b, ok := r.Bool("strbool"); !ok || b {
		t.Errorf("Bool(\"false\") = %v %v", b, ok)
	}
	if _, ok := r.Bool("missing"); ok {
		t.Error("Bool(missing) ok")
	}
	if !r.Has("name") || r.Has("closeprobability") || r.Has("missing") {
		t.Error("Has")
	}
}

func TestNormalizeGUID(t *testing.T) {
	for in, want := range map[string]string{
		"{D5026A4D-D01C-ED11-B83E-000D3A572421}":   "d5026a4d-d01c-ed11-b83e-000d3a572421",
		" d5026a4d-d01c-ed11-b83e-000d3a572421 \n": "d5026a4d-d01c-ed11-b83e-000d3a572421",
		"": "",
	} {
		if got := NormalizeGUID(in); got != want {
			t.Errorf("NormalizeGUID(%q) = %q, want %q", in, got, want)
		}
	}
	if !isGUID("d5026a4d-d01c-ed11-b83e-000d3a572421") || isGUID("D5026A4D-D01C-ED11-B83E-000D3A572421") || isGUID("abc") {
		t.Error("isGUID")
	}
}
