// Package storetest is the conformance suite every identity store implementation passes.
// Each backend's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/identity/internal/store"
)

// Run runs the conformance suite; open returns a fresh, empty store for one subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"WriteOutcomesFollowTheMode", testWriteModes},
		{"ExternalIDsMatchCaseInsensitively", testCaseInsensitive},
		{"UpdateKeepsAbsentFields", testPartialUpdate},
		{"UpdateByID", testUpdateByID},
		{"ListFiltersAndPages", testList},
		{"GetResolvesKnownKeys", testGet},
		{"DeleteReportsEachKey", testDelete},
		{"CountFollowsWritesAndDeletes", testCount},
		{"InvalidCallsChangeNothing", testInvalid},
		{"ConcurrentWritersOfOneKeyMakeOneRecord", testConcurrentCreate},
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

func write(t *testing.T, s store.Store, writes ...store.Write) []store.WriteResult {
	t.Helper()
	res, err := s.Write(context.Background(), writes)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if len(res) != len(writes) {
		t.Fatalf("Write returned %d results for %d writes", len(res), len(writes))
	}
	return res
}

func outcomes(res []store.WriteResult) []records.Outcome {
	out := make([]records.Outcome, len(res))
	for i, r := range res {
		out[i] = r.Outcome
	}
	return out
}

func getOne(t *testing.T, s store.Store, key string) store.SalesPerson {
	t.Helper()
	got, err := s.Get(context.Background(), nil, []string{key})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("Get(%q) found %d records, want 1", key, len(got))
	}
	return got[0]
}

func testWriteModes(t *testing.T, s store.Store) {
	a, b := id(t, "sp-a"), id(t, "sp-b")
	res := write(t, s,
		store.Write{Mode: records.CreateOnly, ExternalID: a, Fields: map[store.Field]string{store.FieldEmail: "a@x.io"}},
		store.Write{Mode: records.UpdateOnly, ExternalID: b},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "sp-c")},
	)
	if diff := cmp.Diff([]records.Outcome{records.Created, records.NotFound, records.Created}, outcomes(res)); diff != "" {
		t.Fatalf("first batch outcomes (-want +got):\n%s", diff)
	}
	if res[0].ID == 0 || res[2].ID == 0 || res[0].ID == res[2].ID || res[1].ID != 0 {
		t.Fatalf("ids = %+v, want two distinct non-zero ids and 0 for the miss", res)
	}
	res2 := write(t, s,
		store.Write{Mode: records.CreateOnly, ExternalID: a},
		store.Write{Mode: records.UpdateOnly, ExternalID: id(t, "sp-c"), Fields: map[store.Field]string{store.FieldTitle: "AE"}},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: b},
	)
	if diff := cmp.Diff([]records.Outcome{records.AlreadyExists, records.Updated, records.Created}, outcomes(res2)); diff != "" {
		t.Fatalf("second batch outcomes (-want +got):\n%s", diff)
	}
	if res2[0].ID != res[0].ID || res2[1].ID != res[2].ID {
		t.Errorf("existing records changed id: %+v then %+v", res, res2)
	}
	if got := getOne(t, s, a.Key); got.Email != "a@x.io" {
		t.Errorf("createOnly on an existing record changed it: email %q", got.Email)
	}
	if got := getOne(t, s, "sp-c"); got.Title != "AE" {
		t.Errorf("title after update = %q, want AE", got.Title)
	}
}

func testCaseInsensitive(t *testing.T, s store.Store) {
	const guid = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
	res := write(t, s,
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "{6F9619FF-8B86-D011-B42D-00C04FC964FF}")},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "SF-USER-1")},
	)
	res2 := write(t, s,
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, guid)},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "sf-user-1")},
	)
	if diff := cmp.Diff([]records.Outcome{records.Updated, records.Updated}, outcomes(res2)); diff != "" {
		t.Fatalf("case variants (-want +got):\n%s", diff)
	}
	if res[0].ID != res2[0].ID || res[1].ID != res2[1].ID {
		t.Errorf("case variants made new records: %+v then %+v", res, res2)
	}
	if got := getOne(t, s, guid); got.ExternalID != guid {
		t.Errorf("GUID stored as %q, want canonical %q", got.ExternalID, guid)
	}
	if got := getOne(t, s, "sf-user-1"); got.ExternalID != "SF-USER-1" {
		t.Errorf("non-GUID id stored as %q, want it as first sent", got.ExternalID)
	}
}

func testPartialUpdate(t *testing.T, s store.Store) {
	k := id(t, "sp-1")
	write(t, s, store.Write{Mode: records.CreateOrUpdate, ExternalID: k, Fields: map[store.Field]string{
		store.FieldEmail: "Ann@X.io", store.FieldFirstName: "Ann", store.FieldLastName: "Lee", store.FieldPhone: "1",
	}})
	before := getOne(t, s, k.Key)
	write(t, s, store.Write{Mode: records.CreateOrUpdate, ExternalID: k, Fields: map[store.Field]string{
		store.FieldLastName: "Li", store.FieldPhone: "",
	}})
	got := getOne(t, s, k.Key)
	want := store.SalesPerson{ID: before.ID, ExternalID: "sp-1", Email: "Ann@X.io", FirstName: "Ann", LastName: "Li"}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.SalesPerson{}, "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("after partial update (-want +got):\n%s", diff)
	}
	if !got.CreatedAt.Equal(before.CreatedAt) || got.UpdatedAt.Before(before.UpdatedAt) {
		t.Errorf("times: created %v→%v, updated %v→%v", before.CreatedAt, got.CreatedAt, before.UpdatedAt, got.UpdatedAt)
	}
}

func testUpdateByID(t *testing.T, s store.Store) {
	res := write(t, s, store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "sp-9")})
	res2 := write(t, s,
		store.Write{Mode: records.UpdateOnly, ID: res[0].ID, Fields: map[store.Field]string{store.FieldFax: "9"}},
		store.Write{Mode: records.UpdateOnly, ID: res[0].ID + 1000},
	)
	if diff := cmp.Diff([]records.Outcome{records.Updated, records.NotFound}, outcomes(res2)); diff != "" {
		t.Fatalf("update by id (-want +got):\n%s", diff)
	}
	if got := getOne(t, s, "sp-9"); got.Fax != "9" {
		t.Errorf("fax = %q, want 9", got.Fax)
	}
}

func testList(t *testing.T, s store.Store) {
	var writes []store.Write
	for i := range 25 {
		email := fmt.Sprintf("rep%d@x.io", i%5)
		writes = append(writes, store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, fmt.Sprintf("sp-%02d", i)), Fields: map[store.Field]string{store.FieldEmail: email}})
	}
	res := write(t, s, writes...)
	ctx := context.Background()

	// All records with email rep1 or rep3 (case-folded), three pages of two and one of one.
	var got []int32
	var after int32
	for page := 0; ; page++ {
		ps, err := s.List(ctx, store.Filter{By: store.ByEmail, Keys: []string{"rep1@x.io", "rep3@x.io", "nobody@x.io"}, AfterID: after, Limit: 3})
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, p := range ps {
			got = append(got, p.ID)
			after = p.ID
		}
		if len(ps) < 3 || page > 10 {
			break
		}
	}
	var want []int32
	for i, r := range res {
		if i%5 == 1 || i%5 == 3 {
			want = append(want, r.ID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged list by email (-want +got):\n%s", diff)
	}
	if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i] < got[j] }) {
		t.Errorf("list not ordered by id: %v", got)
	}

	byID, err := s.List(ctx, store.Filter{By: store.ByID, IDs: []int32{res[4].ID, res[2].ID, 99999}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(byID) != 2 || byID[0].ID != res[2].ID || byID[1].ID != res[4].ID {
		t.Errorf("list by id = %+v", byID)
	}
	byKey, err := s.List(ctx, store.Filter{By: store.ByExternalKey, Keys: []string{"sp-07"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(byKey) != 1 || byKey[0].ID != res[7].ID {
		t.Errorf("list by external key = %+v", byKey)
	}
	none, err := s.List(ctx, store.Filter{By: store.ByExternalKey, Keys: nil, Limit: 10})
	if err != nil || len(none) != 0 {
		t.Errorf("list with no values = %+v, %v; want nothing", none, err)
	}
}

func testGet(t *testing.T, s store.Store) {
	res := write(t, s,
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "g-1")},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "g-2")},
	)
	got, err := s.Get(context.Background(), []int32{res[0].ID, 123456}, []string{"g-1", "g-2", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	ids := []int32{}
	for _, p := range got {
		ids = append(ids, p.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if diff := cmp.Diff([]int32{res[0].ID, res[1].ID}, ids); diff != "" {
		t.Errorf("Get ids (-want +got):\n%s", diff)
	}
}

func testDelete(t *testing.T, s store.Store) {
	res := write(t, s,
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "d-1")},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "d-2")},
	)
	got, err := s.Delete(context.Background(), []store.Key{
		{ExternalKey: "d-1"}, {ID: res[1].ID}, {ExternalKey: "d-1"}, {ExternalKey: "missing"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DeleteResult{{Deleted: true, ID: res[0].ID}, {Deleted: true, ID: res[1].ID}, {}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Delete (-want +got):\n%s", diff)
	}
	left, err := s.Get(context.Background(), []int32{res[0].ID, res[1].ID}, nil)
	if err != nil || len(left) != 0 {
		t.Errorf("after delete Get = %+v, %v; want nothing", left, err)
	}
	// Ids are never reused.
	again := write(t, s, store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "d-1")})
	if again[0].ID == res[0].ID || again[0].ID == res[1].ID {
		t.Errorf("re-created record reused id %d", again[0].ID)
	}
}

func testInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	tooMany := make([]store.Write, store.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, fmt.Sprintf("x-%d", i))}
	}
	calls := map[string][]store.Write{
		"too many":       tooMany,
		"no key":         {{Mode: records.CreateOrUpdate, ExternalID: id(t, "ok")}, {Mode: records.CreateOrUpdate}},
		"id with create": {{Mode: records.CreateOrUpdate, ID: 1}},
		"unknown field":  {{Mode: records.CreateOrUpdate, ExternalID: id(t, "ok"), Fields: map[store.Field]string{"password": "x"}}},
	}
	for name, writes := range calls {
		if _, err := s.Write(ctx, writes); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: Write = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.List(ctx, store.Filter{By: store.ByID, IDs: []int32{1}, Limit: 0}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List with limit 0 = %v, want ErrInvalid", err)
	}
	got, err := s.Get(ctx, nil, []string{"ok", "x-0"})
	if err != nil || len(got) != 0 {
		t.Errorf("invalid calls wrote %d records (%v)", len(got), err)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	const writers = 6
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := []store.Write{
				{Mode: records.CreateOrUpdate, ExternalID: id(t, "shared-1"), Fields: map[store.Field]string{store.FieldTitle: fmt.Sprint(w)}},
				{Mode: records.CreateOrUpdate, ExternalID: id(t, "shared-2")},
			}
			if _, err := s.Write(context.Background(), batch); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Write: %v", err)
	}
	got, err := s.List(context.Background(), store.Filter{By: store.ByExternalKey, Keys: []string{"shared-1", "shared-2"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("concurrent creates of 2 keys left %d records", len(got))
	}
}
