package objects

import (
	"strings"
	"unicode"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/records"
)

// SchemaDate is when msisync's object types were defined, shown by describe calls.
const SchemaDate = "2026-11-01T00:00:00Z"

// Metadata returns the object's describe result, derived from its messages: every field of
// the record, with its data type, length and whether sync may change it, then the declared
// custom fields (see DeclareCustomFields).
func (o *Object) Metadata() *orchestratorv1.ObjectMetadata {
	m := &orchestratorv1.ObjectMetadata{
		Name:         o.Name,
		ApiName:      o.Name,
		DisplayName:  o.Display,
		PluralName:   o.Plural,
		Description:  o.Description,
		CreatedAt:    SchemaDate,
		UpdatedAt:    SchemaDate,
		IdField:      o.IDField,
		DedupeFields: o.Dedupe,
		Status:       "approved",
		Version:      "approved",
	}
	for _, keys := range o.Searchable {
		vals := make([]*structpb.Value, len(keys))
		for i, k := range keys {
			vals[i] = structpb.NewStringValue(k)
		}
		m.SearchableFields = append(m.SearchableFields, &structpb.ListValue{Values: vals})
	}
	rec := o.Record.ProtoReflect().Descriptor().Fields()
	in := o.Input.ProtoReflect().Descriptor()
	for i := 0; i < rec.Len(); i++ {
		fd := rec.Get(i)
		if fd.IsMap() {
			continue
		}
		name := o.marketoName(fd)
		f := &orchestratorv1.ObjectField{Name: name, DisplayName: displayName(name), DataType: o.dataType(name, fd)}
		if fd.Kind() == protoreflect.StringKind {
			f.Length = proto.Int32(records.MaxTextLength)
		}
		_, readOnly := o.ReadOnly[name]
		f.Updateable = !readOnly && !o.isKey(name) && o.fieldByMarketoName(in, name) != nil
		m.Fields = append(m.Fields, f)
	}
	for _, c := range o.CustomFields() {
		f := &orchestratorv1.ObjectField{Name: c.Name, DisplayName: displayName(c.Name), DataType: c.Type, Updateable: true}
		if c.Type == "string" {
			f.Length = proto.Int32(records.MaxTextLength)
		}
		m.Fields = append(m.Fields, f)
	}
	return m
}

// isKey reports whether name is the id field or part of the dedupe key (never updated).
func (o *Object) isKey(name string) bool {
	if name == o.IDField {
		return true
	}
	for _, d := range o.Dedupe {
		if d == name {
			return true
		}
	}
	return false
}

func (o *Object) dataType(name string, fd protoreflect.FieldDescriptor) string {
	if t, ok := o.Types[name]; ok {
		return t
	}
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Int64Kind:
		return "integer"
	case protoreflect.DoubleKind, protoreflect.FloatKind:
		return "float"
	case protoreflect.BoolKind:
		return "boolean"
	case protoreflect.MessageKind:
		return "datetime"
	}
	return "string"
}

// displayName turns a lowerCamelCase name into words: externalCompanyId → External Company Id.
func displayName(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i == 0 {
			b.WriteRune(unicode.ToUpper(r))
			continue
		}
		if unicode.IsUpper(r) && !unicode.IsUpper(rune(name[i-1])) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
