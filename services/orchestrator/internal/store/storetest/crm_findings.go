package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// crmTests are the CRM-side parts of the suite.
var crmTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"CrmUsersAreUpsertedByCaseFoldedID", testCrmUsers},
	{"CrmFindingsAreReportedAndResolved", testCrmFindings},
	{"CrmFindingsArePagedInByteOrder", testCrmFindingPaging},
	{"CrmFindingBatchesSpanChunks", testCrmFindingChunks},
}

const (
	guidUpper = "A1B2C3D4-0000-4000-8000-00000000000A"
	guidLower = "a1b2c3d4-0000-4000-8000-00000000000a"
)

func testCrmUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, err := s.PutCrmUsers(ctx, []store.CrmUser{
		{ExternalSalesPersonID: guidLower, Source: "dynamics", Email: "old@example.com", FullName: "Ann", Active: true},
		{ExternalSalesPersonID: "Bob-1", Source: "dynamics", Email: "bob@example.com", FullName: "Bob", Active: false},
		{ExternalSalesPersonID: "carol", Source: "dynamics", Email: "carol@example.com", FullName: "Carol", Active: true},
		// A repeated key: the last one wins.
		{ExternalSalesPersonID: guidLower, Source: "dynamics", Email: "Ann@Example.com", FullName: "Ann A.", Active: true},
	}, t0)
	if err != nil || n != 3 {
		t.Fatalf("PutCrmUsers = %d, %v; want 3 stored", n, err)
	}
	// A later report replaces, matched case-folded, and keeps the id as reported last.
	if n, err := s.PutCrmUsers(ctx, []store.CrmUser{{ExternalSalesPersonID: "BOB-1", Source: "other", Email: "robert@example.com", FullName: "Robert", Active: true}}, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("PutCrmUsers again = %d, %v", n, err)
	}
	ann := store.CrmUser{ExternalSalesPersonID: guidLower, Source: "dynamics", Email: "Ann@Example.com", FullName: "Ann A.", Active: true, UpdateTime: t0}
	bob := store.CrmUser{ExternalSalesPersonID: "BOB-1", Source: "other", Email: "robert@example.com", FullName: "Robert", Active: true, UpdateTime: t0.Add(time.Hour)}
	carol := store.CrmUser{ExternalSalesPersonID: "carol", Source: "dynamics", Email: "carol@example.com", FullName: "Carol", Active: true, UpdateTime: t0}

	got, err := s.GetCrmUsers(ctx, []string{guidUpper, "{" + guidUpper + "}", "bob-1", "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.CrmUser{ann, bob}, got); diff != "" {
		t.Errorf("GetCrmUsers (-want +got):\n%s", diff)
	}
	if got, err := s.GetCrmUsers(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("GetCrmUsers(nil) = %v, %v; want none", got, err)
	}

	// Pages in key order: guidLower < "bob-1" < "carol".
	page1, err := s.ListCrmUsers(ctx, "", false, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.CrmUser{ann, bob}, page1); diff != "" {
		t.Errorf("ListCrmUsers page 1 (-want +got):\n%s", diff)
	}
	page2, err := s.ListCrmUsers(ctx, "bob-1", false, 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.CrmUser{carol}, page2); diff != "" {
		t.Errorf("ListCrmUsers page 2 (-want +got):\n%s", diff)
	}

	if _, err := s.PutCrmUsers(ctx, []store.CrmUser{{ExternalSalesPersonID: "carol", Source: "dynamics", Email: "carol@example.com", Active: false}}, t0); err != nil {
		t.Fatal(err)
	}
	active, err := s.ListCrmUsers(ctx, "", true, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.CrmUser{ann, bob}, active); diff != "" {
		t.Errorf("ListCrmUsers active only (-want +got):\n%s", diff)
	}
}

func finding(t store.ObjectType, id string, kind store.CrmFindingKind, msg string) store.CrmFinding {
	return store.CrmFinding{CrmFindingKey: store.CrmFindingKey{ObjectType: t, ExternalID: id, Kind: kind}, Source: "dynamics", Message: msg}
}

func at(f store.CrmFinding, tm time.Time) store.CrmFinding {
	f.UpdateTime = tm
	return f
}

func listFindings(t *testing.T, s store.Store, q store.CrmFindingQuery) []store.CrmFinding {
	t.Helper()
	got, err := s.ListCrmFindings(context.Background(), q)
	if err != nil {
		t.Fatalf("ListCrmFindings(%+v): %v", q, err)
	}
	return got
}

func testCrmFindings(t *testing.T, s store.Store) {
	ctx := context.Background()
	team := finding(store.Lead, guidLower, store.TeamOwner, "owned by team Sales")
	parent := finding(store.Lead, guidLower, store.ParentIsContact, "parent is contact X")
	inactive := finding(store.Company, "acme", store.InactiveOwner, "owner disabled")
	other := finding(store.Opportunity, "opp-1", store.OtherFinding, "something")
	stored, deleted, err := s.ReportCrmFindings(ctx, []store.CrmFinding{team, parent, inactive, other, finding(store.Company, "ACME", store.InactiveOwner, "owner disabled, again")}, nil, t0)
	if err != nil || stored != 4 || deleted != 0 {
		t.Fatalf("ReportCrmFindings = %d stored, %d deleted, %v; want 4, 0", stored, deleted, err)
	}
	inactive = finding(store.Company, "ACME", store.InactiveOwner, "owner disabled, again")
	all := []store.CrmFinding{at(inactive, t0), at(team, t0), at(parent, t0), at(other, t0)}
	if diff := cmp.Diff(all, listFindings(t, s, store.CrmFindingQuery{})); diff != "" {
		t.Errorf("all findings (-want +got):\n%s", diff)
	}
	if n, err := s.CountCrmFindings(ctx, store.CrmFindingQuery{After: team.CrmFindingKey, Limit: 1}); err != nil || n != 4 {
		t.Errorf("CountCrmFindings = %d, %v; want 4 (After and Limit ignored)", n, err)
	}

	// Filters: by kind, object type, and record (matched case-folded).
	if diff := cmp.Diff([]store.CrmFinding{at(parent, t0)}, listFindings(t, s, store.CrmFindingQuery{Kind: store.ParentIsContact})); diff != "" {
		t.Errorf("by kind (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]store.CrmFinding{at(team, t0), at(parent, t0)}, listFindings(t, s, store.CrmFindingQuery{ObjectType: store.Lead, ExternalID: guidUpper})); diff != "" {
		t.Errorf("by record (-want +got):\n%s", diff)
	}
	if n, err := s.CountCrmFindings(ctx, store.CrmFindingQuery{ObjectType: store.Lead}); err != nil || n != 2 {
		t.Errorf("CountCrmFindings(leads) = %d, %v; want 2", n, err)
	}
	if got := listFindings(t, s, store.CrmFindingQuery{ObjectType: store.SalesPerson}); len(got) != 0 {
		t.Errorf("sales person findings = %v, want none", got)
	}

	// Resolving deletes (keys matched case-folded; unknown keys ignored) before the new
	// findings are stored, in one call.
	team2 := finding(store.Lead, guidUpper, store.TeamOwner, "owned by team Support")
	stored, deleted, err = s.ReportCrmFindings(ctx, []store.CrmFinding{team2}, []store.CrmFindingKey{
		{ObjectType: store.Lead, ExternalID: "{" + guidUpper + "}", Kind: store.ParentIsContact},
		{ObjectType: store.Company, ExternalID: "acme", Kind: store.InactiveOwner},
		{ObjectType: store.Company, ExternalID: "acme", Kind: store.InactiveOwner},
		{ObjectType: store.Company, ExternalID: "nobody", Kind: store.TeamOwner},
	}, t0.Add(time.Minute))
	if err != nil || stored != 1 || deleted != 2 {
		t.Fatalf("ReportCrmFindings = %d stored, %d deleted, %v; want 1, 2", stored, deleted, err)
	}
	want := []store.CrmFinding{at(team2, t0.Add(time.Minute)), at(other, t0)}
	if diff := cmp.Diff(want, listFindings(t, s, store.CrmFindingQuery{})); diff != "" {
		t.Errorf("after resolving (-want +got):\n%s", diff)
	}
}

func testCrmFindingPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Byte order, not a locale's: "_b" sorts before "a", "Z" (folded "z") after "y", and
	// digits before letters.
	ids := []string{"y", "a", "_b", "Z", "9", "a-"}
	var in []store.CrmFinding
	for _, id := range ids {
		in = append(in, finding(store.Company, id, store.TeamOwner, "team "+id), finding(store.Company, id, store.OtherFinding, "other "+id))
	}
	in = append(in, finding(store.SalesPerson, "zz", store.OtherFinding, "sp"), finding(store.Lead, "0", store.TeamOwner, "lead"))
	if _, _, err := s.ReportCrmFindings(ctx, in, nil, t0); err != nil {
		t.Fatal(err)
	}
	var want []string
	want = append(want, "1/zz/5")
	for _, id := range []string{"9", "_b", "a", "a-", "y", "Z"} {
		want = append(want, fmt.Sprintf("2/%s/1", id), fmt.Sprintf("2/%s/5", id))
	}
	want = append(want, "3/0/1")
	var got []string
	q := store.CrmFindingQuery{Limit: 3}
	for range 20 {
		page := listFindings(t, s, q)
		for _, f := range page {
			got = append(got, fmt.Sprintf("%d/%s/%d", f.ObjectType, f.ExternalID, f.Kind))
		}
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].CrmFindingKey
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
	// A page after a key, filtered by kind.
	page := listFindings(t, s, store.CrmFindingQuery{Kind: store.OtherFinding, After: store.CrmFindingKey{ObjectType: store.Company, ExternalID: "A", Kind: store.OtherFinding}, Limit: 2})
	if len(page) != 2 || page[0].ExternalID != "a-" || page[1].ExternalID != "y" {
		t.Errorf("filtered page after 'A' = %+v; want a- then y", page)
	}
	// Filtered by a list of records (case-folded), and by an empty list.
	page = listFindings(t, s, store.CrmFindingQuery{ObjectType: store.Company, ExternalIDs: []string{"z", "A", "nobody"}, Kind: store.OtherFinding})
	if len(page) != 2 || page[0].ExternalID != "a" || page[1].ExternalID != "Z" {
		t.Errorf("findings of z, A and nobody = %+v; want a then Z", page)
	}
	if page = listFindings(t, s, store.CrmFindingQuery{ExternalIDs: []string{}}); len(page) != 0 {
		t.Errorf("findings of no records = %+v; want none", page)
	}
}

func testCrmFindingChunks(t *testing.T, s store.Store) {
	ctx := context.Background()
	var in []store.CrmFinding
	var users []store.CrmUser
	var gone []store.CrmFindingKey
	for i := range 1200 {
		id := fmt.Sprintf("rec-%04d", i)
		in = append(in, finding(store.Lead, id, store.TeamOwner, "team"))
		users = append(users, store.CrmUser{ExternalSalesPersonID: id, Source: "dynamics", Email: id + "@example.com", Active: i%2 == 0})
		if i%2 == 1 {
			gone = append(gone, store.CrmFindingKey{ObjectType: store.Lead, ExternalID: id, Kind: store.TeamOwner})
		}
	}
	if n, err := s.PutCrmUsers(ctx, users, t0); err != nil || n != 1200 {
		t.Fatalf("PutCrmUsers = %d, %v", n, err)
	}
	if got, err := s.ListCrmUsers(ctx, "", true, 1000); err != nil || len(got) != 600 {
		t.Fatalf("ListCrmUsers active = %d users, %v; want 600", len(got), err)
	}
	if stored, _, err := s.ReportCrmFindings(ctx, in, nil, t0); err != nil || stored != 1200 {
		t.Fatalf("ReportCrmFindings = %d, %v", stored, err)
	}
	if _, deleted, err := s.ReportCrmFindings(ctx, nil, gone, t0); err != nil || deleted != 600 {
		t.Fatalf("resolving = %d deleted, %v; want 600", deleted, err)
	}
	if n, err := s.CountCrmFindings(ctx, store.CrmFindingQuery{Kind: store.TeamOwner}); err != nil || n != 600 {
		t.Errorf("CountCrmFindings = %d, %v; want 600", n, err)
	}
}
