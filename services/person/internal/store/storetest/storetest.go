// Package storetest is the conformance suite every person store implementation passes.
// Each backend's test calls Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/person/internal/store"
)

// Run runs the conformance suite; open returns a fresh, empty store for one subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"WriteOutcomesFollowTheMode", testWriteModes},
		{"EmailLookupIsCaseInsensitiveAndNotUnique", testEmailLookup},
		{"ExternalIDsMatchCaseInsensitively", testCaseInsensitive},
		{"ExternalPersonIDIsUniqueWhenSet", testExternalPersonIDUnique},
		{"UpdateKeepsAbsentFields", testPartialUpdate},
		{"CustomFieldsMergeByName", testCustomFields},
		{"UpdateByID", testUpdateByID},
		{"FullBatchGetsIDsInInputOrder", testFullBatch},
		{"ListFiltersPagesAndCounts", testList},
		{"GetResolvesKnownKeys", testGet},
		{"ProjectionsReadOnlyTheNamedColumns", testProjection},
		{"DeleteReportsEachKey", testDelete},
		{"CountReferencesPerParent", testCountReferences},
		{"CountAllFollowsWritesAndDeletes", testCountAll},
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

func xid(t *testing.T, raw string) *extid.ID {
	t.Helper()
	v, err := extid.Normalize(raw)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

// byEmail is a write keyed by email.
func byEmail(mode records.Mode, email string, fields ...store.Field) store.Write {
	w := store.Write{Mode: mode, Fields: map[store.Field]string{store.FieldEmail: email}}
	for i := 0; i+1 < len(fields); i += 2 {
		w.Fields[fields[i]] = string(fields[i+1])
	}
	return w
}

// byPerson is a write keyed by external person id.
func byPerson(t *testing.T, mode records.Mode, ext string) store.Write {
	return store.Write{Mode: mode, ExternalPersonID: xid(t, ext), Fields: map[store.Field]string{}}
}

func write(t *testing.T, s store.Store, lookup store.Lookup, writes ...store.Write) []store.WriteResult {
	t.Helper()
	res, err := s.Write(context.Background(), lookup, writes)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if len(res) != len(writes) {
		t.Fatalf("Write returned %d results for %d writes", len(res), len(writes))
	}
	return res
}

func outcomes(res []store.WriteResult) []string {
	out := make([]string, len(res))
	for i, r := range res {
		switch r.Skip {
		case store.SkipAmbiguous:
			out[i] = fmt.Sprintf("ambiguous(%d)", r.Matches)
		case store.SkipExternalPersonIDTaken:
			out[i] = "taken"
		default:
			out[i] = map[records.Outcome]string{records.Created: "created", records.Updated: "updated", records.NotFound: "not found", records.AlreadyExists: "exists"}[r.Outcome]
		}
	}
	return out
}

func get(t *testing.T, s store.Store, ids ...int32) []store.Lead {
	t.Helper()
	got, err := s.Get(context.Background(), ids, nil, nil)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	slices.SortFunc(got, func(a, b store.Lead) int { return int(a.ID - b.ID) })
	return got
}

func getOne(t *testing.T, s store.Store, id int32) store.Lead {
	t.Helper()
	got := get(t, s, id)
	if len(got) != 1 {
		t.Fatalf("Get(%d) found %d leads, want 1", id, len(got))
	}
	return got[0]
}

var ignoreTimes = cmpopts.IgnoreFields(store.Lead{}, "CreatedAt", "UpdatedAt")

func testWriteModes(t *testing.T, s store.Store) {
	res := write(t, s, store.LookupEmail,
		byEmail(records.CreateOnly, "a@x.io", store.FieldFirstName, "Ann"),
		byEmail(records.UpdateOnly, "b@x.io"),
		byEmail(records.CreateOrUpdate, "c@x.io"),
	)
	if diff := cmp.Diff([]string{"created", "not found", "created"}, outcomes(res)); diff != "" {
		t.Fatalf("first batch (-want +got):\n%s", diff)
	}
	if res[0].ID == 0 || res[2].ID == 0 || res[0].ID == res[2].ID || res[1].ID != 0 {
		t.Fatalf("ids = %+v, want two distinct non-zero ids and 0 for the miss", res)
	}
	res2 := write(t, s, store.LookupEmail,
		byEmail(records.CreateOnly, "a@x.io", store.FieldFirstName, "Bob"),
		byEmail(records.UpdateOnly, "c@x.io", store.FieldTitle, "CTO"),
		byEmail(records.CreateOrUpdate, "b@x.io"),
	)
	if diff := cmp.Diff([]string{"exists", "updated", "created"}, outcomes(res2)); diff != "" {
		t.Fatalf("second batch (-want +got):\n%s", diff)
	}
	if res2[0].ID != res[0].ID || res2[1].ID != res[2].ID {
		t.Errorf("existing leads changed id: %+v then %+v", res, res2)
	}
	if got := getOne(t, s, res[0].ID); got.FirstName != "Ann" {
		t.Errorf("createOnly on an existing lead changed it: first name %q", got.FirstName)
	}
	if got := getOne(t, s, res[2].ID); got.Title != "CTO" {
		t.Errorf("title after update = %q, want CTO", got.Title)
	}

	res3 := write(t, s, store.LookupExternalPersonID,
		byPerson(t, records.UpdateOnly, "crm-0"),
		byPerson(t, records.CreateOnly, "crm-1"),
		byPerson(t, records.CreateOrUpdate, "crm-2"),
	)
	if diff := cmp.Diff([]string{"not found", "created", "created"}, outcomes(res3)); diff != "" {
		t.Fatalf("by external person id (-want +got):\n%s", diff)
	}
	res4 := write(t, s, store.LookupExternalPersonID,
		byPerson(t, records.CreateOnly, "CRM-1"),
		byPerson(t, records.CreateOrUpdate, "crm-2"),
	)
	if diff := cmp.Diff([]string{"exists", "updated"}, outcomes(res4)); diff != "" {
		t.Fatalf("by external person id again (-want +got):\n%s", diff)
	}
	if res4[0].ID != res3[1].ID || res4[1].ID != res3[2].ID {
		t.Errorf("ids %+v then %+v", res3, res4)
	}
}

func testEmailLookup(t *testing.T, s store.Store) {
	one := write(t, s, store.LookupEmail, byEmail(records.CreateOrUpdate, "Solo@X.io"))
	again := write(t, s, store.LookupEmail, byEmail(records.CreateOrUpdate, "solo@x.IO", store.FieldLastName, "Lee"))
	if diff := cmp.Diff([]string{"updated"}, outcomes(again)); diff != "" || again[0].ID != one[0].ID {
		t.Fatalf("case variant of the email (-want +got):\n%s (ids %d, %d)", diff, one[0].ID, again[0].ID)
	}
	if got := getOne(t, s, one[0].ID); got.Email != "solo@x.IO" || got.LastName != "Lee" {
		t.Errorf("after update = %+v", got)
	}

	dupe := func(email string) store.Write {
		w := byEmail(records.CreateOnly, email)
		w.CreateDuplicate = true
		return w
	}
	twins := write(t, s, store.LookupEmail, dupe("twin@x.io"), dupe("TWIN@x.io"), dupe("solo@x.io"))
	if diff := cmp.Diff([]string{"created", "created", "created"}, outcomes(twins)); diff != "" {
		t.Fatalf("createDuplicate (-want +got):\n%s", diff)
	}
	res := write(t, s, store.LookupEmail,
		byEmail(records.CreateOrUpdate, "twin@x.io"),
		byEmail(records.UpdateOnly, "solo@x.io"),
	)
	res = append(res, write(t, s, store.LookupEmail, byEmail(records.CreateOnly, "twin@X.io"))...)
	want := []store.WriteResult{
		{Skip: store.SkipAmbiguous, Matches: 2},
		{Skip: store.SkipAmbiguous, Matches: 2},
		{Outcome: records.AlreadyExists, ID: twins[0].ID},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("several leads with the email (-want +got):\n%s", diff)
	}
}

func testCaseInsensitive(t *testing.T, s store.Store) {
	const guid = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
	w := byPerson(t, records.CreateOrUpdate, "{6F9619FF-8B86-D011-B42D-00C04FC964FF}")
	w.ExternalCompanyID = xid(t, "6F9619FF8B86D011B42D00C04FC964FF")
	w.ExternalSalesPersonID = xid(t, "Owner-A")
	res := write(t, s, store.LookupExternalPersonID, w, byPerson(t, records.CreateOrUpdate, "SF-Lead-1"))
	res2 := write(t, s, store.LookupExternalPersonID, byPerson(t, records.CreateOrUpdate, guid), byPerson(t, records.CreateOrUpdate, "sf-lead-1"))
	if diff := cmp.Diff([]string{"updated", "updated"}, outcomes(res2)); diff != "" {
		t.Fatalf("case variants (-want +got):\n%s", diff)
	}
	if res[0].ID != res2[0].ID || res[1].ID != res2[1].ID {
		t.Errorf("case variants made new leads: %+v then %+v", res, res2)
	}
	got := get(t, s, res[0].ID, res[1].ID)
	if got[0].ExternalPersonID != guid || got[0].ExternalCompanyID != guid || got[0].ExternalSalesPersonID != "Owner-A" {
		t.Errorf("ids stored as %q, %q, %q; want canonical GUIDs and the non-GUID as sent", got[0].ExternalPersonID, got[0].ExternalCompanyID, got[0].ExternalSalesPersonID)
	}
	if got[1].ExternalPersonID != "SF-Lead-1" {
		t.Errorf("non-GUID id stored as %q, want it as first sent", got[1].ExternalPersonID)
	}
}

func testExternalPersonIDUnique(t *testing.T, s store.Store) {
	withPerson := func(mode records.Mode, email, ext string) store.Write {
		w := byEmail(mode, email)
		w.ExternalPersonID = xid(t, ext)
		return w
	}
	// Many leads without an external person id are fine.
	base := write(t, s, store.LookupEmail,
		withPerson(records.CreateOrUpdate, "a@x.io", "P-A"),
		byEmail(records.CreateOrUpdate, "b@x.io"),
		byEmail(records.CreateOrUpdate, "c@x.io"),
	)
	res := write(t, s, store.LookupEmail,
		withPerson(records.CreateOrUpdate, "b@x.io", "p-a"), // taken by a
		withPerson(records.CreateOrUpdate, "c@x.io", "P-C"), // free
	)
	res = append(res, write(t, s, store.LookupEmail, withPerson(records.CreateOrUpdate, "new@x.io", "P-a"))...)
	res = append(res, write(t, s, store.LookupEmail, withPerson(records.CreateOrUpdate, "a@x.io", "p-A"))...) // a keeps its own
	want := []store.WriteResult{
		{Outcome: records.Updated, Skip: store.SkipExternalPersonIDTaken, ID: base[1].ID, HolderID: base[0].ID},
		{Outcome: records.Updated, ID: base[2].ID},
		{Outcome: records.Created, Skip: store.SkipExternalPersonIDTaken, HolderID: base[0].ID},
		{Outcome: records.Updated, ID: base[0].ID},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Fatalf("claims (-want +got):\n%s", diff)
	}
	got := get(t, s, base[0].ID, base[1].ID, base[2].ID)
	if got[0].ExternalPersonID != "P-A" || got[1].ExternalPersonID != "" || got[2].ExternalPersonID != "P-C" {
		t.Errorf("external person ids = %q, %q, %q; want P-A, none, P-C", got[0].ExternalPersonID, got[1].ExternalPersonID, got[2].ExternalPersonID)
	}
	if n, err := s.Count(context.Background(), store.Filter{By: store.ByEmail, Keys: []string{"new@x.io"}}); err != nil || n != 0 {
		t.Errorf("skipped create wrote %d leads (%v)", n, err)
	}
	// Clearing frees the id for another lead.
	clear := byEmail(records.UpdateOnly, "a@x.io")
	clear.ExternalPersonID = &extid.ID{}
	write(t, s, store.LookupEmail, clear)
	res = write(t, s, store.LookupEmail, withPerson(records.UpdateOnly, "b@x.io", "P-A"))
	if diff := cmp.Diff([]string{"updated"}, outcomes(res)); diff != "" {
		t.Errorf("claim after clearing (-want +got):\n%s", diff)
	}
	// createDuplicate is still refused an id in use.
	dup := withPerson(records.CreateOnly, "b@x.io", "p-c")
	dup.CreateDuplicate = true
	res = write(t, s, store.LookupEmail, dup)
	if res[0].Skip != store.SkipExternalPersonIDTaken || res[0].HolderID != base[2].ID {
		t.Errorf("createDuplicate with a taken id = %+v", res[0])
	}
}

func testPartialUpdate(t *testing.T, s store.Store) {
	rev, emp, yes := 1e6, int32(50), true
	w := byPerson(t, records.CreateOrUpdate, "crm-1")
	w.Fields = map[store.Field]string{store.FieldEmail: "Ann@X.io", store.FieldFirstName: "Ann", store.FieldLastName: "Lee", store.FieldPhone: "1", store.FieldIndustry: "Retail"}
	w.ExternalCompanyID, w.ExternalSalesPersonID = xid(t, "co-1"), xid(t, "sp-1")
	w.AnnualRevenue, w.NumberOfEmployees, w.Unsubscribed = &rev, &emp, &yes
	res := write(t, s, store.LookupExternalPersonID, w)
	before := getOne(t, s, res[0].ID)

	no := false
	u := byPerson(t, records.CreateOrUpdate, "CRM-1")
	u.Fields = map[store.Field]string{store.FieldLastName: "Li", store.FieldPhone: ""}
	u.ExternalCompanyID = &extid.ID{}
	u.Unsubscribed, u.DoNotCall = &no, &yes
	write(t, s, store.LookupExternalPersonID, u)
	got := getOne(t, s, res[0].ID)
	want := store.Lead{ID: before.ID, Email: "Ann@X.io", ExternalPersonID: "crm-1", ExternalSalesPersonID: "sp-1",
		FirstName: "Ann", LastName: "Li", Industry: "Retail", AnnualRevenue: 1e6, NumberOfEmployees: 50, DoNotCall: true}
	if diff := cmp.Diff(want, got, ignoreTimes); diff != "" {
		t.Errorf("after partial update (-want +got):\n%s", diff)
	}
	if !got.CreatedAt.Equal(before.CreatedAt) || got.UpdatedAt.Before(before.UpdatedAt) {
		t.Errorf("times: created %v→%v, updated %v→%v", before.CreatedAt, got.CreatedAt, before.UpdatedAt, got.UpdatedAt)
	}
}

func testCustomFields(t *testing.T, s store.Store) {
	w := byEmail(records.CreateOrUpdate, "c@x.io")
	w.Custom = map[string]any{"score_c": 12.5, "segment": "smb", "vip": true, "gone": nil}
	res := write(t, s, store.LookupEmail, w)
	if diff := cmp.Diff(map[string]any{"score_c": 12.5, "segment": "smb", "vip": true}, getOne(t, s, res[0].ID).Custom); diff != "" {
		t.Errorf("custom fields on create (-want +got):\n%s", diff)
	}
	u := byEmail(records.UpdateOnly, "c@x.io")
	u.Custom = map[string]any{"segment": nil, "vip": false, "region": "emea"}
	write(t, s, store.LookupEmail, u)
	// An update without custom fields leaves them alone.
	write(t, s, store.LookupEmail, byEmail(records.UpdateOnly, "c@x.io", store.FieldCity, "Oslo"))
	got := getOne(t, s, res[0].ID)
	if diff := cmp.Diff(map[string]any{"score_c": 12.5, "vip": false, "region": "emea"}, got.Custom); diff != "" {
		t.Errorf("custom fields after merge (-want +got):\n%s", diff)
	}
	if got.City != "Oslo" {
		t.Errorf("city = %q", got.City)
	}
}

func testUpdateByID(t *testing.T, s store.Store) {
	res := write(t, s, store.LookupEmail, byEmail(records.CreateOrUpdate, "id@x.io"), byEmail(records.CreateOrUpdate, "other@x.io"))
	up := store.Write{Mode: records.UpdateOnly, ID: res[0].ID, Fields: map[store.Field]string{store.FieldFax: "9", store.FieldEmail: "new@x.io"}, ExternalPersonID: xid(t, "p-9")}
	res2 := write(t, s, store.LookupID, up, store.Write{Mode: records.UpdateOnly, ID: res[1].ID + 1000})
	if diff := cmp.Diff([]string{"updated", "not found"}, outcomes(res2)); diff != "" {
		t.Fatalf("update by id (-want +got):\n%s", diff)
	}
	got := getOne(t, s, res[0].ID)
	if got.Fax != "9" || got.Email != "new@x.io" || got.ExternalPersonID != "p-9" {
		t.Errorf("after update by id = %+v", got)
	}
	// The new email is what lookups find now.
	if n, err := s.Count(context.Background(), store.Filter{By: store.ByEmail, Keys: []string{"new@x.io", "id@x.io"}}); err != nil || n != 1 {
		t.Errorf("count by email = %d, %v; want 1", n, err)
	}
}

func testFullBatch(t *testing.T, s store.Store) {
	var writes []store.Write
	for i := range store.MaxBatch {
		w := byPerson(t, records.CreateOrUpdate, fmt.Sprintf("bulk-%03d", i))
		w.Fields[store.FieldFirstName] = fmt.Sprint(i)
		if i%2 == 0 {
			w.Fields[store.FieldEmail] = fmt.Sprintf("bulk%d@x.io", i)
		}
		writes = append(writes, w)
	}
	res := write(t, s, store.LookupExternalPersonID, writes...)
	ids := make([]int32, len(res))
	for i, r := range res {
		ids[i] = r.ID
	}
	got := get(t, s, ids...)
	if len(got) != store.MaxBatch {
		t.Fatalf("created %d leads, want %d", len(got), store.MaxBatch)
	}
	byID := map[int32]store.Lead{}
	for _, l := range got {
		byID[l.ID] = l
	}
	for i, r := range res {
		if l := byID[r.ID]; l.FirstName != fmt.Sprint(i) || l.ExternalPersonID != fmt.Sprintf("bulk-%03d", i) {
			t.Fatalf("result %d names lead %d, which holds %q / %q", i, r.ID, l.ExternalPersonID, l.FirstName)
		}
	}
	// The same batch again updates every lead.
	res2 := write(t, s, store.LookupExternalPersonID, writes...)
	for i, r := range res2 {
		if r.Outcome != records.Updated || r.ID != res[i].ID {
			t.Fatalf("second pass result %d = %+v, want update of %d", i, r, res[i].ID)
		}
	}
}

func testList(t *testing.T, s store.Store) {
	var writes []store.Write
	for i := range 25 {
		w := byPerson(t, records.CreateOrUpdate, fmt.Sprintf("L-%02d", i))
		w.Fields[store.FieldEmail] = fmt.Sprintf("rep%d@x.io", i%5)
		w.ExternalCompanyID = xid(t, fmt.Sprintf("CO-%d", i%3))
		w.ExternalSalesPersonID = xid(t, fmt.Sprintf("SP-%d", i%4))
		writes = append(writes, w)
	}
	res := write(t, s, store.LookupExternalPersonID, writes...)
	ctx := context.Background()
	pageAll := func(f store.Filter) []int32 {
		t.Helper()
		var got []int32
		for page := 0; page < 20; page++ {
			ls, err := s.List(ctx, f)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			for _, l := range ls {
				got = append(got, l.ID)
				f.AfterID = l.ID
			}
			if len(ls) < f.Limit {
				break
			}
		}
		return got
	}
	wantWhere := func(keep func(i int) bool) []int32 {
		var want []int32
		for i, r := range res {
			if keep(i) {
				want = append(want, r.ID)
			}
		}
		return want
	}
	tests := []struct {
		name string
		f    store.Filter
		want []int32
	}{
		{"email", store.Filter{By: store.ByEmail, Keys: []string{"rep1@x.io", "rep3@x.io", "nobody@x.io"}}, wantWhere(func(i int) bool { return i%5 == 1 || i%5 == 3 })},
		{"company", store.Filter{By: store.ByExternalCompanyKey, Keys: []string{"co-2"}}, wantWhere(func(i int) bool { return i%3 == 2 })},
		{"sales person", store.Filter{By: store.ByExternalSalesPersonKey, Keys: []string{"sp-0", "sp-3", ""}}, wantWhere(func(i int) bool { return i%4 == 0 || i%4 == 3 })},
		{"person", store.Filter{By: store.ByExternalPersonKey, Keys: []string{"l-07", "l-20"}}, []int32{res[7].ID, res[20].ID}},
		{"id", store.Filter{By: store.ByID, IDs: []int32{res[4].ID, res[2].ID, 99999}}, []int32{res[2].ID, res[4].ID}},
		{"nothing", store.Filter{By: store.ByExternalPersonKey, Keys: []string{""}}, nil},
	}
	for _, tt := range tests {
		tt.f.Limit = 3
		if diff := cmp.Diff(tt.want, pageAll(tt.f)); diff != "" {
			t.Errorf("%s: paged list (-want +got):\n%s", tt.name, diff)
		}
		n, err := s.Count(ctx, tt.f)
		if err != nil || n != len(tt.want) {
			t.Errorf("%s: Count = %d, %v; want %d", tt.name, n, err, len(tt.want))
		}
	}
}

func testGet(t *testing.T, s store.Store) {
	res := write(t, s, store.LookupExternalPersonID, byPerson(t, records.CreateOrUpdate, "g-1"), byPerson(t, records.CreateOrUpdate, "g-2"))
	email := write(t, s, store.LookupEmail, byEmail(records.CreateOrUpdate, "no-ext@x.io"))
	got, err := s.Get(context.Background(), []int32{res[0].ID, email[0].ID, 123456}, []string{"g-1", "g-2", "missing", ""}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := []int32{}
	for _, l := range got {
		ids = append(ids, l.ID)
	}
	slices.Sort(ids)
	if diff := cmp.Diff([]int32{res[0].ID, res[1].ID, email[0].ID}, ids); diff != "" {
		t.Errorf("Get ids (-want +got):\n%s", diff)
	}
}

func testProjection(t *testing.T, s store.Store) {
	ctx := context.Background()
	w := byEmail(records.CreateOrUpdate, "proj@x.io", store.FieldFirstName, "Ann", store.FieldLastName, "Lee", store.FieldCity, "Oslo")
	w.ExternalPersonID = xid(t, "P-1")
	w.ExternalCompanyID = xid(t, "CO-1")
	revenue, employees, yes := 12.5, int32(40), true
	w.AnnualRevenue, w.NumberOfEmployees, w.Unsubscribed, w.DoNotCall = &revenue, &employees, &yes, &yes
	w.Custom = map[string]any{"segment": "smb"}
	id := write(t, s, store.LookupEmail, w)[0].ID
	full := getOne(t, s, id)
	if full.Custom["segment"] != "smb" || full.CreatedAt.IsZero() || full.ExternalCompanyID != "CO-1" {
		t.Fatalf("full read = %+v", full)
	}

	// every returns the lead as read through List and through Get with p.
	every := func(p store.Projection) []store.Lead {
		t.Helper()
		listed, err := s.List(ctx, store.Filter{By: store.ByExternalPersonKey, Keys: []string{"p-1"}, Limit: 2, Read: p})
		if err != nil {
			t.Fatalf("List with %v: %v", p, err)
		}
		got, err := s.Get(ctx, nil, []string{"p-1"}, p)
		if err != nil {
			t.Fatalf("Get with %v: %v", p, err)
		}
		return append(listed, got...)
	}
	tests := []struct {
		name string
		read store.Projection
		want store.Lead
	}{
		{"names", store.Projection{store.Column(store.FieldLastName), store.Column(store.FieldEmail), store.Column(store.FieldFirstName)},
			store.Lead{ID: id, Email: "proj@x.io", FirstName: "Ann", LastName: "Lee"}},
		{"numbers and flags", store.Projection{store.ColumnAnnualRevenue, store.ColumnNumberOfEmployees, store.ColumnUnsubscribed, store.ColumnDoNotCall, store.ColumnDoNotCall},
			store.Lead{ID: id, AnnualRevenue: 12.5, NumberOfEmployees: 40, Unsubscribed: true, DoNotCall: true}},
		{"keys, custom and times", store.Projection{store.ColumnCustomFields, store.ColumnExternalPersonID, store.ColumnExternalCompanyID, store.ColumnCreatedAt, store.ColumnUpdatedAt},
			store.Lead{ID: id, ExternalPersonID: "P-1", ExternalCompanyID: "CO-1", Custom: map[string]any{"segment": "smb"}, CreatedAt: full.CreatedAt, UpdatedAt: full.UpdatedAt}},
		{"id only", store.Projection{store.ColumnID}, store.Lead{ID: id}},
		{"every column", store.Columns, full},
		{"empty means every column", nil, full},
	}
	for _, tt := range tests {
		for _, got := range every(tt.read) {
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		}
	}

	bad := store.Projection{store.Column(store.FieldEmail), "password"}
	if _, err := s.List(ctx, store.Filter{By: store.ByID, IDs: []int32{id}, Limit: 1, Read: bad}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List with an unknown column = %v, want ErrInvalid", err)
	}
	if _, err := s.Get(ctx, []int32{id}, nil, bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Get with an unknown column = %v, want ErrInvalid", err)
	}
}

func testDelete(t *testing.T, s store.Store) {
	res := write(t, s, store.LookupExternalPersonID, byPerson(t, records.CreateOrUpdate, "d-1"), byPerson(t, records.CreateOrUpdate, "d-2"))
	got, err := s.Delete(context.Background(), []store.Key{
		{ExternalKey: "d-1"}, {ID: res[1].ID}, {ExternalKey: "d-1"}, {ExternalKey: "missing"}, {ID: res[1].ID},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DeleteResult{{Deleted: true, ID: res[0].ID}, {Deleted: true, ID: res[1].ID}, {}, {}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Delete (-want +got):\n%s", diff)
	}
	if left := get(t, s, res[0].ID, res[1].ID); len(left) != 0 {
		t.Errorf("after delete Get = %+v; want nothing", left)
	}
	// Ids are never reused.
	again := write(t, s, store.LookupExternalPersonID, byPerson(t, records.CreateOrUpdate, "d-1"))
	if again[0].ID <= res[1].ID {
		t.Errorf("re-created lead got id %d, not above %d", again[0].ID, res[1].ID)
	}
}

func testCountReferences(t *testing.T, s store.Store) {
	var writes []store.Write
	for i := range 7 {
		w := byPerson(t, records.CreateOrUpdate, fmt.Sprintf("r-%d", i))
		w.ExternalCompanyID = xid(t, fmt.Sprintf("Co-%d", i%2))
		if i < 3 {
			w.ExternalSalesPersonID = xid(t, "SP-1")
		}
		writes = append(writes, w)
	}
	write(t, s, store.LookupExternalPersonID, writes...)
	companies, owners, err := s.CountReferences(context.Background(), []string{"co-0", "co-1", "co-9"}, []string{"sp-1", "sp-2"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"co-0": 4, "co-1": 3}, companies); diff != "" {
		t.Errorf("companies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"sp-1": 3}, owners); diff != "" {
		t.Errorf("sales persons (-want +got):\n%s", diff)
	}
	companies, owners, err = s.CountReferences(context.Background(), nil, nil)
	if err != nil || len(companies) != 0 || len(owners) != 0 {
		t.Errorf("no keys = %v, %v, %v", companies, owners, err)
	}
}

func testInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	tooMany := make([]store.Write, store.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = byEmail(records.CreateOrUpdate, fmt.Sprintf("x%d@x.io", i))
	}
	ok := byEmail(records.CreateOrUpdate, "ok@x.io")
	withPerson := func(email, ext string) store.Write {
		w := byEmail(records.CreateOrUpdate, email)
		w.ExternalPersonID = xid(t, ext)
		return w
	}
	tests := []struct {
		name   string
		lookup store.Lookup
		writes []store.Write
	}{
		{"too many", store.LookupEmail, tooMany},
		{"no email", store.LookupEmail, []store.Write{ok, byEmail(records.CreateOrUpdate, "")}},
		{"no external person id", store.LookupExternalPersonID, []store.Write{{Mode: records.CreateOrUpdate}}},
		{"id with create", store.LookupID, []store.Write{{Mode: records.CreateOrUpdate, ID: 1}}},
		{"unknown field", store.LookupEmail, []store.Write{{Mode: records.CreateOrUpdate, Fields: map[store.Field]string{store.FieldEmail: "ok@x.io", "password": "x"}}}},
		{"repeated email", store.LookupEmail, []store.Write{ok, byEmail(records.UpdateOnly, "OK@x.io")}},
		{"repeated claim", store.LookupEmail, []store.Write{withPerson("ok@x.io", "p-1"), withPerson("other@x.io", "P-1")}},
		{"no lookup", 0, []store.Write{ok}},
		{"no mode", store.LookupEmail, []store.Write{{Fields: map[store.Field]string{store.FieldEmail: "ok@x.io"}}}},
	}
	for _, tt := range tests {
		if _, err := s.Write(ctx, tt.lookup, tt.writes); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: Write = %v, want ErrInvalid", tt.name, err)
		}
	}
	if _, err := s.List(ctx, store.Filter{By: store.ByID, IDs: []int32{1}, Limit: 0}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List with limit 0 = %v, want ErrInvalid", err)
	}
	if _, err := s.List(ctx, store.Filter{By: 99, Keys: []string{"x"}, Limit: 1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List by an unknown field = %v, want ErrInvalid", err)
	}
	if _, _, err := s.CountReferences(ctx, make([]string, store.MaxBatch+1), nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CountReferences with too many keys = %v, want ErrInvalid", err)
	}
	if _, err := s.Delete(ctx, make([]store.Key, store.MaxBatch+1)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Delete with too many keys = %v, want ErrInvalid", err)
	}
	n, err := s.Count(ctx, store.Filter{By: store.ByEmail, Keys: []string{"ok@x.io", "x0@x.io", "other@x.io"}})
	if err != nil || n != 0 {
		t.Errorf("invalid calls wrote %d leads (%v)", n, err)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	const writers = 6
	var wg sync.WaitGroup
	errs := make(chan error, 2*writers)
	for w := range writers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			a, b := byPerson(t, records.CreateOrUpdate, "shared-1"), byPerson(t, records.CreateOrUpdate, "SHARED-2")
			a.Fields[store.FieldTitle] = fmt.Sprint(w)
			if _, err := s.Write(context.Background(), store.LookupExternalPersonID, []store.Write{a, b}); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			batch := []store.Write{byEmail(records.CreateOrUpdate, "shared@x.io", store.FieldTitle, store.Field(fmt.Sprint(w)))}
			if _, err := s.Write(context.Background(), store.LookupEmail, batch); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Write: %v", err)
	}
	ctx := context.Background()
	if n, err := s.Count(ctx, store.Filter{By: store.ByExternalPersonKey, Keys: []string{"shared-1", "shared-2"}}); err != nil || n != 2 {
		t.Errorf("concurrent creates of 2 external person ids left %d leads (%v)", n, err)
	}
	if n, err := s.Count(ctx, store.Filter{By: store.ByEmail, Keys: []string{"shared@x.io"}}); err != nil || n != 1 {
		t.Errorf("concurrent creates of one email left %d leads (%v)", n, err)
	}
}
