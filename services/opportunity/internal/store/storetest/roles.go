package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/opportunity/internal/store"
)

func roleKey(t *testing.T, opportunity string, lead int32, role string) store.RoleKey {
	t.Helper()
	return store.RoleKey{ExternalOpportunityID: id(t, opportunity), LeadID: lead, Role: role}
}

func role(t *testing.T, mode records.Mode, opportunity string, lead int32, name string) store.RoleWrite {
	t.Helper()
	return store.RoleWrite{Mode: mode, Key: roleKey(t, opportunity, lead, name)}
}

func writeRoles(t *testing.T, s store.Store, writes ...store.RoleWrite) []store.WriteResult {
	t.Helper()
	res, err := s.WriteRoles(t.Context(), writes)
	if err != nil {
		t.Fatalf("WriteRoles: %v", err)
	}
	if len(res) != len(writes) {
		t.Fatalf("WriteRoles returned %d results for %d writes", len(res), len(writes))
	}
	return res
}

func getRole(t *testing.T, s store.Store, guid string) store.Role {
	t.Helper()
	got, err := s.GetRoles(t.Context(), []string{guid}, nil)
	if err != nil {
		t.Fatalf("GetRoles: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("GetRoles(%q) found %d records, want 1", guid, len(got))
	}
	return got[0]
}

func guidsOf(rs []store.Role) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.GUID)
	}
	return out
}

func testRoleModes(t *testing.T, s store.Store) {
	res := writeRoles(t, s,
		role(t, records.CreateOnly, "opp-1", 1, "Decision Maker"),
		role(t, records.UpdateOnly, "opp-1", 2, "Decision Maker"),
		role(t, records.CreateOrUpdate, "opp-1", 1, "Technical Buyer"),
	)
	if diff := cmp.Diff([]records.Outcome{records.Created, records.NotFound, records.Created}, outcomes(res)); diff != "" {
		t.Fatalf("first batch outcomes (-want +got):\n%s", diff)
	}
	checkGUID(t, res[0].GUID)
	checkGUID(t, res[2].GUID)
	if res[0].GUID == res[2].GUID || res[1].GUID != "" {
		t.Fatalf("results = %+v, want two distinct GUIDs and none for the miss", res)
	}
	primary := role(t, records.UpdateOnly, "opp-1", 1, "Technical Buyer")
	primary.Fields.IsPrimary = ptr(true)
	res2 := writeRoles(t, s,
		role(t, records.CreateOnly, "opp-1", 1, "Decision Maker"),
		primary,
		role(t, records.CreateOrUpdate, "opp-1", 2, "Decision Maker"),
		store.RoleWrite{Mode: records.UpdateOnly, GUID: res[0].GUID, Fields: store.RoleFields{ExternalCreatedDate: ptr(day(2025, 1, 1))}},
	)
	want := []store.WriteResult{
		{Outcome: records.AlreadyExists, GUID: res[0].GUID},
		{Outcome: records.Updated, GUID: res[2].GUID},
		{Outcome: records.Created, GUID: res2[2].GUID},
		{Outcome: records.Updated, GUID: res[0].GUID},
	}
	if diff := cmp.Diff(want, res2); diff != "" {
		t.Fatalf("second batch (-want +got):\n%s", diff)
	}
	if got := getRole(t, s, res[2].GUID); !got.IsPrimary {
		t.Errorf("is_primary not set by update: %+v", got)
	}
	if got := getRole(t, s, res[0].GUID); !got.ExternalCreatedDate.Equal(day(2025, 1, 1)) || got.IsPrimary {
		t.Errorf("update by GUID: %+v", got)
	}
	miss := writeRoles(t, s, store.RoleWrite{Mode: records.UpdateOnly, GUID: "00000000-0000-4000-8000-000000000000"})
	if diff := cmp.Diff([]store.WriteResult{{Outcome: records.NotFound}}, miss); diff != "" {
		t.Errorf("update of an unknown GUID (-want +got):\n%s", diff)
	}
}

func testRoleKeys(t *testing.T, s store.Store) {
	const guid = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
	res := writeRoles(t, s, role(t, records.CreateOrUpdate, "{6F9619FF-8B86-D011-B42D-00C04FC964FF}", 7, "Technical Buyer"))
	res2 := writeRoles(t, s,
		role(t, records.CreateOnly, guid, 7, "technical buyer"),    // same key: case-insensitive id and role
		role(t, records.CreateOnly, guid, 8, "Technical Buyer"),    // another lead
		role(t, records.CreateOnly, "opp-2", 7, "Technical Buyer"), // another opportunity
		role(t, records.CreateOnly, guid, 7, "Influencer"),         // another role
	)
	if diff := cmp.Diff([]records.Outcome{records.AlreadyExists, records.Created, records.Created, records.Created}, outcomes(res2)); diff != "" {
		t.Fatalf("outcomes (-want +got):\n%s", diff)
	}
	if res2[0].GUID != res[0].GUID {
		t.Errorf("case variant hit %s, want %s", res2[0].GUID, res[0].GUID)
	}
	got := getRole(t, s, res[0].GUID)
	want := store.Role{GUID: res[0].GUID, ExternalOpportunityID: guid, LeadID: 7, Role: "Technical Buyer"}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Role{}, "Seq", "CreatedAt", "UpdatedAt")); diff != "" {
		t.Errorf("stored role (-want +got):\n%s", diff)
	}
}

func testRolePartialUpdate(t *testing.T, s store.Store) {
	w := role(t, records.CreateOrUpdate, "opp-1", 1, "Buyer")
	w.Fields = store.RoleFields{IsPrimary: ptr(true), ExternalCreatedDate: ptr(time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC))}
	res := writeRoles(t, s, w)
	before := getRole(t, s, res[0].GUID)
	writeRoles(t, s, role(t, records.CreateOrUpdate, "OPP-1", 1, "BUYER")) // nothing set: nothing changes
	if got := getRole(t, s, res[0].GUID); !got.IsPrimary || !got.ExternalCreatedDate.Equal(before.ExternalCreatedDate) || got.Role != "Buyer" {
		t.Errorf("update without fields changed the role: %+v", got)
	}
	clear := role(t, records.UpdateOnly, "opp-1", 1, "buyer")
	clear.Fields = store.RoleFields{IsPrimary: ptr(false), ExternalCreatedDate: ptr(time.Time{})}
	writeRoles(t, s, clear)
	got := getRole(t, s, res[0].GUID)
	want := before
	want.IsPrimary, want.ExternalCreatedDate = false, time.Time{}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Role{}, "UpdatedAt")); diff != "" {
		t.Errorf("after clearing (-want +got):\n%s", diff)
	}
}

func testRoleList(t *testing.T, s store.Store) {
	var writes []store.RoleWrite
	for i := range 24 {
		writes = append(writes, role(t, records.CreateOrUpdate, fmt.Sprintf("OPP-%d", i%4), int32(100+i%3), fmt.Sprintf("r%d", i)))
	}
	res := writeRoles(t, s, writes...)
	var want []string
	for i, r := range res {
		if i%4 == 1 || i%4 == 2 {
			want = append(want, r.GUID)
		}
	}
	var got []string
	var after int64
	for page := 0; page < 20; page++ {
		rs, err := s.ListRoles(t.Context(), store.RoleFilter{By: store.RoleByOpportunityKey, Values: []string{"opp-1", "opp-2", "opp-9"}, AfterSeq: after, Limit: 5})
		if err != nil {
			t.Fatalf("ListRoles: %v", err)
		}
		got = append(got, guidsOf(rs)...)
		if len(rs) < 5 {
			break
		}
		after = rs[len(rs)-1].Seq
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged list by opportunity (-want +got):\n%s", diff)
	}
	var byLead []string
	for i, r := range res {
		if i%3 == 2 {
			byLead = append(byLead, r.GUID)
		}
	}
	tests := []struct {
		name   string
		filter store.RoleFilter
		want   []string
	}{
		{"by lead", store.RoleFilter{By: store.RoleByLeadID, LeadIDs: []int32{102, 999}}, byLead},
		{"by GUID", store.RoleFilter{By: store.RoleByGUID, Values: []string{res[5].GUID, res[3].GUID}}, []string{res[3].GUID, res[5].GUID}},
		{"no values", store.RoleFilter{By: store.RoleByLeadID}, nil},
	}
	for _, tt := range tests {
		tt.filter.Limit = 30
		rs, err := s.ListRoles(t.Context(), tt.filter)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, guidsOf(rs)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func testRoleGet(t *testing.T, s store.Store) {
	res := writeRoles(t, s,
		role(t, records.CreateOrUpdate, "opp-1", 1, "Buyer"),
		role(t, records.CreateOrUpdate, "opp-1", 2, "Buyer"),
		role(t, records.CreateOrUpdate, "opp-2", 1, "Champion"),
	)
	got, err := s.GetRoles(t.Context(), []string{res[0].GUID, "00000000-0000-4000-8000-000000000000"}, []store.RoleKey{
		roleKey(t, "OPP-1", 1, "buyer"),    // res[0] again: returned once
		roleKey(t, "opp-2", 1, "CHAMPION"), // res[2]
		roleKey(t, "opp-2", 2, "Champion"), // unknown
		roleKey(t, "opp-1", 2, "Champion"), // unknown
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{res[0].GUID, res[2].GUID}, guidsOf(got), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("GetRoles (-want +got):\n%s", diff)
	}
	none, err := s.GetRoles(t.Context(), nil, nil)
	if err != nil || len(none) != 0 {
		t.Errorf("GetRoles with no keys = %v, %v", none, err)
	}
}

func testRoleDelete(t *testing.T, s store.Store) {
	res := writeRoles(t, s, role(t, records.CreateOrUpdate, "opp-1", 1, "Buyer"), role(t, records.CreateOrUpdate, "opp-1", 2, "Buyer"))
	got, err := s.DeleteRoles(t.Context(), []store.RoleLookup{
		{Key: roleKey(t, "OPP-1", 1, "BUYER")}, {GUID: res[1].GUID}, {GUID: res[0].GUID}, {Key: roleKey(t, "opp-1", 3, "Buyer")}, {},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DeleteResult{{Deleted: true, GUID: res[0].GUID}, {Deleted: true, GUID: res[1].GUID}, {}, {}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DeleteRoles (-want +got):\n%s", diff)
	}
	left, err := s.GetRoles(t.Context(), []string{res[0].GUID, res[1].GUID}, nil)
	if err != nil || len(left) != 0 {
		t.Errorf("after delete GetRoles = %+v, %v; want nothing", left, err)
	}
	again := writeRoles(t, s, role(t, records.CreateOrUpdate, "opp-1", 1, "Buyer"))
	if again[0].Outcome != records.Created || again[0].GUID == res[0].GUID {
		t.Errorf("re-created role = %+v, want a new GUID", again[0])
	}
}

func testRoleCounts(t *testing.T, s store.Store) {
	writeRoles(t, s,
		role(t, records.CreateOrUpdate, "OPP-A", 1, "Buyer"),
		role(t, records.CreateOrUpdate, "OPP-A", 1, "Champion"),
		role(t, records.CreateOrUpdate, "OPP-A", 2, "Buyer"),
		role(t, records.CreateOrUpdate, "6F9619FF-8B86-D011-B42D-00C04FC964FF", 2, "Buyer"),
	)
	opps, leads, err := s.CountRoleReferences(t.Context(), []string{"opp-a", "6f9619ff-8b86-d011-b42d-00c04fc964ff", "opp-none"}, []int32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	wantOpps := []store.ReferenceCount{{Key: "6f9619ff-8b86-d011-b42d-00c04fc964ff", Count: 1}, {Key: "opp-a", Count: 3}}
	if diff := cmp.Diff(wantOpps, sortCounts(opps)); diff != "" {
		t.Errorf("opportunities (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]store.ReferenceCount{{ID: 1, Count: 2}, {ID: 2, Count: 2}}, sortCounts(leads)); diff != "" {
		t.Errorf("leads (-want +got):\n%s", diff)
	}
}

func testRoleInvalid(t *testing.T, s store.Store) {
	tooMany := make([]store.RoleWrite, store.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = role(t, records.CreateOrUpdate, "x", int32(i+1), "Buyer")
	}
	calls := map[string][]store.RoleWrite{
		"too many":         tooMany,
		"no lead":          {role(t, records.CreateOrUpdate, "x", 1, "Buyer"), role(t, records.CreateOrUpdate, "x", 0, "Buyer")},
		"no role":          {role(t, records.CreateOrUpdate, "x", 1, "Buyer"), {Mode: records.CreateOrUpdate, Key: store.RoleKey{ExternalOpportunityID: id(t, "x"), LeadID: 1}}},
		"GUID with create": {{Mode: records.CreateOrUpdate, GUID: "00000000-0000-4000-8000-000000000000"}},
	}
	for name, writes := range calls {
		if _, err := s.WriteRoles(t.Context(), writes); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: WriteRoles = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.ListRoles(t.Context(), store.RoleFilter{By: store.RoleByLeadID, LeadIDs: []int32{1}, Limit: store.MaxBatch + 2}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ListRoles with limit too big = %v, want ErrInvalid", err)
	}
	if _, _, err := s.CountRoleReferences(t.Context(), nil, make([]int32, store.MaxBatch+1)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("CountRoleReferences with too many leads = %v, want ErrInvalid", err)
	}
	got, err := s.ListRoles(t.Context(), store.RoleFilter{By: store.RoleByOpportunityKey, Values: []string{"x"}, Limit: 10})
	if err != nil || len(got) != 0 {
		t.Errorf("invalid calls wrote %d roles (%v)", len(got), err)
	}
}

func testRoleConcurrent(t *testing.T, s store.Store) {
	const writers = 6
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := role(t, records.CreateOrUpdate, "shared", 1, "Buyer")
			a.Fields.IsPrimary = ptr(w%2 == 0)
			if _, err := s.WriteRoles(t.Context(), []store.RoleWrite{a, role(t, records.CreateOrUpdate, "SHARED", 2, "buyer")}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent WriteRoles: %v", err)
	}
	got, err := s.ListRoles(t.Context(), store.RoleFilter{By: store.RoleByOpportunityKey, Values: []string{"shared"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("concurrent creates of 2 keys left %d roles", len(got))
	}
}
