package storetest

import (
	"context"
	"testing"

	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/person/internal/store"
)

// testCountAll checks that CountAll follows creates, updates and deletes, leads with and
// without an external person id alike.
func testCountAll(t *testing.T, s store.Store) {
	ctx := context.Background()
	count := func(want int64) {
		t.Helper()
		if n, err := s.CountAll(ctx); err != nil || n != want {
			t.Errorf("CountAll = %d, %v; want %d", n, err, want)
		}
	}
	count(0)
	write(t, s, store.LookupExternalPersonID, byPerson(t, records.CreateOrUpdate, "n-1"), byPerson(t, records.CreateOrUpdate, "n-2"))
	write(t, s, store.LookupEmail, byEmail(records.CreateOrUpdate, "only-email@x.io"))
	count(3)
	write(t, s, store.LookupExternalPersonID, byPerson(t, records.CreateOrUpdate, "N-1"))
	count(3)
	if _, err := s.Delete(ctx, []store.Key{{ExternalKey: "n-2"}}); err != nil {
		t.Fatal(err)
	}
	count(2)
}
