package extid

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// canonicalGUIDPattern is the only form a GUID key takes.
var canonicalGUIDPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// FuzzNormalize checks that Normalize never panics and that what it accepts is valid
// UTF-8, at most MaxLength characters, keyed by its case fold (or a canonical GUID), and
// stable under a second Normalize.
func FuzzNormalize(f *testing.F) {
	for _, seed := range []string{
		"",
		" ",
		"\t\n\v\f\r \u0085\u00a0",
		"ACME-1",
		"  sp-1  ",
		"3F2504E0-4F89-11D3-9A0C-0305E82C3301",
		"{3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
		"3f2504e04f8911d39a0c0305e82c3301",
		"{3f2504e04f8911d39a0c0305e82c3301}",
		"{3F2504E0-4F89-11D3-9A0C-0305E82C3301",
		"3F2504E0_4F89-11D3-9A0C-0305E82C3301",
		"3G2504E0-4F89-11D3-9A0C-0305E82C3301",
		"ÉCOLE-Ⅻ-ǅ-İ-ß-ẞ",
		"\xff\xfe",
		"a\x00b",
		strings.Repeat("x", MaxLength),
		strings.Repeat("x", MaxLength+1),
		strings.Repeat("é", MaxLength),
		strings.Repeat("ȿ", MaxLength),
		" " + strings.Repeat("y", MaxLength) + " ",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := Normalize(raw)
		if err != nil {
			if id != (ID{}) {
				t.Fatalf("Normalize(%q) failed (%v) but returned %+v", raw, err, id)
			}
			if k := Key(raw); k != "" {
				t.Fatalf("Key(%q) = %q for an invalid id, want \"\"", raw, k)
			}
			return
		}
		if !utf8.ValidString(id.Canonical) || !utf8.ValidString(id.Key) {
			t.Fatalf("Normalize(%q) = %+v: not valid UTF-8", raw, id)
		}
		if id.Canonical == "" || id.Key == "" {
			t.Fatalf("Normalize(%q) = %+v: empty", raw, id)
		}
		if id.Canonical != strings.TrimSpace(id.Canonical) {
			t.Fatalf("Normalize(%q) = %+v: canonical form is not trimmed", raw, id)
		}
		if n := utf8.RuneCountInString(id.Canonical); n > MaxLength {
			t.Fatalf("Normalize(%q): canonical form is %d characters, limit %d", raw, n, MaxLength)
		}
		if n := utf8.RuneCountInString(id.Key); n > MaxLength {
			t.Fatalf("Normalize(%q): key is %d characters, limit %d", raw, n, MaxLength)
		}
		isGUID := canonicalGUIDPattern.MatchString(id.Key)
		if isGUID {
			if id.Canonical != id.Key {
				t.Fatalf("Normalize(%q) = %+v: a GUID's canonical form is its key", raw, id)
			}
		} else if id.Key != Fold(id.Canonical) {
			t.Fatalf("Normalize(%q) = %+v: key is neither Fold(canonical) nor a canonical GUID", raw, id)
		}
		again, err := Normalize(id.Canonical)
		if err != nil {
			t.Fatalf("Normalize(%q) = %+v, but Normalize(canonical) fails: %v", raw, id, err)
		}
		if again != id {
			t.Fatalf("Normalize is not idempotent: Normalize(%q) = %+v, Normalize(canonical) = %+v", raw, id, again)
		}
		if k := Key(raw); k != id.Key {
			t.Fatalf("Key(%q) = %q, want %q", raw, k, id.Key)
		}
	})
}
