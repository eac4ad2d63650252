// Package storetest is the conformance suite every account store implementation passes.
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
	"github.com/msisync/msisync/services/account/internal/store"
)

// Run runs the conformance suite; open returns a fresh, empty store for one subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"WriteOutcomesFollowTheMode", testWriteModes},
		{"CreateNeedsAnOwner", testMissingOwner},
		{"ExternalIDsMatchCaseInsensitively", testCaseInsensitive},
		{"UpdateKeepsAbsentFields", testPartialUpdate},
		{"UpdateByID", testUpdateByID},
		{"ListFiltersAndPages", testList},
		{"GetResolvesKnownKeys", testGet},
		{"DeleteReportsEachKey", testDelete},
		{"CountBySalesPerson", testCount},
		{"CountFollowsWritesAndDeletes", testCountAll},
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

// ignoreTimes leaves the timestamps out of record comparisons.
var ignoreTimes = cmpopts.IgnoreFields(store.Company{}, "CreatedAt", "UpdatedAt")

func id(t *testing.T, raw string) extid.ID {
	t.Helper()
	v, err := extid.Normalize(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// owned is a createOrUpdate write of key owned by owner.
func owned(t *testing.T, key, owner string) store.Write {
	t.Helper()
	return store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, key), SalesPerson: id(t, owner)}
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

func getOne(t *testing.T, s store.Store, key string) store.Company {
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
	a, b, c := id(t, "co-a"), id(t, "co-b"), id(t, "co-c")
	owner := id(t, "sp-1")
	res := write(t, s,
		store.Write{Mode: records.CreateOnly, ExternalID: a, SalesPerson: owner, Fields: map[store.Field]string{store.FieldCompany: "Acme"}},
		store.Write{Mode: records.UpdateOnly, ExternalID: b, SalesPerson: owner},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: c, SalesPerson: owner},
	)
	if diff := cmp.Diff([]records.Outcome{records.Created, records.NotFound, records.Created}, outcomes(res)); diff != "" {
		t.Fatalf("first batch outcomes (-want +got):\n%s", diff)
	}
	if res[0].ID == 0 || res[2].ID == 0 || res[0].ID == res[2].ID || res[1].ID != 0 {
		t.Fatalf("ids = %+v, want two distinct non-zero ids and 0 for the miss", res)
	}
	res2 := write(t, s,
		store.Write{Mode: records.CreateOnly, ExternalID: a, SalesPerson: owner, Fields: map[store.Field]string{store.FieldCompany: "Other"}},
		store.Write{Mode: records.UpdateOnly, ExternalID: c, Fields: map[store.Field]string{store.FieldIndustry: "Retail"}},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: b, SalesPerson: owner},
	)
	if diff := cmp.Diff([]records.Outcome{records.AlreadyExists, records.Updated, records.Created}, outcomes(res2)); diff != "" {
		t.Fatalf("second batch outcomes (-want +got):\n%s", diff)
	}
	if res2[0].ID != res[0].ID || res2[1].ID != res[2].ID {
		t.Errorf("existing records changed id: %+v then %+v", res, res2)
	}
	if got := getOne(t, s, a.Key); got.Company != "Acme" {
		t.Errorf("createOnly on an existing record changed it: company %q", got.Company)
	}
	if got := getOne(t, s, c.Key); got.Industry != "Retail" || got.SalesPersonID != "sp-1" {
		t.Errorf("after update: industry %q, owner %q; want Retail, sp-1", got.Industry, got.SalesPersonID)
	}
}

func testMissingOwner(t *testing.T, s store.Store) {
	existing := write(t, s, owned(t, "has-owner", "sp-1"))
	res := write(t, s,
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "no-owner")},
		store.Write{Mode: records.CreateOnly, ExternalID: id(t, "no-owner-2")},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "has-owner"), Fields: map[store.Field]string{store.FieldSite: "HQ"}},
		owned(t, "with-owner", "sp-2"),
	)
	res = append(res, write(t, s, store.Write{Mode: records.CreateOnly, ExternalID: id(t, "has-owner")})...)
	want := []store.WriteResult{
		{MissingOwner: true},
		{MissingOwner: true},
		{Outcome: records.Updated, ID: existing[0].ID},
		{Outcome: records.Created, ID: res[3].ID},
		{Outcome: records.AlreadyExists, ID: existing[0].ID},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Fatalf("results (-want +got):\n%s", diff)
	}
	if res[3].ID == 0 || res[3].ID == existing[0].ID {
		t.Errorf("create with owner got id %d", res[3].ID)
	}
	got, err := s.Get(context.Background(), nil, []string{"no-owner", "no-owner-2"})
	if err != nil || len(got) != 0 {
		t.Errorf("creates without owner stored %d records (%v)", len(got), err)
	}
	if got := getOne(t, s, "has-owner"); got.Site != "HQ" || got.SalesPersonID != "sp-1" {
		t.Errorf("update without owner: site %q, owner %q; want HQ, sp-1", got.Site, got.SalesPersonID)
	}
}

func testCaseInsensitive(t *testing.T, s store.Store) {
	const guid = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
	const ownerGUID = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	res := write(t, s,
		owned(t, "{6F9619FF-8B86-D011-B42D-00C04FC964FF}", "{0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9}"),
		owned(t, "SF-ACCT-1", "SF-User-1"),
	)
	res2 := write(t, s,
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, guid)},
		store.Write{Mode: records.CreateOrUpdate, ExternalID: id(t, "sf-acct-1")},
	)
	if diff := cmp.Diff([]records.Outcome{records.Updated, records.Updated}, outcomes(res2)); diff != "" {
		t.Fatalf("case variants (-want +got):\n%s", diff)
	}
	if res[0].ID != res2[0].ID || res[1].ID != res2[1].ID {
		t.Errorf("case variants made new records: %+v then %+v", res, res2)
	}
	if got := getOne(t, s, guid); got.ExternalID != guid || got.SalesPersonID != ownerGUID {
		t.Errorf("GUIDs stored as %q owned by %q, want canonical %q and %q", got.ExternalID, got.SalesPersonID, guid, ownerGUID)
	}
	if got := getOne(t, s, "sf-acct-1"); got.ExternalID != "SF-ACCT-1" || got.SalesPersonID != "SF-User-1" {
		t.Errorf("non-GUID ids stored as %q owned by %q, want them as first sent", got.ExternalID, got.SalesPersonID)
	}
	byOwner, err := s.List(context.Background(), store.Filter{By: store.BySalesPerson, Keys: []string{"sf-user-1", ownerGUID}, Limit: 10})
	if err != nil || len(byOwner) != 2 {
		t.Errorf("list by owner key found %d records (%v), want 2", len(byOwner), err)
	}
}

func testPartialUpdate(t *testing.T, s store.Store) {
	k := id(t, "co-1")
	employees, revenue := int32(250), 1.5e6
	w := owned(t, "co-1", "sp-1")
	w.Fields = map[store.Field]string{
		store.FieldCompany: "Acme Corp", store.FieldWebsite: "acme.example", store.FieldMainPhone: "1",
		store.FieldBillingCity: "Lyon", store.FieldCompanyNotes: "notes",
	}
	w.NumberOfEmployees, w.AnnualRevenue = &employees, &revenue
	write(t, s, w)
	before := getOne(t, s, k.Key)
	zero := int32(0)
	write(t, s, store.Write{Mode: records.CreateOrUpdate, ExternalID: k, NumberOfEmployees: &zero, Fields: map[store.Field]string{
		store.FieldBillingCity: "Paris", store.FieldMainPhone: "",
	}})
	got := getOne(t, s, k.Key)
	want := store.Company{
		ID: before.ID, ExternalID: "co-1", SalesPersonID: "sp-1", Company: "Acme Corp", Website: "acme.example",
		BillingCity: "Paris", CompanyNotes: "notes", AnnualRevenue: 1.5e6,
	}
	if diff := cmp.Diff(want, got, ignoreTimes); diff != "" {
		t.Errorf("after partial update (-want +got):\n%s", diff)
	}
	if !got.CreatedAt.Equal(before.CreatedAt) || got.UpdatedAt.Before(before.UpdatedAt) {
		t.Errorf("times: created %v→%v, updated %v→%v", before.CreatedAt, got.CreatedAt, before.UpdatedAt, got.UpdatedAt)
	}
}

func testUpdateByID(t *testing.T, s store.Store) {
	res := write(t, s, owned(t, "co-9", "sp-1"))
	res2 := write(t, s,
		store.Write{Mode: records.UpdateOnly, ID: res[0].ID, SalesPerson: id(t, "SP-2"), Fields: map[store.Field]string{store.FieldSICCode: "7372"}},
		store.Write{Mode: records.UpdateOnly, ID: res[0].ID + 1000},
	)
	if diff := cmp.Diff([]records.Outcome{records.Updated, records.NotFound}, outcomes(res2)); diff != "" {
		t.Fatalf("update by id (-want +got):\n%s", diff)
	}
	if got := getOne(t, s, "co-9"); got.SICCode != "7372" || got.SalesPersonID != "SP-2" || got.ExternalID != "co-9" {
		t.Errorf("after update by id = %+v", got)
	}
	moved, err := s.List(context.Background(), store.Filter{By: store.BySalesPerson, Keys: []string{"sp-1"}, Limit: 10})
	if err != nil || len(moved) != 0 {
		t.Errorf("old owner still lists %d companies (%v)", len(moved), err)
	}
}

func testList(t *testing.T, s store.Store) {
	var writes []store.Write
	for i := range 25 {
		w := owned(t, fmt.Sprintf("co-%02d", i), fmt.Sprintf("sp-%d", i%5))
		w.Fields = map[store.Field]string{store.FieldCompany: fmt.Sprintf("Name %d", i%3)}
		writes = append(writes, w)
	}
	res := write(t, s, writes...)
	ctx := context.Background()

	// All records owned by sp-1 or sp-3: pages of three without gaps or repeats.
	got := listAll(t, s, store.Filter{By: store.BySalesPerson, Keys: []string{"sp-1", "sp-3", "nobody"}, Limit: 3})
	var want []int32
	for i, r := range res {
		if i%5 == 1 || i%5 == 3 {
			want = append(want, r.ID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged list by owner (-want +got):\n%s", diff)
	}
	if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i] < got[j] }) {
		t.Errorf("list not ordered by id: %v", got)
	}

	// Company names match case-folded.
	got = listAll(t, s, store.Filter{By: store.ByCompany, Keys: []string{extid.Fold("NAME 2")}, Limit: 4})
	want = nil
	for i, r := range res {
		if i%3 == 2 {
			want = append(want, r.ID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged list by company name (-want +got):\n%s", diff)
	}

	byID, err := s.List(ctx, store.Filter{By: store.ByID, IDs: []int32{res[4].ID, res[2].ID, 99999}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(byID) != 2 || byID[0].ID != res[2].ID || byID[1].ID != res[4].ID {
		t.Errorf("list by id = %+v", byID)
	}
	byKey, err := s.List(ctx, store.Filter{By: store.ByExternalKey, Keys: []string{"co-07"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(byKey) != 1 || byKey[0].ID != res[7].ID || byKey[0].SalesPersonID != "sp-2" || byKey[0].Company != "Name 1" {
		t.Errorf("list by external key = %+v", byKey)
	}
	none, err := s.List(ctx, store.Filter{By: store.ByExternalKey, Keys: nil, Limit: 10})
	if err != nil || len(none) != 0 {
		t.Errorf("list with no values = %+v, %v; want nothing", none, err)
	}
}

// listAll pages through f and returns the ids found.
func listAll(t *testing.T, s store.Store, f store.Filter) []int32 {
	t.Helper()
	var got []int32
	for page := 0; page <= 20; page++ {
		cs, err := s.List(context.Background(), f)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		for _, c := range cs {
			got = append(got, c.ID)
			f.AfterID = c.ID
		}
		if len(cs) < f.Limit {
			break
		}
	}
	return got
}

func testGet(t *testing.T, s store.Store) {
	res := write(t, s, owned(t, "g-1", "sp"), owned(t, "g-2", "sp"))
	got, err := s.Get(context.Background(), []int32{res[0].ID, 123456}, []string{"g-1", "g-2", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	ids := []int32{}
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if diff := cmp.Diff([]int32{res[0].ID, res[1].ID}, ids); diff != "" {
		t.Errorf("Get ids (-want +got):\n%s", diff)
	}
}

func testDelete(t *testing.T, s store.Store) {
	res := write(t, s, owned(t, "d-1", "sp"), owned(t, "d-2", "sp"))
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
	// Ids are never reused, not even after the newest record is deleted.
	again := write(t, s, owned(t, "d-1", "sp"))
	if again[0].ID <= res[1].ID {
		t.Errorf("re-created record got id %d, want one above %d", again[0].ID, res[1].ID)
	}
}

func testCount(t *testing.T, s store.Store) {
	write(t, s, owned(t, "c-1", "SP-A"), owned(t, "c-2", "sp-a"), owned(t, "c-3", "sp-b"), owned(t, "c-4", "sp-c"))
	got, err := s.CountBySalesPerson(context.Background(), []string{"sp-a", "sp-b", "sp-none"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"sp-a": 2, "sp-b": 1}, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	empty, err := s.CountBySalesPerson(context.Background(), nil)
	if err != nil || len(empty) != 0 {
		t.Errorf("count of no keys = %v, %v; want nothing", empty, err)
	}
}

func testInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	tooMany := make([]store.Write, store.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = owned(t, fmt.Sprintf("x-%d", i), "sp")
	}
	calls := map[string][]store.Write{
		"too many":       tooMany,
		"no key":         {owned(t, "ok", "sp"), {Mode: records.CreateOrUpdate, SalesPerson: id(t, "sp")}},
		"repeated key":   {owned(t, "ok", "sp"), owned(t, "OK", "sp")},
		"repeated id":    {{Mode: records.UpdateOnly, ID: 1}, {Mode: records.UpdateOnly, ID: 1}},
		"id with create": {{Mode: records.CreateOrUpdate, ID: 1}},
		"unknown field":  {{Mode: records.CreateOrUpdate, ExternalID: id(t, "ok"), SalesPerson: id(t, "sp"), Fields: map[store.Field]string{"password": "x"}}},
	}
	for name, writes := range calls {
		if _, err := s.Write(ctx, writes); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: Write = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.List(ctx, store.Filter{By: store.ByID, IDs: []int32{1}, Limit: 0}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List with limit 0 = %v, want ErrInvalid", err)
	}
	if _, err := s.List(ctx, store.Filter{By: 99, Keys: []string{"x"}, Limit: 1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List by an unknown field = %v, want ErrInvalid", err)
	}
	if _, err := s.Delete(ctx, make([]store.Key, store.MaxBatch+1)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Delete of too many keys = %v, want ErrInvalid", err)
	}
	if _, err := s.CountBySalesPerson(ctx, make([]string, store.MaxBatch+1)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CountBySalesPerson of too many keys = %v, want ErrInvalid", err)
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
			first := owned(t, "shared-1", "sp")
			first.Fields = map[store.Field]string{store.FieldSite: fmt.Sprint(w)}
			if _, err := s.Write(context.Background(), []store.Write{first, owned(t, "shared-2", "sp")}); err != nil {
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
