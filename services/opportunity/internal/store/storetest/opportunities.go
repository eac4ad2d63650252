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

// opp is a write that creates or updates opportunity key with the required fields set.
func opp(t *testing.T, mode records.Mode, key string) store.OpportunityWrite {
	t.Helper()
	return store.OpportunityWrite{Mode: mode, ExternalID: id(t, key), Fields: store.OpportunityFields{
		ExternalCompanyID: ptr(id(t, "co-1")), ExternalSalesPersonID: ptr(id(t, "sp-1")), Name: ptr("Deal " + key),
	}}
}

func writeOpps(t *testing.T, s store.Store, writes ...store.OpportunityWrite) []store.WriteResult {
	t.Helper()
	res, err := s.WriteOpportunities(t.Context(), writes)
	if err != nil {
		t.Fatalf("WriteOpportunities: %v", err)
	}
	if len(res) != len(writes) {
		t.Fatalf("WriteOpportunities returned %d results for %d writes", len(res), len(writes))
	}
	return res
}

func getOpp(t *testing.T, s store.Store, key string) store.Opportunity {
	t.Helper()
	got, err := s.GetOpportunities(t.Context(), nil, []string{key})
	if err != nil {
		t.Fatalf("GetOpportunities: %v", err)
	}
	if len(got) != 1 {
		t.Fatalf("GetOpportunities(%q) found %d records, want 1", key, len(got))
	}
	return got[0]
}

func testOpportunityModes(t *testing.T, s store.Store) {
	res := writeOpps(t, s,
		opp(t, records.CreateOnly, "o-a"),
		opp(t, records.UpdateOnly, "o-b"),
		opp(t, records.CreateOrUpdate, "o-c"),
	)
	if diff := cmp.Diff([]records.Outcome{records.Created, records.NotFound, records.Created}, outcomes(res)); diff != "" {
		t.Fatalf("first batch outcomes (-want +got):\n%s", diff)
	}
	checkGUID(t, res[0].GUID)
	checkGUID(t, res[2].GUID)
	if res[0].GUID == res[2].GUID || res[1].GUID != "" {
		t.Fatalf("results = %+v, want two distinct GUIDs and none for the miss", res)
	}
	update := store.OpportunityWrite{Mode: records.UpdateOnly, ExternalID: id(t, "o-c"), Fields: store.OpportunityFields{Stage: ptr("Won")}}
	res2 := writeOpps(t, s,
		store.OpportunityWrite{Mode: records.CreateOnly, ExternalID: id(t, "o-a"), Fields: store.OpportunityFields{Name: ptr("Other")}},
		update,
		opp(t, records.CreateOrUpdate, "o-b"),
	)
	if diff := cmp.Diff([]records.Outcome{records.AlreadyExists, records.Updated, records.Created}, outcomes(res2)); diff != "" {
		t.Fatalf("second batch outcomes (-want +got):\n%s", diff)
	}
	if res2[0].GUID != res[0].GUID || res2[1].GUID != res[2].GUID {
		t.Errorf("existing records changed GUID: %+v then %+v", res, res2)
	}
	if got := getOpp(t, s, "o-a"); got.Name != "Deal o-a" {
		t.Errorf("createOnly on an existing record changed it: name %q", got.Name)
	}
	if got := getOpp(t, s, "o-c"); got.Stage != "Won" || got.Name != "Deal o-c" {
		t.Errorf("after update stage %q name %q, want Won and the name kept", got.Stage, got.Name)
	}
}

func testOpportunityRequired(t *testing.T, s store.Store) {
	without := func(key string, drop func(f *store.OpportunityFields)) store.OpportunityWrite {
		w := opp(t, records.CreateOrUpdate, key)
		drop(&w.Fields)
		return w
	}
	writeOpps(t, s, opp(t, records.CreateOrUpdate, "exists"))
	res := writeOpps(t, s,
		without("r-1", func(f *store.OpportunityFields) { f.ExternalCompanyID = nil }),
		without("r-2", func(f *store.OpportunityFields) { f.ExternalSalesPersonID = nil }),
		without("r-3", func(f *store.OpportunityFields) { f.Name = nil }),
		without("exists", func(f *store.OpportunityFields) { *f = store.OpportunityFields{Type: ptr("Upsell")} }),
		opp(t, records.CreateOnly, "r-4"),
	)
	want := []store.WriteResult{
		{Missing: store.FieldExternalCompanyID},
		{Missing: store.FieldExternalSalesPersonID},
		{Missing: store.FieldName},
		{Outcome: records.Updated, GUID: getOpp(t, s, "exists").GUID},
		{Outcome: records.Created, GUID: res[4].GUID},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	got, err := s.GetOpportunities(t.Context(), nil, []string{"r-1", "r-2", "r-3"})
	if err != nil || len(got) != 0 {
		t.Errorf("creates lacking required fields stored %d records (%v)", len(got), err)
	}
}

func testOpportunityCaseInsensitive(t *testing.T, s store.Store) {
	const guid = "6f9619ff-8b86-d011-b42d-00c04fc964ff"
	w := opp(t, records.CreateOrUpdate, "{6F9619FF-8B86-D011-B42D-00C04FC964FF}")
	w.Fields.ExternalCompanyID = ptr(id(t, "ACME-1"))
	w.Fields.ExternalSalesPersonID = ptr(id(t, "0A1B2C3D4E5F60718293A4B5C6D7E8F9"))
	res := writeOpps(t, s, w, opp(t, records.CreateOrUpdate, "OPP-X"))
	res2 := writeOpps(t, s,
		store.OpportunityWrite{Mode: records.CreateOnly, ExternalID: id(t, guid)},
		store.OpportunityWrite{Mode: records.UpdateOnly, ExternalID: id(t, "opp-x")},
	)
	if diff := cmp.Diff([]records.Outcome{records.AlreadyExists, records.Updated}, outcomes(res2)); diff != "" {
		t.Fatalf("case variants (-want +got):\n%s", diff)
	}
	if res[0].GUID != res2[0].GUID || res[1].GUID != res2[1].GUID {
		t.Errorf("case variants made new records: %+v then %+v", res, res2)
	}
	got := getOpp(t, s, guid)
	if got.ExternalID != guid || got.ExternalCompanyID != "ACME-1" || got.ExternalSalesPersonID != "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9" {
		t.Errorf("stored ids %q, %q, %q; want canonical forms", got.ExternalID, got.ExternalCompanyID, got.ExternalSalesPersonID)
	}
	if got := getOpp(t, s, "opp-x"); got.ExternalID != "OPP-X" {
		t.Errorf("non-GUID id stored as %q, want it as first sent", got.ExternalID)
	}
}

func testOpportunityPartialUpdate(t *testing.T, s store.Store) {
	w := opp(t, records.CreateOrUpdate, "full")
	w.Fields = store.OpportunityFields{
		ExternalCompanyID: ptr(id(t, "co-9")), ExternalSalesPersonID: ptr(id(t, "sp-9")), Name: ptr("Big deal"),
		Description: ptr("Long story"), Type: ptr("New Business"), Stage: ptr("Prospecting"),
		Amount: ptr(1234.5), ExpectedRevenue: ptr(617.25), Quantity: ptr(3.0), Probability: ptr(int32(50)),
		CloseDate: ptr(day(2026, 3, 31)), IsClosed: ptr(true), IsWon: ptr(true), FiscalQuarter: ptr(int32(1)), FiscalYear: ptr(int32(2026)),
		ForecastCategory: ptr("Pipeline"), ForecastCategoryName: ptr("Pipeline name"), LeadSource: ptr("Web"), Source: ptr("CRM"),
		NextStep: ptr("Call"), LastActivityDate: ptr(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)), ExternalCreatedDate: ptr(day(2025, 12, 1)),
	}
	writeOpps(t, s, w)
	before := getOpp(t, s, "full")
	writeOpps(t, s, store.OpportunityWrite{Mode: records.UpdateOnly, ExternalID: id(t, "FULL"), Fields: store.OpportunityFields{
		ExternalSalesPersonID: ptr(id(t, "sp-10")), Stage: ptr("Closed Won"), Description: ptr(""), Amount: ptr(0.0),
		IsClosed: ptr(false), CloseDate: ptr(time.Time{}), LastActivityDate: ptr(day(2026, 2, 1)),
	}})
	got := getOpp(t, s, "full")
	want := before
	want.ExternalSalesPersonID, want.Stage, want.Description, want.Amount = "sp-10", "Closed Won", "", 0
	want.IsClosed, want.CloseDate, want.LastActivityDate = false, time.Time{}, day(2026, 2, 1)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(store.Opportunity{}, "UpdatedAt")); diff != "" {
		t.Errorf("after partial update (-want +got):\n%s", diff)
	}
	if got.UpdatedAt.Before(before.UpdatedAt) {
		t.Errorf("updated time went back: %v → %v", before.UpdatedAt, got.UpdatedAt)
	}
	if before.LastActivityDate != time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC) || before.Amount != 1234.5 || !before.IsWon {
		t.Errorf("stored values did not round-trip: %+v", before)
	}
	sp, err := s.ListOpportunities(t.Context(), store.OpportunityFilter{By: store.OpportunityBySalesPersonKey, Values: []string{"sp-9"}, Limit: 10})
	if err != nil || len(sp) != 0 {
		t.Errorf("old owner still lists %d opportunities (%v)", len(sp), err)
	}
}

func testOpportunityUpdateByGUID(t *testing.T, s store.Store) {
	res := writeOpps(t, s, opp(t, records.CreateOrUpdate, "g-1"))
	res2 := writeOpps(t, s,
		store.OpportunityWrite{Mode: records.UpdateOnly, GUID: res[0].GUID, Fields: store.OpportunityFields{NextStep: ptr("Demo")}},
		store.OpportunityWrite{Mode: records.UpdateOnly, GUID: "00000000-0000-4000-8000-000000000000"},
	)
	want := []store.WriteResult{{Outcome: records.Updated, GUID: res[0].GUID}, {Outcome: records.NotFound}}
	if diff := cmp.Diff(want, res2); diff != "" {
		t.Fatalf("update by GUID (-want +got):\n%s", diff)
	}
	if got := getOpp(t, s, "g-1"); got.NextStep != "Demo" {
		t.Errorf("next step = %q, want Demo", got.NextStep)
	}
}

func testOpportunityList(t *testing.T, s store.Store) {
	var writes []store.OpportunityWrite
	for i := range 25 {
		w := opp(t, records.CreateOrUpdate, fmt.Sprintf("o-%02d", i))
		w.Fields.ExternalCompanyID = ptr(id(t, fmt.Sprintf("CO-%d", i%5)))
		w.Fields.ExternalSalesPersonID = ptr(id(t, fmt.Sprintf("SP-%d", i%2)))
		writes = append(writes, w)
	}
	res := writeOpps(t, s, writes...)

	// All opportunities of companies 1 and 3, pages of three.
	var got []string
	var after int64
	for page := 0; page < 10; page++ {
		os, err := s.ListOpportunities(t.Context(), store.OpportunityFilter{By: store.OpportunityByCompanyKey, Values: []string{"co-1", "co-3", "co-none"}, AfterSeq: after, Limit: 3})
		if err != nil {
			t.Fatalf("ListOpportunities: %v", err)
		}
		for _, o := range os {
			got = append(got, o.GUID)
			after = o.Seq
		}
		if len(os) < 3 {
			break
		}
	}
	var want []string
	for i, r := range res {
		if i%5 == 1 || i%5 == 3 {
			want = append(want, r.GUID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged list by company (-want +got):\n%s", diff)
	}

	tests := []struct {
		name   string
		filter store.OpportunityFilter
		want   []string
	}{
		{"by GUID", store.OpportunityFilter{By: store.OpportunityByGUID, Values: []string{res[4].GUID, res[2].GUID, "nope"}}, []string{res[2].GUID, res[4].GUID}},
		{"by external key", store.OpportunityFilter{By: store.OpportunityByExternalKey, Values: []string{"o-07"}}, []string{res[7].GUID}},
		{"by sales person", store.OpportunityFilter{By: store.OpportunityBySalesPersonKey, Values: []string{"sp-1"}}, oddGUIDs(res)},
		{"no values", store.OpportunityFilter{By: store.OpportunityByExternalKey}, nil},
	}
	for _, tt := range tests {
		tt.filter.Limit = 30
		os, err := s.ListOpportunities(t.Context(), tt.filter)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		for _, o := range os {
			got = append(got, o.GUID)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func oddGUIDs(res []store.WriteResult) []string {
	var out []string
	for i, r := range res {
		if i%2 == 1 {
			out = append(out, r.GUID)
		}
	}
	return out
}

func testOpportunityGet(t *testing.T, s store.Store) {
	res := writeOpps(t, s, opp(t, records.CreateOrUpdate, "g-1"), opp(t, records.CreateOrUpdate, "g-2"), opp(t, records.CreateOrUpdate, "g-3"))
	got, err := s.GetOpportunities(t.Context(), []string{res[0].GUID, "00000000-0000-4000-8000-000000000000"}, []string{"g-1", "g-2", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	var guids []string
	for _, o := range got {
		guids = append(guids, o.GUID)
	}
	if diff := cmp.Diff([]string{res[0].GUID, res[1].GUID}, guids, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("Get GUIDs (-want +got):\n%s", diff)
	}
}

func testOpportunityDelete(t *testing.T, s store.Store) {
	res := writeOpps(t, s, opp(t, records.CreateOrUpdate, "d-1"), opp(t, records.CreateOrUpdate, "d-2"))
	got, err := s.DeleteOpportunities(t.Context(), []store.OpportunityKey{
		{ExternalKey: "d-1"}, {GUID: res[1].GUID}, {GUID: res[0].GUID}, {ExternalKey: "missing"}, {},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DeleteResult{{Deleted: true, GUID: res[0].GUID}, {Deleted: true, GUID: res[1].GUID}, {}, {}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Delete (-want +got):\n%s", diff)
	}
	left, err := s.GetOpportunities(t.Context(), []string{res[0].GUID, res[1].GUID}, nil)
	if err != nil || len(left) != 0 {
		t.Errorf("after delete Get = %+v, %v; want nothing", left, err)
	}
	// GUIDs are never reused.
	again := writeOpps(t, s, opp(t, records.CreateOrUpdate, "d-1"))
	if again[0].Outcome != records.Created || again[0].GUID == res[0].GUID || again[0].GUID == res[1].GUID {
		t.Errorf("re-created record = %+v, want a new GUID", again[0])
	}
}

func testOpportunityCounts(t *testing.T, s store.Store) {
	var writes []store.OpportunityWrite
	for i := range 5 {
		w := opp(t, records.CreateOrUpdate, fmt.Sprintf("c-%d", i))
		w.Fields.ExternalCompanyID = ptr(id(t, []string{"CO-A", "CO-A", "CO-B", "6F9619FF-8B86-D011-B42D-00C04FC964FF", "CO-A"}[i]))
		w.Fields.ExternalSalesPersonID = ptr(id(t, []string{"sp-x", "sp-y", "sp-x", "sp-x", "sp-x"}[i]))
		writes = append(writes, w)
	}
	writeOpps(t, s, writes...)
	companies, salesPersons, err := s.CountOpportunityReferences(t.Context(),
		[]string{"co-a", "co-b", "6f9619ff-8b86-d011-b42d-00c04fc964ff", "co-none"}, []string{"sp-y", "sp-x", "sp-none"})
	if err != nil {
		t.Fatal(err)
	}
	wantCompanies := []store.ReferenceCount{{Key: "6f9619ff-8b86-d011-b42d-00c04fc964ff", Count: 1}, {Key: "co-a", Count: 3}, {Key: "co-b", Count: 1}}
	if diff := cmp.Diff(wantCompanies, sortCounts(companies)); diff != "" {
		t.Errorf("companies (-want +got):\n%s", diff)
	}
	wantSalesPersons := []store.ReferenceCount{{Key: "sp-x", Count: 4}, {Key: "sp-y", Count: 1}}
	if diff := cmp.Diff(wantSalesPersons, sortCounts(salesPersons)); diff != "" {
		t.Errorf("sales persons (-want +got):\n%s", diff)
	}
	c, p, err := s.CountOpportunityReferences(t.Context(), nil, nil)
	if err != nil || len(c)+len(p) != 0 {
		t.Errorf("empty count = %v, %v, %v", c, p, err)
	}
}

func testOpportunityInvalid(t *testing.T, s store.Store) {
	tooMany := make([]store.OpportunityWrite, store.MaxBatch+1)
	for i := range tooMany {
		tooMany[i] = opp(t, records.CreateOrUpdate, fmt.Sprintf("x-%d", i))
	}
	cleared := opp(t, records.CreateOrUpdate, "ok")
	cleared.Fields.Name = ptr("")
	calls := map[string][]store.OpportunityWrite{
		"too many":         tooMany,
		"no key":           {opp(t, records.CreateOrUpdate, "ok"), {Mode: records.CreateOrUpdate}},
		"GUID with create": {{Mode: records.CreateOrUpdate, GUID: "00000000-0000-4000-8000-000000000000"}},
		"name cleared":     {cleared},
	}
	for name, writes := range calls {
		if _, err := s.WriteOpportunities(t.Context(), writes); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: Write = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.ListOpportunities(t.Context(), store.OpportunityFilter{By: store.OpportunityByExternalKey, Values: []string{"ok"}, Limit: 0}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List with limit 0 = %v, want ErrInvalid", err)
	}
	if _, err := s.ListOpportunities(t.Context(), store.OpportunityFilter{Values: []string{"ok"}, Limit: 1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("List without a field = %v, want ErrInvalid", err)
	}
	if _, _, err := s.CountOpportunityReferences(t.Context(), make([]string, store.MaxBatch+1), nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Count with too many keys = %v, want ErrInvalid", err)
	}
	if _, err := s.DeleteOpportunities(t.Context(), make([]store.OpportunityKey, store.MaxBatch+1)); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Delete with too many keys = %v, want ErrInvalid", err)
	}
	got, err := s.GetOpportunities(t.Context(), nil, []string{"ok", "x-0"})
	if err != nil || len(got) != 0 {
		t.Errorf("invalid calls wrote %d records (%v)", len(got), err)
	}
}

func testOpportunityConcurrent(t *testing.T, s store.Store) {
	const writers = 6
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := opp(t, records.CreateOrUpdate, "shared-1")
			a.Fields.Stage = ptr(fmt.Sprint(w))
			if _, err := s.WriteOpportunities(t.Context(), []store.OpportunityWrite{a, opp(t, records.CreateOrUpdate, "shared-2")}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Write: %v", err)
	}
	got, err := s.ListOpportunities(t.Context(), store.OpportunityFilter{By: store.OpportunityByExternalKey, Values: []string{"shared-1", "shared-2"}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("concurrent creates of 2 keys left %d records", len(got))
	}
}
