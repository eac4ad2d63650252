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
// not UTF-8, or longer than max characters.
func Text(field, value string, max int) (string, *commonv1.Reason) {
	v := strings.TrimSpace(value)
	if !utf8.ValidString(v) {
		return "", Reason(marketo.CodeInvalidValue, "Invalid value for '%s': not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", Reason(marketo.CodeInvalidValue, "Invalid value for '%s': %d characters, at most %d", field, n, max)
	}
	return v, nil
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
