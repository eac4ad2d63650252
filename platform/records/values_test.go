package records

import (
	"strings"
	"testing"
)

func TestTextAndEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want, wantCode string
		email                    bool
	}{
		{name: "trimmed", in: "  Ann ", want: "Ann"},
		{name: "longest", in: strings.Repeat("é", 255), want: strings.Repeat("é", 255)},
		{name: "too long", in: strings.Repeat("x", 256), wantCode: "1001"},
		{name: "not utf-8", in: "a\xffb", wantCode: "1001"},
		{name: "nul", in: "a\x00b", wantCode: "1001"},
		{name: "bell", in: "ring\x07", wantCode: "1001"},
		{name: "escape", in: "\x1b[0m", wantCode: "1001"},
		{name: "tab and line breaks kept", in: "a\tb\r\nc", want: "a\tb\r\nc"},
		{name: "nul in email", in: "a\x00@b.c", wantCode: "1001", email: true},
		{name: "email", in: " Ann@Example.com ", want: "Ann@Example.com", email: true},
		{name: "email cleared", in: "", want: "", email: true},
		{name: "no at", in: "ann.example.com", wantCode: "1001", email: true},
		{name: "two ats", in: "a@b@c", wantCode: "1001", email: true},
		{name: "space", in: "a b@c.d", wantCode: "1001", email: true},
	}
	for _, tt := range tests {
		got, why := Text("f", tt.in, MaxTextLength)
		if tt.email {
			got, why = Email("f", tt.in)
		}
		if tt.wantCode != "" {
			if why == nil || why.GetCode() != tt.wantCode {
				t.Errorf("%s: reason %v, want code %s", tt.name, why, tt.wantCode)
			}
			continue
		}
		if why != nil || got != tt.want {
			t.Errorf("%s: = %q, %v; want %q", tt.name, got, why, tt.want)
		}
	}
}

func TestReasonMessagesAreStorable(t *testing.T) {
	t.Parallel()
	why := Reason("1006", "Field '%s' not found", "a\x00b\xffc\td")
	if got, want := why.GetMessage(), "Field 'a\uFFFDb\uFFFDc\td' not found"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}
