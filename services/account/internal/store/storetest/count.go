package storetest

import (
	"context"
	"testing"

	"github.com/msisync/msisync/services/account/internal/store"
)

// testCountAll checks that Count follows creates, updates and deletes.
func testCountAll(t *testing.T, s store.Store) {
	ctx := context.Background()
	count := func(want int64) {
		t.Helper()
		if n, err := s.Count(ctx); err != nil || n != want {
			t.Errorf("Count = %d, %v; want %d", n, err, want)
		}
	}
	count(0)
	write(t, s, owned(t, "n-1", "sp"), owned(t, "n-2", "sp"), owned(t, "n-3", "sp"))
	count(3)
	write(t, s, owned(t, "N-1", "sp-other"))
	count(3)
	if _, err := s.Delete(ctx, []store.Key{{ExternalKey: "n-2"}}); err != nil {
		t.Fatal(err)
	}
	count(2)
}
