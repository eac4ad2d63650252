package objects

import (
	"testing"
	"time"
)

// The tests' leads have these custom fields, as if MSISYNC_CUSTOM_FIELDS declared them.
func init() {
	DeclareCustomFields(map[*Object][]CustomField{Lead: {
		{Name: "favouriteColour", Type: "string"}, {Name: "seats", Type: "integer"},
		{Name: "tier", Type: "string"}, {Name: "x", Type: "string"},
	}})
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
