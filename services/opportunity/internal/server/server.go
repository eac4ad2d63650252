// Package server implements msisync.opportunity.v1.OpportunityService (opportunity.go) and
// OpportunityRoleService (role.go) over the store: it normalises keys, applies the
// per-record rules of the MSI sync contract (missing or bad fields, repeats within a batch,
// keys that cannot change) and maps store outcomes to statuses and Marketo reason codes.
// This file holds what both services share: keys, field checks, dates and reference counts.
package server

import (
	"math"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/opportunity/internal/store"
)

// MaxExternalIDLength is the longest externalOpportunityId accepted (Marketo's length for
// the field), in characters.
const MaxExternalIDLength = 50

// guidKey returns the canonical (lowercase 8-4-4-4-12) form of a marketoGUID, or "" when raw
// is not a GUID. GUIDs are matched case-insensitively, with or without braces.
func guidKey(raw string) string {
	u, err := uuid.Parse(strings.TrimSpace(raw))
	if err != nil {
		return ""
	}
	return u.String()
}

// guidKeys returns the canonical forms of the GUIDs among raw, leaving out the rest: they
// match nothing.
func guidKeys(raw []string) []string {
	var out []string
	for _, v := range raw {
		if g := guidKey(v); g != "" {
			out = append(out, g)
		}
	}
	return out
}

// checkGUID validates the marketoGUID key of a write by id field.
func checkGUID(raw *string) (string, *commonv1.Reason) {
	if raw == nil || strings.TrimSpace(*raw) == "" {
		return "", records.Missing("marketoGUID")
	}
	g := guidKey(*raw)
	if g == "" {
		return "", records.Reason(marketo.CodeInvalidValue, "Invalid value '%s'. Required of type 'GUID'", strings.TrimSpace(*raw))
	}
	return g, nil
}

// externalID validates a required external id: present, not blank, a valid id of at most
// max characters.
func externalID(field string, raw *string, max int) (extid.ID, *commonv1.Reason) {
	id, why := entity.ExternalID(field, raw)
	if why != nil {
		return extid.ID{}, why
	}
	if n := len([]rune(id.Canonical)); n > max {
		return extid.ID{}, records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s': %d characters, at most %d", field, n, max)
	}
	return id, nil
}

// dateChange reads an optional date and its clear flag: nil leaves the date as it is, a
// pointer to the zero time clears it. Setting and clearing at once is refused (1003).
func dateChange(field string, ts *timestamppb.Timestamp, clear bool) (*time.Time, *commonv1.Reason) {
	switch {
	case ts != nil && clear:
		return nil, records.Reason(marketo.CodeInvalidData, "Invalid data: '%s' is both set and cleared", field)
	case clear:
		return &time.Time{}, nil
	case ts == nil:
		return nil, nil
	}
	if err := ts.CheckValid(); err != nil {
		return nil, records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s'. Required of type 'datetime': %v", field, err)
	}
	t := ts.AsTime().UTC()
	if t.IsZero() {
		return nil, records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s': 0001-01-01T00:00:00Z is not a date", field)
	}
	return &t, nil
}

// text checks an optional string field of at most max characters.
func text(field string, v *string, max int) (*string, *commonv1.Reason) {
	if v == nil {
		return nil, nil
	}
	s, why := records.Text(field, *v, max)
	if why != nil {
		return nil, why
	}
	return &s, nil
}

// number checks an optional finite number.
func number(field string, v *float64) (*float64, *commonv1.Reason) {
	if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
		return nil, records.Reason(marketo.CodeInvalidValue, "Invalid value '%v' for '%s'. Required of type 'currency'", *v, field)
	}
	return v, nil
}

// integer checks an optional integer field against [lo, hi].
func integer(field string, v *int32, lo, hi int32) (*int32, *commonv1.Reason) {
	if v != nil && (*v < lo || *v > hi) {
		return nil, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d' for '%s'. Required of type 'integer' from %d to %d", *v, field, lo, hi)
	}
	return v, nil
}

// timestamp is the API form of a stored date: nil when unset.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// startPage checks a List call's filter values, page size and page token; normalised are
// the filter values as matched, which (with field) identify the query.
func startPage(tokens *pagetoken.Codec, field string, values, normalised []string, pageSize int32, token string) (*entity.Page, error) {
	page, err := entity.NewPage(len(values), pageSize)
	if err != nil {
		return nil, err
	}
	if err := page.Resume(tokens, field, normalised, token); err != nil {
		return nil, err
	}
	return page, nil
}

// checkParents enforces at most MaxBatch parent keys of one kind in a Count request.
func checkParents(n int, what string) error {
	if n > store.MaxBatch {
		return status.Errorf(codes.InvalidArgument, "%d %s; send at most %d", n, what, store.MaxBatch)
	}
	return nil
}

// referenceCounts converts store counts to the API's.
func referenceCounts(in []store.ReferenceCount) []*commonv1.ReferenceCount {
	out := make([]*commonv1.ReferenceCount, len(in))
	for i, c := range in {
		out[i] = &commonv1.ReferenceCount{ExternalId: c.Key, Id: c.ID, Count: c.Count}
	}
	return out
}

// withGUID sets the GUID of a write result.
func withGUID(r *commonv1.RecordResult, guid string) *commonv1.RecordResult {
	r.Guid = guid
	return r
}

// keyChanged is the reason an update by GUID that would change a key field is skipped.
func keyChanged(field string) *commonv1.Reason {
	return records.Reason(marketo.CodeInvalidData, "Invalid data: %s cannot be changed once created; leave it out when updating by marketoGUID", field)
}
