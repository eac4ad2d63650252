package marketoapi

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/marketo"
)

// mustStruct converts a Go map (as encoding/json would decode it) to a structpb.Struct.
func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatalf("structpb.NewStruct(%v): %v", m, err)
	}
	return s
}

func TestStringValue(t *testing.T) {
	t.Parallel()
	notString := &commonv1.Reason{Code: "1001", Message: "Invalid value for 'title'. Required of type 'string'"}
	tests := []struct {
		name       string
		value      *structpb.Value
		want       string
		wantReason *commonv1.Reason
	}{
		{name: "string", value: structpb.NewStringValue("Account Executive"), want: "Account Executive"},
		{name: "empty string", value: structpb.NewStringValue(""), want: ""},
		{name: "null clears", value: structpb.NewNullValue(), want: ""},
		{name: "integer", value: structpb.NewNumberValue(42), want: "42"},
		{name: "negative integer", value: structpb.NewNumberValue(-7), want: "-7"},
		{name: "float", value: structpb.NewNumberValue(1.5), want: "1.5"},
		{name: "large number is not in exponent form", value: structpb.NewNumberValue(1e21), want: "1000000000000000000000"},
		{name: "phone-like number", value: structpb.NewNumberValue(5551234567), want: "5551234567"},
		{name: "true", value: structpb.NewBoolValue(true), want: "true"},
		{name: "false", value: structpb.NewBoolValue(false), want: "false"},
		{name: "object", value: structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{"a": structpb.NewStringValue("b")}}), wantReason: notString},
		{name: "list", value: structpb.NewListValue(&structpb.ListValue{Values: []*structpb.Value{structpb.NewStringValue("a")}}), wantReason: notString},
		{name: "no kind", value: &structpb.Value{}, wantReason: notString},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, why := stringValue("title", tt.value)
			if diff := cmp.Diff(tt.wantReason, why, protocmp.Transform()); diff != "" {
				t.Errorf("stringValue reason mismatch (-want +got):\n%s", diff)
			}
			if got != tt.want {
				t.Errorf("stringValue = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInt32Value(t *testing.T) {
	t.Parallel()
	notInt := &commonv1.Reason{Code: "1001", Message: "Invalid value for 'id'. Required of type 'integer'"}
	tests := []struct {
		name       string
		value      *structpb.Value
		want       int32
		wantReason *commonv1.Reason
	}{
		{name: "number", value: structpb.NewNumberValue(42), want: 42},
		{name: "zero", value: structpb.NewNumberValue(0), want: 0},
		{name: "negative", value: structpb.NewNumberValue(-3), want: -3},
		{name: "integral float in exponent form", value: structpb.NewNumberValue(1e3), want: 1000},
		{name: "max int32", value: structpb.NewNumberValue(math.MaxInt32), want: math.MaxInt32},
		{name: "min int32", value: structpb.NewNumberValue(math.MinInt32), want: math.MinInt32},
		{name: "above int32", value: structpb.NewNumberValue(math.MaxInt32 + 1), wantReason: notInt},
		{name: "below int32", value: structpb.NewNumberValue(math.MinInt32 - 1), wantReason: notInt},
		{name: "fraction", value: structpb.NewNumberValue(1.5), wantReason: notInt},
		{name: "NaN", value: structpb.NewNumberValue(math.NaN()), wantReason: notInt},
		{name: "infinity", value: structpb.NewNumberValue(math.Inf(1)), wantReason: notInt},
		{name: "digit string", value: structpb.NewStringValue("123"), want: 123},
		{name: "digit string with blanks", value: structpb.NewStringValue(" 123 "), want: 123},
		{name: "negative digit string", value: structpb.NewStringValue("-9"), want: -9},
		{name: "digit string above int32", value: structpb.NewStringValue("2147483648"), wantReason: notInt},
		{name: "non-digit string", value: structpb.NewStringValue("12a"), wantReason: notInt},
		{name: "decimal string", value: structpb.NewStringValue("1.0"), wantReason: notInt},
		{name: "empty string", value: structpb.NewStringValue(""), wantReason: notInt},
		{name: "bool", value: structpb.NewBoolValue(true), wantReason: notInt},
		{name: "null", value: structpb.NewNullValue(), wantReason: notInt},
		{name: "object", value: structpb.NewStructValue(&structpb.Struct{}), wantReason: notInt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, why := int32Value("id", tt.value)
			if diff := cmp.Diff(tt.wantReason, why, protocmp.Transform()); diff != "" {
				t.Errorf("int32Value reason mismatch (-want +got):\n%s", diff)
			}
			if got != tt.want {
				t.Errorf("int32Value = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		want   []string
	}{
		{name: "nil", values: nil, want: nil},
		{name: "one value", values: []string{"a"}, want: []string{"a"}},
		{name: "comma-separated", values: []string{"a,b,c"}, want: []string{"a", "b", "c"}},
		{name: "repeated", values: []string{"a", "b"}, want: []string{"a", "b"}},
		{name: "both forms", values: []string{"a,b", "c"}, want: []string{"a", "b", "c"}},
		{name: "blanks trimmed and dropped", values: []string{" a , ,b ", "", " "}, want: []string{"a", "b"}},
		{name: "only separators", values: []string{",", ",,"}, want: nil},
		{name: "order and duplicates kept", values: []string{"b,a", "b"}, want: []string{"b", "a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, splitList(tt.values)); diff != "" {
				t.Errorf("splitList(%q) mismatch (-want +got):\n%s", tt.values, diff)
			}
		})
	}
}

// requestErrorOf is what a caller sees of a response-level error.
type requestErrorOf struct {
	GRPCCode codes.Code
	Code     string
	Message  string
}

func describeError(err error) *requestErrorOf {
	if err == nil {
		return nil
	}
	code, msg := marketo.FromError(err)
	return &requestErrorOf{GRPCCode: status.Code(err), Code: code, Message: msg}
}

func TestParseAction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    commonv1.SyncAction
		wantErr *requestErrorOf
	}{
		{in: "", want: commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED},
		{in: "   ", want: commonv1.SyncAction_SYNC_ACTION_UNSPECIFIED},
		{in: "createOnly", want: commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY},
		{in: "CREATEONLY", want: commonv1.SyncAction_SYNC_ACTION_CREATE_ONLY},
		{in: "updateOnly", want: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY},
		{in: " updateonly ", want: commonv1.SyncAction_SYNC_ACTION_UPDATE_ONLY},
		{in: "createOrUpdate", want: commonv1.SyncAction_SYNC_ACTION_CREATE_OR_UPDATE},
		{in: "CreateOrUpdate", want: commonv1.SyncAction_SYNC_ACTION_CREATE_OR_UPDATE},
		{in: "upsert", wantErr: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid action 'upsert': use createOnly, updateOnly or createOrUpdate"}},
		{in: "createOrUpdate,createOnly", wantErr: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid action 'createOrUpdate,createOnly': use createOnly, updateOnly or createOrUpdate"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseAction(tt.in)
			if diff := cmp.Diff(tt.wantErr, describeError(err)); diff != "" {
				t.Errorf("parseAction(%q) error mismatch (-want +got):\n%s", tt.in, diff)
			}
			if got != tt.want {
				t.Errorf("parseAction(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDedupeBy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		param   string
		in      string
		want    commonv1.DedupeBy
		wantErr *requestErrorOf
	}{
		{param: "dedupeBy", in: "", want: commonv1.DedupeBy_DEDUPE_BY_UNSPECIFIED},
		{param: "dedupeBy", in: "dedupeFields", want: commonv1.DedupeBy_DEDUPE_BY_DEDUPE_FIELDS},
		{param: "dedupeBy", in: "DEDUPEFIELDS", want: commonv1.DedupeBy_DEDUPE_BY_DEDUPE_FIELDS},
		{param: "dedupeBy", in: "idField", want: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD},
		{param: "deleteBy", in: " idfield ", want: commonv1.DedupeBy_DEDUPE_BY_ID_FIELD},
		{param: "dedupeBy", in: "email", wantErr: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid dedupeBy 'email': use dedupeFields or idField"}},
		{param: "deleteBy", in: "id", wantErr: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid deleteBy 'id': use dedupeFields or idField"}},
	}
	for _, tt := range tests {
		t.Run(tt.param+"="+tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseDedupeBy(tt.param, tt.in)
			if diff := cmp.Diff(tt.wantErr, describeError(err)); diff != "" {
				t.Errorf("parseDedupeBy(%q, %q) error mismatch (-want +got):\n%s", tt.param, tt.in, diff)
			}
			if got != tt.want {
				t.Errorf("parseDedupeBy(%q, %q) = %v, want %v", tt.param, tt.in, got, tt.want)
			}
		})
	}
}

func TestCheckInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n       int
		wantErr *requestErrorOf
	}{
		{n: 0, wantErr: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "701", Message: "input cannot be blank: send 1 to 300 records"}},
		{n: 1},
		{n: 300},
		{n: 301, wantErr: &requestErrorOf{GRPCCode: codes.InvalidArgument, Code: "1003", Message: "Invalid data: 301 records in input, at most 300 per call"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.wantErr, describeError(checkInput(tt.n))); diff != "" {
			t.Errorf("checkInput(%d) mismatch (-want +got):\n%s", tt.n, diff)
		}
	}
}
