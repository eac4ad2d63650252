// Package objects maps Marketo's record shapes onto msisync's typed messages. One Object
// per Marketo object type describes it once — its name, keys and searchable fields, its
// msisync record and input messages, and the few Marketo names that differ from the
// messages' JSON names — and from that the package decodes Marketo input records into
// input messages, encodes stored records as Marketo query results (with field
// selection), and answers describe calls. It works through protoreflect, so a field added
// to a proto appears on the REST surface without code here.
package objects

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
)

// timestampName is the full name of google.protobuf.Timestamp.
const timestampName = "google.protobuf.Timestamp"

// Object describes one Marketo object type.
type Object struct {
	// Name is the Marketo object name, for example "Company".
	Name string
	// Display and Plural are the names shown to people.
	Display, Plural string
	// Description says what the object is.
	Description string
	// IDField is the Marketo id field: "id" or "marketoGUID".
	IDField string
	// Dedupe lists the fields of the dedupe key.
	Dedupe []string
	// Searchable lists the filterType choices, compound keys as several names.
	Searchable [][]string
	// Record is the stored message (for example accountv1.Company).
	Record proto.Message
	// Input is the sync input message (for example accountv1.CompanyInput).
	Input proto.Message
	// Renames maps proto field names to Marketo names where lowerCamelCase differs.
	Renames map[string]string
	// Types overrides the describe data type of Marketo fields (email, url, phone, …).
	Types map[string]string
	// ReadOnly names Marketo fields that sync refuses per record (besides timestamps).
	ReadOnly map[string]string
	// Custom is the name of a map<string, google.protobuf.Value> input field that holds the
	// declared custom fields (leads'; see DeclareCustomFields), or "" when the object has none.
	Custom string
	// DefaultFields are the fields a query returns when none are asked for; empty means
	// every populated field.
	DefaultFields []string

	// declared holds the declared custom fields by name, with their type (custom.go).
	declared atomic.Pointer[map[string]string]

	// recordOnce guards record, built on first use.
	recordOnce sync.Once
	record     *recordIndex
}

// recordIndex finds the fields of an Object's Record message by Marketo name, so that
// encoding a record with a field selection looks up only the selected fields.
type recordIndex struct {
	// desc is the Record's descriptor.
	desc protoreflect.MessageDescriptor
	// byName holds the non-map fields by Marketo name.
	byName map[string]protoreflect.FieldDescriptor
	// maps are the map fields (custom fields), whose entries are fields of their own.
	maps []protoreflect.FieldDescriptor
}

// recordFields returns the Record's index, building it on first use.
func (o *Object) recordFields() *recordIndex {
	o.recordOnce.Do(func() {
		desc := o.Record.ProtoReflect().Descriptor()
		ix := &recordIndex{desc: desc, byName: map[string]protoreflect.FieldDescriptor{}}
		fields := desc.Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			if fd.IsMap() {
				ix.maps = append(ix.maps, fd)
			} else {
				ix.byName[o.marketoName(fd)] = fd
			}
		}
		o.record = ix
	})
	return o.record
}

// ReadFields returns the proto field names of the Record that a query for the Marketo
// fields needs (for the default fields when fields is empty), to pass on as a service's
// read_fields: the id field's and each field's own; for a name that is no Record field,
// the custom fields map when the object has one, and nothing for a read-only field (the
// MSI fields, which no record holds). It returns nil, meaning every field, when the query
// returns every populated field.
func (o *Object) ReadFields(fields []string) []string {
	if len(fields) == 0 {
		fields = o.DefaultFields
	}
	if len(fields) == 0 {
		return nil
	}
	ix := o.recordFields()
	out := make([]string, 0, len(fields)+1)
	seen := make(map[string]bool, len(fields)+1)
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	if fd := ix.byName[o.IDField]; fd != nil {
		add(string(fd.Name()))
	}
	for _, f := range fields {
		if fd := ix.byName[f]; fd != nil {
			add(string(fd.Name()))
			continue
		}
		if _, readOnly := o.ReadOnly[f]; readOnly {
			continue
		}
		for _, fd := range ix.maps {
			add(string(fd.Name()))
		}
	}
	return out
}

// marketoName returns the Marketo name of a proto field.
func (o *Object) marketoName(fd protoreflect.FieldDescriptor) string {
	if n, ok := o.Renames[string(fd.Name())]; ok {
		return n
	}
	return fd.JSONName()
}

// fieldByMarketoName finds the field of desc with the Marketo name.
func (o *Object) fieldByMarketoName(desc protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	fields := desc.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if o.marketoName(fd) == name {
			return fd
		}
	}
	return nil
}

// Fields lists the object's Marketo field names, in message order, without the custom map.
func (o *Object) Fields() []string {
	var out []string
	fields := o.Record.ProtoReflect().Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); !fd.IsMap() {
			out = append(out, o.marketoName(fd))
		}
	}
	return out
}

// CheckFields returns a 1006 error for the first requested field the object does not have:
// neither one of its own (record or MSI) fields nor a declared custom field.
func (o *Object) CheckFields(fields []string) error {
	desc := o.Record.ProtoReflect().Descriptor()
	for _, f := range fields {
		if fd := o.fieldByMarketoName(desc, f); fd == nil || fd.IsMap() {
			if _, msi := o.ReadOnly[f]; msi {
				continue
			}
			if _, ok := o.customType(f); ok {
				continue
			}
			return marketo.NewError(codes.InvalidArgument, marketo.CodeFieldNotFound, fmt.Sprintf("Field '%s' not found", f))
		}
	}
	return nil
}

// Decode fills a new input message from a Marketo record, or returns why the record is
// skipped: 1006 for an unknown field, 1003 for a read-only one, 1001 for a value of the
// wrong type. A null value clears the field (empty string, zero, or the clear_<field> flag
// of a date).
func (o *Object) Decode(rec *structpb.Struct, into proto.Message) *commonv1.Reason {
	msg := into.ProtoReflect()
	desc := msg.Descriptor()
	names := make([]string, 0, len(rec.GetFields()))
	for n := range rec.GetFields() {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		v := rec.GetFields()[name]
		if why, ok := o.ReadOnly[name]; ok {
			return records.Reason(marketo.CodeInvalidData, "Invalid data: field '%s' cannot be written: %s", name, why)
		}
		fd := o.fieldByMarketoName(desc, name)
		if fd == nil || fd.IsMap() || strings.HasPrefix(string(fd.Name()), "clear_") {
			if _, isRecordField := o.recordField(name); isRecordField {
				return records.Reason(marketo.CodeInvalidData, "Invalid data: field '%s' is set by msisync and cannot be written", name)
			}
			if typ, ok := o.customType(name); ok && o.Custom != "" {
				if why := checkCustom(name, typ, v); why != nil {
					return why
				}
				if why := o.setCustom(msg, name, v); why != nil {
					return why
				}
				continue
			}
			return notFound(name)
		}
		if why := setField(msg, fd, name, v); why != nil {
			return why
		}
	}
	return nil
}

// SetByMsisync reports whether name is a field of the stored record that no input may set
// (createdAt, updatedAt, …): sync refuses it with 1003.
func (o *Object) SetByMsisync(name string) bool {
	_, isRecordField := o.recordField(name)
	return isRecordField && o.fieldByMarketoName(o.Input.ProtoReflect().Descriptor(), name) == nil
}

func (o *Object) recordField(name string) (protoreflect.FieldDescriptor, bool) {
	fd := o.fieldByMarketoName(o.Record.ProtoReflect().Descriptor(), name)
	return fd, fd != nil && !fd.IsMap()
}

// setCustom stores a custom field in the input's custom map.
func (o *Object) setCustom(msg protoreflect.Message, name string, v *structpb.Value) *commonv1.Reason {
	fd := msg.Descriptor().Fields().ByName(protoreflect.Name(o.Custom))
	if fd == nil {
		return records.Reason(marketo.CodeFieldNotFound, "Field '%s' not found", name)
	}
	if len(name) > records.MaxTextLength {
		return records.Reason(marketo.CodeInvalidData, "Invalid data: custom field names are at most %d characters", records.MaxTextLength)
	}
	if records.CheckChars(name, name) != nil {
		return records.Reason(marketo.CodeInvalidData, "Invalid data: a custom field name is not valid UTF-8 or holds a control character")
	}
	switch k := v.GetKind().(type) {
	case *structpb.Value_StructValue, *structpb.Value_ListValue:
		return records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s': a custom field holds a string, number, boolean or null", name)
	case *structpb.Value_StringValue:
		if why := records.CheckChars(name, k.StringValue); why != nil {
			return why
		}
	}
	m := msg.Mutable(fd).Map()
	m.Set(protoreflect.ValueOfString(name).MapKey(), protoreflect.ValueOfMessage(v.ProtoReflect()))
	return nil
}

// setField converts one Marketo value to the field's type.
func setField(msg protoreflect.Message, fd protoreflect.FieldDescriptor, name string, v *structpb.Value) *commonv1.Reason {
	_, null := v.GetKind().(*structpb.Value_NullValue)
	switch fd.Kind() {
	case protoreflect.StringKind:
		s, why := stringOf(name, v)
		if why != nil {
			return why
		}
		msg.Set(fd, protoreflect.ValueOfString(s))
	case protoreflect.Int32Kind:
		n := int32(0)
		if !null {
			var why *commonv1.Reason
			if n, why = Int32Value(name, v); why != nil {
				return why
			}
		}
		msg.Set(fd, protoreflect.ValueOfInt32(n))
	case protoreflect.DoubleKind:
		f := 0.0
		if !null {
			var why *commonv1.Reason
			if f, why = doubleOf(name, v); why != nil {
				return why
			}
		}
		msg.Set(fd, protoreflect.ValueOfFloat64(f))
	case protoreflect.BoolKind:
		b := false
		if !null {
			var why *commonv1.Reason
			if b, why = boolOf(name, v); why != nil {
				return why
			}
		}
		msg.Set(fd, protoreflect.ValueOfBool(b))
	case protoreflect.MessageKind:
		if fd.Message().FullName() != timestampName {
			return records.Reason(marketo.CodeFieldNotFound, "Field '%s' not found", name)
		}
		if null {
			clear := msg.Descriptor().Fields().ByName(protoreflect.Name("clear_" + string(fd.Name())))
			if clear == nil {
				return records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s': it cannot be cleared", name)
			}
			msg.Set(clear, protoreflect.ValueOfBool(true))
			return nil
		}
		t, why := timeOf(name, v)
		if why != nil {
			return why
		}
		ts := timestamppb.New(t)
		if ts.CheckValid() != nil {
			return records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s': dates run from year 0001 to 9999", name)
		}
		msg.Set(fd, protoreflect.ValueOfMessage(ts.ProtoReflect()))
	default:
		return records.Reason(marketo.CodeFieldNotFound, "Field '%s' not found", name)
	}
	return nil
}

// Encode renders a stored record (an o.Record message) as a Marketo query result: seq and
// the id field first, then the requested fields (null when empty), or the default fields
// when none are asked for (every populated field when the object names none). Custom
// field names are not expected to repeat a record field's (the services refuse them);
// with a field selection the record field would win.
func (o *Object) Encode(rec proto.Message, seq int, fields []string) *structpb.Struct {
	msg := rec.ProtoReflect()
	want := fields
	if len(want) == 0 {
		want = o.DefaultFields
	}
	ix := o.recordFields()
	if len(want) == 0 || msg.Descriptor() != ix.desc {
		return o.encodeAll(msg, seq, want)
	}
	out := make(map[string]*structpb.Value, len(want)+2)
	out["seq"] = structpb.NewNumberValue(float64(seq))
	if id := ix.value(msg, o.IDField); id != nil {
		out[o.IDField] = id
	}
	for _, f := range want {
		if v := ix.value(msg, f); v != nil {
			out[f] = v
		} else if _, done := out[f]; !done {
			out[f] = structpb.NewNullValue()
		}
	}
	return &structpb.Struct{Fields: out}
}

// value returns the Marketo value of the field or custom field name of msg, or nil when
// it is empty or absent.
func (ix *recordIndex) value(msg protoreflect.Message, name string) *structpb.Value {
	if fd := ix.byName[name]; fd != nil {
		if v := valueOf(msg, fd); v != nil {
			return v
		}
	}
	for _, fd := range ix.maps {
		if !msg.Has(fd) {
			continue
		}
		v := msg.Get(fd).Map().Get(protoreflect.ValueOfString(name).MapKey())
		if !v.IsValid() {
			continue
		}
		if sv, ok := v.Message().Interface().(*structpb.Value); ok {
			return sv
		}
	}
	return nil
}

// encodeAll is Encode for a record of any message type: it collects every populated field
// by Marketo name, then keeps want (every one when want is empty).
func (o *Object) encodeAll(msg protoreflect.Message, seq int, want []string) *structpb.Struct {
	desc := msg.Descriptor()
	all := map[string]*structpb.Value{}
	fds := desc.Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if fd.IsMap() {
			msg.Get(fd).Map().Range(func(k protoreflect.MapKey, v protoreflect.Value) bool {
				if sv, ok := v.Message().Interface().(*structpb.Value); ok {
					all[k.String()] = sv
				}
				return true
			})
			continue
		}
		if val := valueOf(msg, fd); val != nil {
			all[o.marketoName(fd)] = val
		}
	}
	out := map[string]*structpb.Value{"seq": structpb.NewNumberValue(float64(seq))}
	if id, ok := all[o.IDField]; ok {
		out[o.IDField] = id
	}
	if len(want) == 0 {
		for k, v := range all {
			out[k] = v
		}
		return &structpb.Struct{Fields: out}
	}
	for _, f := range want {
		if v, ok := all[f]; ok {
			out[f] = v
		} else if _, done := out[f]; !done {
			out[f] = structpb.NewNullValue()
		}
	}
	return &structpb.Struct{Fields: out}
}

// valueOf returns a field's Marketo value, or nil when it is empty.
func valueOf(msg protoreflect.Message, fd protoreflect.FieldDescriptor) *structpb.Value {
	if !msg.Has(fd) && fd.Kind() != protoreflect.BoolKind {
		return nil
	}
	v := msg.Get(fd)
	switch fd.Kind() {
	case protoreflect.StringKind:
		return structpb.NewStringValue(v.String())
	case protoreflect.Int32Kind, protoreflect.Int64Kind:
		return structpb.NewNumberValue(float64(v.Int()))
	case protoreflect.DoubleKind, protoreflect.FloatKind:
		return structpb.NewNumberValue(v.Float())
	case protoreflect.BoolKind:
		return structpb.NewBoolValue(v.Bool())
	case protoreflect.MessageKind:
		if ts, ok := v.Message().Interface().(*timestamppb.Timestamp); ok {
			return structpb.NewStringValue(ts.AsTime().UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// stringOf reads a string field, bounded to maxText and free of control characters.
func stringOf(name string, v *structpb.Value) (string, *commonv1.Reason) {
	s, why := StringValue(name, v)
	if why != nil {
		return "", why
	}
	return records.Text(name, s, maxText)
}

// maxText bounds string fields; long text fields (descriptions, notes) share the limit of
// Marketo's text area.
const maxText = 65535

func doubleOf(name string, v *structpb.Value) (float64, *commonv1.Reason) {
	bad := records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s'. Required of type 'number'", name)
	switch k := v.GetKind().(type) {
	case *structpb.Value_NumberValue:
		return k.NumberValue, nil
	case *structpb.Value_StringValue:
		f, err := strconv.ParseFloat(strings.TrimSpace(k.StringValue), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, bad
		}
		return f, nil
	}
	return 0, bad
}

func boolOf(name string, v *structpb.Value) (bool, *commonv1.Reason) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_BoolValue:
		return k.BoolValue, nil
	case *structpb.Value_StringValue:
		if b, err := strconv.ParseBool(strings.TrimSpace(k.StringValue)); err == nil {
			return b, nil
		}
	}
	return false, records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s'. Required of type 'boolean'", name)
}

// dateLayouts are the date forms accepted: ISO 8601 date-times and plain dates.
var dateLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02"}

func timeOf(name string, v *structpb.Value) (time.Time, *commonv1.Reason) {
	if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, strings.TrimSpace(s.StringValue)); err == nil {
				return t.UTC(), nil
			}
		}
	}
	return time.Time{}, records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s'. Required of type 'datetime' (ISO 8601, for example 2026-11-29T10:00:00Z or 2026-11-29)", name)
}
