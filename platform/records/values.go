package records

import (
	"strings"
	"unicode/utf8"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/marketo"
)

// MaxTextLength is the longest value a string field takes (Marketo's string length).
const MaxTextLength = 255

// Text checks a string field's value and returns it trimmed, or the reason it is refused:
// not UTF-8, holding a control character (see ControlChar), or longer than max characters.
func Text(field, value string, max int) (string, *commonv1.Reason) {
	v := strings.TrimSpace(value)
	if why := CheckChars(field, v); why != nil {
		return "", why
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", Reason(marketo.CodeInvalidValue, "Invalid value for '%s': %d characters, at most %d", field, n, max)
	}
	return v, nil
}

// CheckChars returns why a string value is refused — it is not valid UTF-8, or it holds a
// control character (see ControlChar) — or nil when it may be stored.
func CheckChars(field, value string) *commonv1.Reason {
	if !utf8.ValidString(value) {
		return Reason(marketo.CodeInvalidValue, "Invalid value for '%s': not valid UTF-8", field)
	}
	if c, at, ok := ControlChar(value); ok {
		return Reason(marketo.CodeInvalidValue, "Invalid value for '%s': the control character U+%04X at character %d; only tab, line feed and carriage return are allowed", field, c, at)
	}
	return nil
}

// ControlChar returns the first C0 control character of s other than tab, line feed and
// carriage return, with its 1-based character position. Such characters are refused in every
// string value: PostgreSQL cannot store NUL in text, and XML 1.0 (Marketo's SOAP API and
// exports) cannot carry any of them, so a value holding one could not be kept as sent.
func ControlChar(s string) (c rune, at int, ok bool) {
	for _, r := range s {
		at++
		if refusedControl(r) {
			return r, at, true
		}
	}
	return 0, 0, false
}

// refusedControl reports whether r is a C0 control character other than tab, line feed and
// carriage return: one that ControlChar finds.
func refusedControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r'
}

// Email checks an email field (empty clears it) and returns it trimmed, or the reason it
// is refused.
func Email(field, value string) (string, *commonv1.Reason) {
	v, why := Text(field, value, MaxTextLength)
	if why != nil || v == "" {
		return v, why
	}
	local, domain, ok := strings.Cut(v, "@")
	if !ok || local == "" || domain == "" || strings.ContainsAny(v, " \t") || strings.Contains(domain, "@") {
		return "", Reason(marketo.CodeInvalidValue, "Invalid value '%s'. Required of type 'email'", v)
	}
	return v, nil
}

// Missing is the reason a record without a required field is skipped.
func Missing(field string) *commonv1.Reason {
	return Reason(marketo.CodeMissingValue, "Missing value for the required parameter '%s'", field)
}
