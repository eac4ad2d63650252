package connector

import (
	"slices"
	"testing"
)

func TestFilterColumnsNamesEachComparedColumn(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []string
	}{
		{"statecode eq 0", []string{"statecode"}},
		{"(statecode eq 0 or StateCode eq 1) and _parentaccountid_value ne null", []string{"statecode", "_parentaccountid_value"}},
		{"name eq 'a eq b' and new_tier ge 2", []string{"name", "new_tier"}},
		{"contains(name,'x') and not (revenue gt 10)", []string{"name", "revenue"}},
		{"new_synctomkto eq true", []string{"new_synctomkto"}},
	} {
		got, err := filterColumns(tc.filter)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("filterColumns(%q) = %v, %v; want %v", tc.filter, got, err, tc.want)
		}
	}
	for _, bad := range []string{"name eq 'x", "true", ""} {
		if got, err := filterColumns(bad); err == nil {
			t.Errorf("filterColumns(%q) = %v, want an error", bad, got)
		}
	}
}
