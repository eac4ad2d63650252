package entity

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/platform/records"
)

// input is a test record: a key, and whether its checks refuse it.
type input struct {
	key    string
	refuse bool
}

func TestPlanKeepKeysApply(t *testing.T) {
	t.Parallel()
	inputs := []input{{key: "a"}, {key: "b", refuse: true}, {key: "a"}, {key: "c"}, {key: "d"}}
	b := Plan(inputs, func(in input) (string, string, *commonv1.Reason) {
		if in.refuse {
			return "", "", records.Missing("name")
		}
		return in.key, in.key, nil
	}, func(in input) string { return "key '" + in.key + "'" })
	if diff := cmp.Diff([]string{"a", "c", "d"}, b.Writes); diff != "" {
		t.Fatalf("planned writes (-want +got):\n%s", diff)
	}
	// "c" is stored with another value: its write would change it.
	stored := map[string]string{"c": "other", "d": "d"}
	err := KeepKeys(context.Background(), b,
		func(_ int, w string) (string, bool) { return w, w != "a" },
		func(_ context.Context, ids []string) ([]string, error) {
			if diff := cmp.Diff([]string{"c", "d"}, ids); diff != "" {
				t.Errorf("records read (-want +got):\n%s", diff)
			}
			return []string{"c", "d"}, nil
		},
		func(r string) string { return r },
		func(i int, w, r string) *commonv1.RecordResult {
			if stored[r] == w {
				return nil
			}
			return records.Skipped(i, 0, records.Reason(marketo.CodeInvalidData, "%s cannot change", w))
		})
	if err != nil {
		t.Fatal(err)
	}
	results, err := Apply(context.Background(), b, func(_ context.Context, writes []string) ([]records.Outcome, error) {
		if diff := cmp.Diff([]string{"a", "d"}, writes); diff != "" {
			t.Errorf("written (-want +got):\n%s", diff)
		}
		return []records.Outcome{records.Created, records.Updated}, nil
	}, func(i int, o records.Outcome) *commonv1.RecordResult { return records.Result(i, o, int32(i), "x") })
	if err != nil {
		t.Fatal(err)
	}
	want := []*commonv1.RecordResult{
		{Index: 0, Status: commonv1.RecordStatus_RECORD_STATUS_CREATED, Id: 0},
		records.Skipped(1, 0, records.Missing("name")),
		records.Skipped(2, 0, records.Duplicate("key 'a'")),
		records.Skipped(3, 0, records.Reason(marketo.CodeInvalidData, "c cannot change")),
		{Index: 4, Status: commonv1.RecordStatus_RECORD_STATUS_UPDATED, Id: 4},
	}
	if diff := cmp.Diff(want, results, protocmp.Transform()); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestApplyMapsStoreErrors(t *testing.T) {
	t.Parallel()
	b := NewBatch[int](1)
	b.Add(0, 1)
	_, err := Apply(context.Background(), b, func(context.Context, []int) ([]int, error) {
		return nil, errors.Join(records.ErrInvalidCall, errors.New("write 0 has no key"))
	}, func(int, int) *commonv1.RecordResult { return nil })
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("contract violation = %v, want InvalidArgument", err)
	}
	internal := errors.New("disk full")
	if got := StoreError(internal); got != internal {
		t.Errorf("StoreError(other) = %v, want it unchanged", got)
	}
}

func TestSplitAndDelete(t *testing.T) {
	t.Parallel()
	key := func(k string) (records.Key, *commonv1.Reason) {
		switch k {
		case "":
			return records.Key{}, records.Missing("id")
		case "1":
			return records.Key{ID: 1}, nil
		}
		return records.Key{ExternalKey: k}, nil
	}
	ids, exts, err := Split([]string{"1", "", "x"}, key, KeyParts)
	if err != nil || !cmp.Equal(ids, []int32{1}) || !cmp.Equal(exts, []string{"x"}) {
		t.Errorf("Split = %v, %v, %v; want [1] [x]", ids, exts, err)
	}
	if _, _, err := Split(nil, key, KeyParts); status.Code(err) != codes.InvalidArgument {
		t.Errorf("Split of no keys = %v, want InvalidArgument", err)
	}
	results, err := Delete(context.Background(), []string{"1", "", "x"}, key,
		func(_ context.Context, keys []records.Key) ([]records.DeleteResult, error) {
			return []records.DeleteResult{{Deleted: true, ID: 1}, {}}, nil
		}, Deleted)
	if err != nil {
		t.Fatal(err)
	}
	want := []*commonv1.RecordResult{
		{Index: 0, Status: commonv1.RecordStatus_RECORD_STATUS_DELETED, Id: 1},
		records.Skipped(1, 0, records.Missing("id")),
		records.Deleted(2, 0, false),
	}
	if diff := cmp.Diff(want, results, protocmp.Transform()); diff != "" {
		t.Errorf("Delete (-want +got):\n%s", diff)
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	tokens := pagetoken.New([]byte("0123456789abcdef0123456789abcdef"))
	if _, err := NewPage(0, 10); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no filter values = %v, want InvalidArgument", err)
	}
	if _, err := NewPage(1, records.MaxBatch+1); status.Code(err) != codes.InvalidArgument {
		t.Errorf("page size too large = %v, want InvalidArgument", err)
	}
	p, err := NewPage(2, 0)
	if err != nil || p.Size != records.MaxBatch {
		t.Fatalf("default page = %+v, %v", p, err)
	}
	p, _ = NewPage(2, 2)
	if err := p.Resume(tokens, "F", []string{"b", "a", "a"}, ""); err != nil {
		t.Fatal(err)
	}
	p.Total = 5
	page, next, err := Trim(p, []int64{10, 11, 12}, func(v int64) int64 { return v })
	if err != nil || !cmp.Equal(page, []int64{10, 11}) || next == "" {
		t.Fatalf("Trim = %v, %q, %v; want two and a token", page, next, err)
	}
	// The same query in another order resumes; another query does not.
	again, _ := NewPage(2, 2)
	if err := again.Resume(tokens, "F", []string{"a", "b"}, next); err != nil || again.After != 11 || again.Total != 5 {
		t.Errorf("resumed page = %+v, %v; want after 11 with total 5", again, err)
	}
	other, _ := NewPage(2, 2)
	if err := other.Resume(tokens, "F", []string{"a", "c"}, next); status.Code(err) != codes.InvalidArgument {
		t.Errorf("token of another query = %v, want InvalidArgument", err)
	}
	if _, next, _ := Trim(again, []int64{12}, func(v int64) int64 { return v }); next != "" {
		t.Errorf("last page has next token %q", next)
	}
	if _, _, err := ParseIDs([]string{" 7 ", "x"}, "lead id"); status.Convert(err).Message() != `filter value "x" is not an integer lead id` {
		t.Errorf("ParseIDs error = %v", err)
	}
}

func TestFieldChecks(t *testing.T) {
	t.Parallel()
	if _, why := RecordID(nil); why.GetCode() != marketo.CodeMissingValue {
		t.Errorf("no id: %v", why)
	}
	zero := int32(0)
	if _, why := RecordID(&zero); why.GetMessage() != "Invalid value '0'. Required of type 'integer' greater than 0" {
		t.Errorf("id 0: %v", why)
	}
	blank := "  "
	if _, why := ExternalID("externalX", &blank); why.GetMessage() != "Missing value for the required parameter 'externalX'" {
		t.Errorf("blank external id: %v", why)
	}
	email, name, bad := " a@b.c ", " Ann ", "not-an-email"
	dst := map[string]string{}
	if why := Texts(dst, "e", []Text[string]{String("email", "e", &email), String("name", "n", &name), String("title", "t", nil)}); why != nil {
		t.Fatal(why)
	}
	if diff := cmp.Diff(map[string]string{"e": "a@b.c", "n": "Ann"}, dst); diff != "" {
		t.Errorf("texts (-want +got):\n%s", diff)
	}
	if why := Texts(dst, "e", []Text[string]{String("email", "e", &bad)}); why.GetCode() != marketo.CodeInvalidValue {
		t.Errorf("bad email: %v", why)
	}
}

func TestKeepExternalID(t *testing.T) {
	t.Parallel()
	type rec struct {
		id  int32
		ext string
	}
	same, other := " A-1 ", "b-2"
	sent := []*string{&same, &other, nil}
	b := NewBatch[int32](3)
	for i, id := range []int32{1, 2, 3} {
		b.Add(i, id)
	}
	err := KeepExternalID(context.Background(), b, func(i int) *string { return sent[i] },
		func(w int32) int32 { return w },
		func(_ context.Context, ids []int32, keys []string) ([]rec, error) {
			if !cmp.Equal(ids, []int32{1, 2}) || keys != nil {
				t.Errorf("get(%v, %v); want the records that send an external id", ids, keys)
			}
			return []rec{{1, "a-1"}, {2, "a-2"}}, nil
		},
		func(r rec) (int32, string) { return r.id, r.ext },
		func(i int, w int32) *commonv1.RecordResult { return records.Skipped(i, w, records.Missing("x")) })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int32{1, 3}, b.Writes); diff != "" {
		t.Errorf("writes kept (-want +got):\n%s", diff)
	}
	if b.Results[1].GetId() != 2 || b.Results[0] != nil {
		t.Errorf("results = %v; want only record 1 refused", b.Results)
	}
}

func TestFoldedLeavesOutValuesNoRecordHolds(t *testing.T) {
	t.Parallel()
	values := []string{" Rep@Example.COM ", "", "a\x00@example.com", "bell\a", "b@example.com"}
	if diff := cmp.Diff([]string{"rep@example.com", "", "b@example.com"}, Folded(values, false)); diff != "" {
		t.Errorf("Folded(values, false) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"rep@example.com", "b@example.com"}, Folded(values, true)); diff != "" {
		t.Errorf("Folded(values, true) (-want +got):\n%s", diff)
	}
}
