// Package extid normalises the external ids that a CRM gives its records
// (externalSalesPersonId, externalCompanyId, externalPersonId, externalOpportunityId).
//
// CRM ids are matched case-insensitively. A GUID is stored and returned in canonical form:
// lowercase, 8-4-4-4-12, no braces, so "{ABC…}", "ABC…" and "abc…" name one record. Any
// other id (other CRMs) is kept as sent, trimmed, and matched case-folded.
package extid

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLength is the longest external id accepted, in characters (Marketo's string length).
const MaxLength = 255

// ErrEmpty is returned for an id that is empty or only white space.
var ErrEmpty = errors.New("external id is empty")

// ID is a normalised external id.
type ID struct {
	// Canonical is the form stored and returned: a lowercase 8-4-4-4-12 GUID, or the trimmed
	// id as sent.
	Canonical string
	// Key is the form compared and indexed: Canonical, case-folded.
	Key string
}

// Normalize returns the canonical form and match key of an external id. It fails for an
// empty id, one longer than MaxLength, one that is not valid UTF-8, or one that holds a
// control character (C0, DEL or C1: no CRM id has one, and PostgreSQL cannot store NUL).
func Normalize(raw string) (ID, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return ID{}, ErrEmpty
	}
	if !utf8.ValidString(s) {
		return ID{}, fmt.Errorf("external id %q is not valid UTF-8", raw)
	}
	if n := utf8.RuneCountInString(s); n > MaxLength {
		return ID{}, fmt.Errorf("external id is %d characters long; the limit is %d", n, MaxLength)
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return ID{}, fmt.Errorf("external id holds the control character %U at character %d", []rune(s[i:])[0], utf8.RuneCountInString(s[:i])+1)
	}
	if g, ok := canonicalGUID(s); ok {
		return ID{Canonical: g, Key: g}, nil
	}
	return ID{Canonical: s, Key: Fold(s)}, nil
}

// Key returns the match key of an external id, or "" when the id is not valid. Use it for
// lookups, where an invalid id simply matches nothing.
func Key(raw string) string {
	id, err := Normalize(raw)
	if err != nil {
		return ""
	}
	return id.Key
}

// Fold returns s case-folded for comparison (emails and non-GUID ids).
func Fold(s string) string { return strings.ToLower(s) }

// canonicalGUID recognises a GUID written as 8-4-4-4-12 hex digits, with or without
// surrounding braces, or as 32 bare hex digits, and returns it lowercase with dashes.
func canonicalGUID(s string) (string, bool) {
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	var hex [32]byte
	n := 0
	switch len(s) {
	case 36:
		for i := 0; i < 36; i++ {
			c := s[i]
			if i == 8 || i == 13 || i == 18 || i == 23 {
				if c != '-' {
					return "", false
				}
				continue
			}
			h, ok := lowerHex(c)
			if !ok {
				return "", false
			}
			hex[n] = h
			n++
		}
	case 32:
		for i := 0; i < 32; i++ {
			h, ok := lowerHex(s[i])
			if !ok {
				return "", false
			}
			hex[n] = h
			n++
		}
	default:
		return "", false
	}
	var b strings.Builder
	b.Grow(36)
	b.Write(hex[0:8])
	b.WriteByte('-')
	b.Write(hex[8:12])
	b.WriteByte('-')
	b.Write(hex[12:16])
	b.WriteByte('-')
	b.Write(hex[16:20])
	b.WriteByte('-')
	b.Write(hex[20:32])
	return b.String(), true
}

func lowerHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		return c, true
	case c >= 'A' && c <= 'F':
		return c + ('a' - 'A'), true
	}
	return 0, false
}
