package dataverse

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/msisync/msisync/platform/extid"
)

// Row is one entity as returned (JSON object decoded with UseNumber).
type Row map[string]any

// AnnotationLookupLogicalName is the annotation that names a lookup's target table.
const AnnotationLookupLogicalName = "@Microsoft.Dynamics.CRM.lookuplogicalname"

// String returns col as text: "" for missing/null, numbers formatted as received,
// booleans as "true"/"false", objects and arrays as JSON.
func (r Row) String(col string) string {
	switch v := r[col].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case map[string]any, []any, Row:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	default:
		return fmt.Sprint(v)
	}
}

// GUID returns col normalised as a GUID: lowercase, braces and spaces stripped;
// "" when missing or null.
func (r Row) GUID(col string) string { return NormalizeGUID(r.String(col)) }

// LookupType returns the target table of lookup column col (the value of
// col+"@Microsoft.Dynamics.CRM.lookuplogicalname"), e.g. "team"; "" when absent.
func (r Row) LookupType(col string) string { return r.String(col + AnnotationLookupLogicalName) }

// Int returns col as an integer. Integral floats ("3.0") and numeric strings are
// accepted; false when missing, null or not an integer.
func (r Row) Int(col string) (int64, bool) {
	switch v := r[col].(type) {
	case json.Number:
		return parseInt(v.String())
	case string:
		return parseInt(strings.TrimSpace(v))
	case float64:
		return floatToInt(v)
	case int:
		return int64(v), true
	case int64:
		return v, true
	}
	return 0, false
}

func parseInt(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return floatToInt(f)
}

func floatToInt(f float64) (int64, bool) {
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// Float returns col as a float (numbers and numeric strings); false when missing, null
// or not a number.
func (r Row) Float(col string) (float64, bool) {
	switch v := r[col].(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	case float64:
		return v, true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// Bool returns col as a boolean (JSON booleans and the strings "true"/"false");
// false, false when missing, null or not a boolean.
func (r Row) Bool(col string) (bool, bool) {
	switch v := r[col].(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		return b, err == nil
	}
	return false, false
}

// Has reports whether col is present and not null.
func (r Row) Has(col string) bool { return r[col] != nil }

// NormalizeGUID returns a GUID in the canonical form msisync uses everywhere (lowercase,
// dashed, no braces, surrounding space trimmed; platform/extid), so that ids read from
// Dataverse match the orchestrator's keys; "" stays "".
func NormalizeGUID(s string) string { return extid.Key(s) }

// isGUID reports whether s is a normalised GUID (8-4-4-4-12 lowercase hex).
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
