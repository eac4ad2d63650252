package objects

import (
	"math"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
)

// StringValue reads a Marketo string value. Numbers and booleans are accepted in their JSON
// text form; null reads as "" (which clears the field). It checks no length or characters.
func StringValue(name string, v *structpb.Value) (string, *commonv1.Reason) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		return k.StringValue, nil
	case *structpb.Value_NullValue:
		return "", nil
	case *structpb.Value_NumberValue:
		return strconv.FormatFloat(k.NumberValue, 'f', -1, 64), nil
	case *structpb.Value_BoolValue:
		return strconv.FormatBool(k.BoolValue), nil
	}
	return "", records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s'. Required of type 'string'", name)
}

// Int32Value reads a Marketo integer value, given as a JSON number or a string of digits.
func Int32Value(name string, v *structpb.Value) (int32, *commonv1.Reason) {
	bad := records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s'. Required of type 'integer'", name)
	switch k := v.GetKind().(type) {
	case *structpb.Value_NumberValue:
		f := k.NumberValue
		if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return 0, bad
		}
		return int32(f), nil
	case *structpb.Value_StringValue:
		n, err := strconv.ParseInt(strings.TrimSpace(k.StringValue), 10, 32)
		if err != nil {
			return 0, bad
		}
		return int32(n), nil
	}
	return 0, bad
}
