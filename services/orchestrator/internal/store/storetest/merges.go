package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

var mergeTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"RedirectsKeepTheFirstMergeTime", testRedirects},
}

func testRedirects(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.PutRedirects(ctx, []store.Redirect{
		{ObjectType: store.Lead, ExternalID: "Lead-A", MasterExternalID: "contact-b", Kind: store.Qualified},
		{ObjectType: store.Company, ExternalID: "lead-a", MasterExternalID: "acct-x", Kind: store.Merged},
	}, first); err != nil {
		t.Fatal(err)
	}
	// Repeated later with another master (the CRM merged it again): the first time stays.
	if err := s.PutRedirects(ctx, []store.Redirect{{ObjectType: store.Lead, ExternalID: "lead-a", MasterExternalID: "contact-c", Kind: store.Merged}}, first.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetRedirect(ctx, store.Lead, "LEAD-A")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Redirect{ObjectType: store.Lead, ExternalID: "lead-a", MasterExternalID: "contact-c", Kind: store.Merged, MergeTime: first}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("redirect (-want +got):\n%s", diff)
	}
	if got, err := s.GetRedirect(ctx, store.Company, "lead-a"); err != nil || got.MasterExternalID != "acct-x" {
		t.Errorf("company redirect = %+v, %v", got, err)
	}
	if _, err := s.GetRedirect(ctx, store.Opportunity, "lead-a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown redirect: err = %v, want ErrNotFound", err)
	}
}
