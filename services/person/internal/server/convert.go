package server

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	personv1 "github.com/msisync/msisync/gen/msisync/person/v1"
	"github.com/msisync/msisync/platform/entity"
	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/person/internal/store"
)

// MaxCustomNameLength is the longest custom field name, in characters.
const MaxCustomNameLength = 255

// MaxCustomTextLength is the longest custom string value, in characters.
const MaxCustomTextLength = 65535

// standardNames holds, case-folded, every name a custom field may not take: the lead's
// standard fields in their proto and JSON (Marketo API) spellings, Marketo's own names for
// the timestamps, and the read-only MSI fields.
var standardNames = func() map[string]bool {
	names := map[string]bool{}
	fields := (&personv1.Lead{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		names[extid.Fold(string(fields.Get(i).Name()))] = true
		names[extid.Fold(fields.Get(i).JSONName())] = true
	}
	for _, n := range []string{
		"createdAt", "updatedAt", "leadPartitionId", "msiLastInterestingMomentType",
		"msiLastInterestingMomentDate", "msiLastInterestingMomentDesc",
		"msiLastInterestingMomentSource", "leadScore", "urgency", "relativeUrgency",
		"relativeScore", "relativeScoring", "priority",
	} {
		names[extid.Fold(n)] = true
	}
	return names
}()

// textInputs pairs each text field with its Marketo name and its value in in.
func textInputs(in *personv1.LeadInput) []entity.Text[store.Field] {
	return []entity.Text[store.Field]{
		entity.String("email", store.FieldEmail, in.Email),
		entity.String("salutation", store.FieldSalutation, in.Salutation),
		entity.String("firstName", store.FieldFirstName, in.FirstName),
		entity.String("middleName", store.FieldMiddleName, in.MiddleName),
		entity.String("lastName", store.FieldLastName, in.LastName),
		entity.String("title", store.FieldTitle, in.Title),
		entity.String("department", store.FieldDepartment, in.Department),
		entity.String("phone", store.FieldPhone, in.Phone),
		entity.String("mobilePhone", store.FieldMobilePhone, in.MobilePhone),
		entity.String("fax", store.FieldFax, in.Fax),
		entity.String("company", store.FieldCompany, in.Company),
		entity.String("website", store.FieldWebsite, in.Website),
		entity.String("address", store.FieldAddress, in.Address),
		entity.String("city", store.FieldCity, in.City),
		entity.String("state", store.FieldState, in.State),
		entity.String("postalCode", store.FieldPostalCode, in.PostalCode),
		entity.String("country", store.FieldCountry, in.Country),
		entity.String("leadSource", store.FieldLeadSource, in.LeadSource),
		entity.String("leadStatus", store.FieldLeadStatus, in.LeadStatus),
		entity.String("leadRole", store.FieldLeadRole, in.LeadRole),
		entity.String("rating", store.FieldRating, in.Rating),
		entity.String("industry", store.FieldIndustry, in.Industry),
	}
}

// toWrite validates one input record and returns its write, or the reason it is skipped.
func toWrite(in *personv1.LeadInput, lookup store.Lookup, mode records.Mode, dup bool) (store.Write, *commonv1.Reason) {
	w := store.Write{Mode: mode, CreateDuplicate: dup, Fields: make(map[store.Field]string, len(store.Fields))}
	switch lookup {
	case store.LookupID:
		var why *commonv1.Reason
		if w.ID, why = entity.RecordID(in.Id); why != nil {
			return w, why
		}
	case store.LookupEmail:
		if in.Id != nil && (mode != records.UpdateOnly || dup) {
			return w, records.Reason(marketo.CodeInvalidData, "Invalid data: id is allowed only with action updateOnly")
		}
		if in.Email == nil || strings.TrimSpace(in.GetEmail()) == "" {
			return w, records.Missing("email")
		}
	case store.LookupExternalPersonID:
		if in.Id != nil && (mode != records.UpdateOnly || dup) {
			return w, records.Reason(marketo.CodeInvalidData, "Invalid data: id is allowed only with action updateOnly")
		}
		if in.ExternalPersonId == nil || strings.TrimSpace(in.GetExternalPersonId()) == "" {
			return w, records.Missing("externalPersonId")
		}
	}
	if why := entity.Texts(w.Fields, store.FieldEmail, textInputs(in)); why != nil {
		return w, why
	}
	for _, ref := range []struct {
		name string
		raw  *string
		dst  **extid.ID
	}{
		{"externalPersonId", in.ExternalPersonId, &w.ExternalPersonID},
		{"externalCompanyId", in.ExternalCompanyId, &w.ExternalCompanyID},
		{"externalSalesPersonId", in.ExternalSalesPersonId, &w.ExternalSalesPersonID},
	} {
		if ref.raw == nil {
			continue
		}
		if strings.TrimSpace(*ref.raw) == "" {
			*ref.dst = &extid.ID{} // a present empty value clears the field
			continue
		}
		id, err := extid.Normalize(*ref.raw)
		if err != nil {
			return w, records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s': %v", ref.name, err)
		}
		*ref.dst = &id
	}
	if in.AnnualRevenue != nil {
		v := in.GetAnnualRevenue()
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return w, records.Reason(marketo.CodeInvalidValue, "Invalid value '%v'. Required of type 'currency' (a finite number, 0 or more) for 'annualRevenue'", v)
		}
		w.AnnualRevenue = &v
	}
	if in.NumberOfEmployees != nil {
		v := in.GetNumberOfEmployees()
		if v < 0 {
			return w, records.Reason(marketo.CodeInvalidValue, "Invalid value '%d'. Required of type 'integer' (0 or more) for 'numberOfEmployees'", v)
		}
		w.NumberOfEmployees = &v
	}
	w.Unsubscribed, w.DoNotCall = in.Unsubscribed, in.DoNotCall
	custom, why := toCustom(in.GetCustomFields())
	if why != nil {
		return w, why
	}
	w.Custom = custom
	return w, nil
}

// toCustom validates custom fields: names of 1 to 255 characters that are not standard
// field names (1003), values that are strings, finite numbers or booleans (1001); null
// becomes nil, which removes the name.
func toCustom(fields map[string]*structpb.Value) (map[string]any, *commonv1.Reason) {
	if len(fields) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names) // report the same field first every time
	out := make(map[string]any, len(fields))
	for _, name := range names {
		if n := utf8.RuneCountInString(name); n == 0 || n > MaxCustomNameLength || strings.TrimSpace(name) != name {
			return nil, records.Reason(marketo.CodeInvalidData, "Invalid data: custom field name '%s' must be 1 to %d characters without surrounding spaces", name, MaxCustomNameLength)
		}
		if standardNames[extid.Fold(name)] {
			return nil, records.Reason(marketo.CodeInvalidData, "Invalid data: '%s' is a standard lead field, not a custom field", name)
		}
		switch v := fields[name].GetKind().(type) {
		case nil, *structpb.Value_NullValue:
			out[name] = nil
		case *structpb.Value_StringValue:
			s, why := records.Text(name, v.StringValue, MaxCustomTextLength)
			if why != nil {
				return nil, why
			}
			out[name] = s
		case *structpb.Value_NumberValue:
			if math.IsNaN(v.NumberValue) || math.IsInf(v.NumberValue, 0) {
				return nil, records.Reason(marketo.CodeInvalidValue, "Invalid value '%v'. Required of type 'number' for '%s'", v.NumberValue, name)
			}
			out[name] = v.NumberValue
		case *structpb.Value_BoolValue:
			out[name] = v.BoolValue
		default:
			return nil, records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s'. Required of type 'string', 'number' or 'boolean'", name)
		}
	}
	return out, nil
}

// describeKey names the lookup value of in for reasons, for example "email 'a@b.c'".
func describeKey(lookup store.Lookup, in *personv1.LeadInput) string {
	switch lookup {
	case store.LookupID:
		return fmt.Sprintf("id %d", in.GetId())
	case store.LookupExternalPersonID:
		return fmt.Sprintf("externalPersonId '%s'", strings.TrimSpace(in.GetExternalPersonId()))
	}
	return fmt.Sprintf("email '%s'", strings.TrimSpace(in.GetEmail()))
}

// lookupKey is the key w is matched on within the batch.
func lookupKey(lookup store.Lookup, w store.Write) string {
	switch lookup {
	case store.LookupID:
		return fmt.Sprintf("#%d", w.ID)
	case store.LookupExternalPersonID:
		return w.ExternalPersonID.Key
	}
	return extid.Fold(w.Fields[store.FieldEmail])
}

// result maps a store result to the record's result with the lead reason codes (1004,
// 1005, 1007, 1003; 1036 for a taken external person id with createDuplicate).
func result(i int, r store.WriteResult, lookup store.Lookup, in *personv1.LeadInput, dup bool) *commonv1.RecordResult {
	what := describeKey(lookup, in)
	switch r.Skip {
	case store.SkipAmbiguous:
		return records.Skipped(i, 0, records.Reason(marketo.CodeMultipleLeadsMatch, "Multiple leads match the lookup criteria: %d leads have %s", r.Matches, what))
	case store.SkipExternalPersonIDTaken:
		ext := strings.TrimSpace(in.GetExternalPersonId())
		if dup {
			return records.Skipped(i, r.ID, records.Reason(marketo.CodeDuplicateInInput, "Duplicate object found: externalPersonId '%s' already belongs to lead %d (createDuplicate)", ext, r.HolderID))
		}
		return records.Skipped(i, r.ID, records.Reason(marketo.CodeInvalidData, "Invalid data: externalPersonId '%s' already belongs to lead %d", ext, r.HolderID))
	}
	switch r.Outcome {
	case records.AlreadyExists:
		return records.Skipped(i, r.ID, records.Reason(marketo.CodeLeadAlreadyExists, "Lead already exists: lead %d has %s (action createOnly)", r.ID, what))
	case records.NotFound:
		return records.Skipped(i, 0, records.Reason(marketo.CodeLeadNotFound, "Lead not found: no lead has %s (action updateOnly)", what))
	}
	return records.Result(i, r.Outcome, r.ID, "lead with "+what)
}

// readColumns maps each personv1.Lead field name to the store column that holds it.
var readColumns = func() map[string]store.Column {
	out := map[string]store.Column{"id": store.ColumnID, "create_time": store.ColumnCreatedAt, "update_time": store.ColumnUpdatedAt}
	for _, c := range store.Columns {
		if c != store.ColumnCreatedAt && c != store.ColumnUpdatedAt {
			out[string(c)] = c
		}
	}
	return out
}()

// projection returns the store projection of a request's read_fields (Lead field names),
// empty (every column) when there are none. An unknown name is INVALID_ARGUMENT.
func projection(fields []string) (store.Projection, error) {
	p := make(store.Projection, len(fields))
	for i, name := range fields {
		c, ok := readColumns[name]
		if !ok {
			return nil, status.Errorf(codes.InvalidArgument, "read_fields: %q is not a lead field", name)
		}
		p[i] = c
	}
	return p, nil
}

// toProto converts a stored lead.
func toProto(l store.Lead) *personv1.Lead {
	p := &personv1.Lead{
		Id:                    l.ID,
		Email:                 l.Email,
		ExternalPersonId:      l.ExternalPersonID,
		ExternalCompanyId:     l.ExternalCompanyID,
		ExternalSalesPersonId: l.ExternalSalesPersonID,
		Salutation:            l.Salutation,
		FirstName:             l.FirstName,
		MiddleName:            l.MiddleName,
		LastName:              l.LastName,
		Title:                 l.Title,
		Department:            l.Department,
		Phone:                 l.Phone,
		MobilePhone:           l.MobilePhone,
		Fax:                   l.Fax,
		Company:               l.Company,
		Website:               l.Website,
		Address:               l.Address,
		City:                  l.City,
		State:                 l.State,
		PostalCode:            l.PostalCode,
		Country:               l.Country,
		LeadSource:            l.LeadSource,
		LeadStatus:            l.LeadStatus,
		LeadRole:              l.LeadRole,
		Rating:                l.Rating,
		Industry:              l.Industry,
		AnnualRevenue:         l.AnnualRevenue,
		NumberOfEmployees:     l.NumberOfEmployees,
		Unsubscribed:          l.Unsubscribed,
		DoNotCall:             l.DoNotCall,
	}
	// A time is zero only when a projection left it out.
	if !l.CreatedAt.IsZero() {
		p.CreateTime = timestamppb.New(l.CreatedAt)
	}
	if !l.UpdatedAt.IsZero() {
		p.UpdateTime = timestamppb.New(l.UpdatedAt)
	}
	if len(l.Custom) > 0 {
		p.CustomFields = make(map[string]*structpb.Value, len(l.Custom))
		for name, v := range l.Custom {
			pv, err := structpb.NewValue(v)
			if err != nil {
				continue // stored values are JSON scalars, which always convert
			}
			p.CustomFields[name] = pv
		}
	}
	return p
}
