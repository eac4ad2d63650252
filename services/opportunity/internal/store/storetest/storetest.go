// Package storetest is the conformance suite every opportunity store implementation passes.
// Each backend's test calls Run with a function that opens a fresh, empty store.
// opportunities.go checks the opportunities, roles.go the opportunity roles.
package storetest

import (
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/opportunity/internal/store"
)

// Run runs the conformance suite; open returns a fresh, empty store for one subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Opportunity/WriteOutcomesFollowTheMode", testOpportunityModes},
		{"Opportunity/CreateNeedsCompanyOwnerAndName", testOpportunityRequired},
		{"Opportunity/ExternalIDsMatchCaseInsensitively", testOpportunityCaseInsensitive},
		{"Opportunity/UpdateKeepsAbsentFields", testOpportunityPartialUpdate},
		{"Opportunity/UpdateByGUID", testOpportunityUpdateByGUID},
		{"Opportunity/ListFiltersAndPages", testOpportunityList},
		{"Opportunity/GetResolvesKnownKeys", testOpportunityGet},
		{"Opportunity/DeleteReportsEachKey", testOpportunityDelete},
		{"Opportunity/CountReferences", testOpportunityCounts},
		{"Opportunity/InvalidCallsChangeNothing", testOpportunityInvalid},
		{"Opportunity/ConcurrentWritersOfOneKeyMakeOneRecord", testOpportunityConcurrent},
		{"Role/WriteOutcomesFollowTheMode", testRoleModes},
		{"Role/CompoundKeyMatching", testRoleKeys},
		{"Role/UpdateKeepsAbsentFields", testRolePartialUpdate},
		{"Role/ListFiltersAndPages", testRoleList},
		{"Role/GetByGUIDsAndCompoundKeys", testRoleGet},
		{"Role/DeleteReportsEachKey", testRoleDelete},
		{"Role/CountReferences", testRoleCounts},
		{"Role/InvalidCallsChangeNothing", testRoleInvalid},
		{"Role/ConcurrentWritersOfOneKeyMakeOneRecord", testRoleConcurrent},
		{"CountFollowsWritesAndDeletes", testCountAll},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

func id(t *testing.T, raw string) extid.ID {
	t.Helper()
	v, err := extid.Normalize(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

func outcomes(res []store.WriteResult) []records.Outcome {
	out := make([]records.Outcome, len(res))
	for i, r := range res {
		out[i] = r.Outcome
	}
	return out
}

// checkGUID fails unless g is a lowercase random (version 4) UUID.
func checkGUID(t *testing.T, g string) {
	t.Helper()
	u, err := uuid.Parse(g)
	if err != nil || u.String() != g || u.Version() != 4 {
		t.Errorf("GUID %q is not a lowercase version 4 UUID (%v)", g, err)
	}
}

// day returns midnight UTC of the given date.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func sortCounts(c []store.ReferenceCount) []store.ReferenceCount {
	sort.Slice(c, func(i, j int) bool {
		if c[i].Key != c[j].Key {
			return c[i].Key < c[j].Key
		}
		return c[i].ID < c[j].ID
	})
	return c
}
