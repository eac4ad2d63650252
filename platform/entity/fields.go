package entity

import (
	"strings"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
)

// RecordID checks the msisync id that keys a write by id: sent, and greater than 0.
func RecordID(id *int32) (int32, *commonv1.Reason) {
	switch {
	case id == nil:
		return 0, records.Missing("id")
	case *id <= 0:
		return 0, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d'. Required of type 'integer' greater than 0", *id)
	}
	return *id, nil
}

// ExternalID checks a required external id, named field in reasons: sent, not blank, and
// one that extid can normalise.
func ExternalID(field string, raw *string) (extid.ID, *commonv1.Reason) {
	if raw == nil || strings.TrimSpace(*raw) == "" {
		return extid.ID{}, records.Missing(field)
	}
	id, err := extid.Normalize(*raw)
	if err != nil {
		return extid.ID{}, records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s': %v", field, err)
	}
	return id, nil
}

// Text is one optional text field of an input record.
type Text[F any] struct {
	// Name is the field's API name, used in reasons.
	Name string
	// Field is the store's name of the field.
	Field F
	// Value is what the record sends; nil when it sends nothing.
	Value *string
	// Max is the longest value, in characters.
	Max int
}

// Texts checks the text fields a record sends and sets them, trimmed, in dst; email is the
// field checked as an email (the zero F when there is none). It returns the reason the
// first refused field is refused, or nil.
func Texts[F comparable](dst map[F]string, email F, fields []Text[F]) *commonv1.Reason {
	for _, f := range fields {
		if f.Value == nil {
			continue
		}
		check := func(name, v string) (string, *commonv1.Reason) { return records.Text(name, v, f.Max) }
		if f.Field == email {
			check = records.Email
		}
		v, why := check(f.Name, *f.Value)
		if why != nil {
			return why
		}
		dst[f.Field] = v
	}
	return nil
}

// String is the Text of a field of Marketo's string length (records.MaxTextLength).
func String[F any](name string, field F, value *string) Text[F] {
	return Text[F]{Name: name, Field: field, Value: value, Max: records.MaxTextLength}
}

// ExternalKey returns the match key (extid.Key) of an external id that names a record in a
// BatchGet or Delete call, or, when it cannot name one, the reason that field is missing.
func ExternalKey(raw, field string) (string, *commonv1.Reason) {
	if key := extid.Key(raw); key != "" {
		return key, nil
	}
	return "", records.Missing(field)
}
