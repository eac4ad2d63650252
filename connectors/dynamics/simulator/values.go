package simulator

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand"
	"strconv"
	"strings"
	"time"
)

// convert checks v against the type of c and returns the stored value (nil stays nil).
func convert(c *column, v any) (any, *apiError) {
	if v == nil {
		if c.typ == tGUID && strings.HasSuffix(c.name, "id") && c.name != "applicationid" {
			return nil, errBadRequest(fmt.Sprintf("Attribute '%s' cannot be set to NULL", c.name))
		}
		return nil, nil
	}
	bad := func() (any, *apiError) {
		return nil, &apiError{status: 400, code: "0x80048d19",
			msg: fmt.Sprintf("Cannot convert the literal '%v' to the expected type '%s'.", v, c.typ.edmType())}
	}
	switch c.typ {
	case tString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return bad()
	case tBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
		return bad()
	case tInt, tVersion:
		f, ok := toFloat(v)
		if !ok || f != math.Trunc(f) {
			return bad()
		}
		return int64(f), nil
	case tNumber:
		f, ok := toFloat(v)
		if !ok {
			return bad()
		}
		return f, nil
	case tGUID, tLookup:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		g, ok := normGUID(s)
		if !ok {
			return bad()
		}
		return g, nil
	case tDateTime:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return bad()
		}
		return t.UTC().Truncate(time.Second).Format(time.RFC3339), nil
	case tDate:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return bad()
		}
		return s, nil
	}
	return bad()
}

// toFloat converts JSON and Go numeric values to float64.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// normGUID validates a hyphenated GUID (no braces) and lowercases it.
func normGUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return "", false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}

// newGUID returns a random version-4 GUID from crypto/rand.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatGUID(b)
}

// seededGUID returns a version-4 GUID drawn from rng (deterministic seeds).
func seededGUID(rng *mrand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Intn(256))
	}
	return formatGUID(b)
}

func formatGUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// parseKeySegment splits "accounts(<guid>)" into the set and the lowercase GUID.
func parseKeySegment(s string) (set, id string, ok bool) {
	i := strings.IndexByte(s, '(')
	if i <= 0 || !strings.HasSuffix(s, ")") {
		return "", "", false
	}
	key := s[i+1 : len(s)-1]
	if j := strings.IndexByte(key, '='); j >= 0 { // accounts(accountid=<guid>)
		key = key[j+1:]
	}
	id, ok = normGUID(key)
	return s[:i], id, ok
}

// formatValue renders a stored value for the $filter comparison.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}
