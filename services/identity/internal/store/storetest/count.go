package storetest

import (
	"context"
	"testing"

	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/identity/internal/store"
)

// testCount checks that Count follows creates, updates and deletes.
func testCount(t *testing.T, s store.Store) {
	ctx := context.Background()
	count := func(want int64) {
		t.Helper()
		if n, err := s.Count(ctx); err != nil || n != want {
			t.Errorf("Count = %d, %v; want %d", n, err, want)
		}
	}
	count(0)
	write(t, s,
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "n-1")},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "n-2")},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "n-3")},
	)
	count(3)
	write(t, s, store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "N-1"), Fields: map[store.Field]string{store.FieldTitle: "VP"}})
	count(3)
	if _, err := s.Delete(ctx, []store.Key{{ExternalKey: "n-2"}}); err != nil {
		t.Fatal(err)
	}
	count(2)
}
