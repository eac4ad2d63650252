package connector

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msisync/msisync/connectors/dynamics/dataverse"
	"github.com/msisync/msisync/connectors/dynamics/mapping"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

func TestMappingSettingIsReadAtStart(t *testing.T) {
	cfg := Config{URL: "https://org.crm.dynamics.com", TokenURL: "https://login/t", ClientID: "app", ClientSecret: "s", SyncInterval: 1, WritebackInterval: 1,
		PollInterval: 1, ThrottleBudget: 1, BatchSize: 1, WritebackParallel: 1, OrchestratorAddr: "127.0.0.1:9100"}
	cfg.Store.DataDir = t.TempDir()
	cfg.Mapping = filepath.Join(t.TempDir(), "missing.yaml")
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "MSISYNC_DYNAMICS_MAPPING") {
		t.Errorf("a missing mapping file: %v", err)
	}
	cfg.Mapping = filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(cfg.Mapping, []byte("companies: [{column: name, field: company}]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "MSISYNC_DYNAMICS_MAPPING "+cfg.Mapping) || !strings.Contains(err.Error(), "the connector sets company itself") {
		t.Errorf("a mapping of a field the connector sets: %v", err)
	}
}

func TestCheckEntryNamesWhatIsWrong(t *testing.T) {
	attrs := map[string]dataverse.Attribute{
		"jobtitle": {LogicalName: "jobtitle", AttributeType: "String"}, "cr123_tier": {LogicalName: "cr123_tier", AttributeType: "Integer"},
		"parentcustomerid": {LogicalName: "parentcustomerid", AttributeType: "Customer"}, "donotemail": {LogicalName: "donotemail", AttributeType: "Boolean"},
	}
	f := func(name, typ string, updateable bool) field {
		return field{ObjectField: &orchestratorv1.ObjectField{Name: name, DataType: typ, Updateable: updateable}}
	}
	fields := map[string]field{"title": f("title", "string", true), "tier": f("tier", "integer", true), "createdAt": f("createdAt", "datetime", false),
		"unsubscribed": f("unsubscribed", "boolean", true)}
	for _, tc := range []struct {
		entry mapping.Entry
		want  string
	}{
		{mapping.Entry{Column: "jobtitle", Field: "title", As: mapping.AsValue}, ""},
		{mapping.Entry{Column: "cr123_tier", Field: "tier", As: mapping.AsNumber}, ""},
		{mapping.Entry{Column: "donotemail", Field: "unsubscribed", As: mapping.AsBoolean}, ""},
		{mapping.Entry{Column: "job_title", Field: "title", As: mapping.AsValue}, "the Dynamics table contact has no column job_title"},
		{mapping.Entry{Column: "jobtitle", Field: "titel", As: mapping.AsValue}, "msisync's lead has no field titel (a custom field must be declared in MSISYNC_CUSTOM_FIELDS)"},
		{mapping.Entry{Column: "jobtitle", Field: "createdAt", As: mapping.AsValue}, "the lead field createdAt cannot be written by a sync"},
		{mapping.Entry{Column: "cr123_tier", Field: "tier", As: mapping.AsValue}, "the field is of type integer and the column is read as value"},
		{mapping.Entry{Column: "jobtitle", Field: "title", As: mapping.AsNumber}, "the column is of type String, which cannot be read as number"},
		{mapping.Entry{Column: "parentcustomerid", Field: "title", As: mapping.AsValue}, "a lookup column is read as _parentcustomerid_value"},
		{mapping.Entry{Column: "donotemail", Field: "title", As: mapping.AsBoolean}, "a boolean field takes as: boolean, and only it"},
	} {
		got := strings.Join(checkEntry(mapping.Contacts, mapping.Lead, tc.entry, attrs, fields), "; ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) || tc.want != "" && !strings.HasPrefix(got, "contacts column "+tc.entry.Column+" → lead field "+tc.entry.Field+": ") {
			t.Errorf("%+v: %q, want %q", tc.entry, got, tc.want)
		}
	}
}
