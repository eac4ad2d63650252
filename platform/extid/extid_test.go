package extid

import (
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	const guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	tests := []struct {
		name          string
		in            string
		wantCanonical string
		wantKey       string
		wantErr       bool
	}{
		{name: "canonical guid", in: guid, wantCanonical: guid, wantKey: guid},
		{name: "upper-case guid", in: strings.ToUpper(guid), wantCanonical: guid, wantKey: guid},
		{name: "braced guid", in: "{" + strings.ToUpper(guid) + "}", wantCanonical: guid, wantKey: guid},
		{name: "bare hex guid", in: "3F2504E04F8911D39A0C0305E82C3301", wantCanonical: guid, wantKey: guid},
		{name: "padded guid", in: "  " + guid + "\t", wantCanonical: guid, wantKey: guid},
		{name: "non-guid keeps case", in: "SF-00Q5e00000AbCdE", wantCanonical: "SF-00Q5e00000AbCdE", wantKey: "sf-00q5e00000abcde"},
		{name: "almost a guid", in: "3f2504e0-4f89-11d3-9a0c-0305e82c330g", wantCanonical: "3f2504e0-4f89-11d3-9a0c-0305e82c330g", wantKey: "3f2504e0-4f89-11d3-9a0c-0305e82c330g"},
		{name: "one brace only", in: "{" + guid, wantCanonical: "{" + guid, wantKey: "{" + guid},
		{name: "empty", in: "", wantErr: true},
		{name: "blank", in: "   ", wantErr: true},
		{name: "too long", in: strings.Repeat("x", MaxLength+1), wantErr: true},
		{name: "not utf-8", in: "ab\xffcd", wantErr: true},
		{name: "longest allowed", in: strings.Repeat("é", MaxLength), wantCanonical: strings.Repeat("é", MaxLength), wantKey: strings.Repeat("é", MaxLength)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Normalize(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Normalize(%q) = %+v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%q): %v", tt.in, err)
			}
			if got.Canonical != tt.wantCanonical || got.Key != tt.wantKey {
				t.Errorf("Normalize(%q) = %+v, want {%s %s}", tt.in, got, tt.wantCanonical, tt.wantKey)
			}
		})
	}
}

func TestKeyOfInvalidIsEmpty(t *testing.T) {
	t.Parallel()
	if got := Key(" "); got != "" {
		t.Errorf(`Key(" ") = %q, want ""`, got)
	}
}

func TestControlCharactersAreRefused(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"acc\x00-1", "acc\t1", "acc\x7f", "acc\u00851"} {
		if _, err := Normalize(raw); err == nil || !strings.Contains(err.Error(), "control character") {
			t.Errorf("Normalize(%q) = %v, want a control-character error", raw, err)
		}
		if got := Key(raw); got != "" {
			t.Errorf("Key(%q) = %q, want \"\"", raw, got)
		}
	}
}
