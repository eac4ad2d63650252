package storetest

import (
	"testing"

	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/opportunity/internal/store"
)

// testCountAll checks that CountOpportunities and CountRoles follow creates, updates and
// deletes, each of its own table.
func testCountAll(t *testing.T, s store.Store) {
	ctx := t.Context()
	count := func(wantOpps, wantRoles int64) {
		t.Helper()
		if n, err := s.CountOpportunities(ctx); err != nil || n != wantOpps {
			t.Errorf("CountOpportunities = %d, %v; want %d", n, err, wantOpps)
		}
		if n, err := s.CountRoles(ctx); err != nil || n != wantRoles {
			t.Errorf("CountRoles = %d, %v; want %d", n, err, wantRoles)
		}
	}
	count(0, 0)
	writeOpps(t, s, opp(t, records.CreateOrUpdate, "n-1"), opp(t, records.CreateOrUpdate, "n-2"))
	count(2, 0)
	roles := writeRoles(t, s, role(t, records.CreateOrUpdate, "n-1", 1, "Buyer"), role(t, records.CreateOrUpdate, "n-1", 2, "Buyer"), role(t, records.CreateOrUpdate, "n-2", 1, "Champion"))
	writeOpps(t, s, opp(t, records.CreateOrUpdate, "N-1"))
	count(2, 3)
	if _, err := s.DeleteRoles(ctx, []store.RoleLookup{{GUID: roles[0].GUID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteOpportunities(ctx, []store.OpportunityKey{{ExternalKey: "n-2"}}); err != nil {
		t.Fatal(err)
	}
	count(1, 2)
}
