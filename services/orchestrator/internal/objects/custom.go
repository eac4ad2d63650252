package objects

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
)

// CustomField is a declared custom field of an object (MSISYNC_CUSTOM_FIELDS): as in
// Marketo, a custom field exists only once declared; sync and query refuse any other name
// with 1006, and describe lists it with its type.
type CustomField struct {
	// Name is the Marketo field name, e.g. favouriteColour.
	Name string
	// Type is its data type: string, integer, float or boolean.
	Type string
}

// CustomTypes are the data types a custom field may have.
var CustomTypes = []string{"string", "integer", "float", "boolean"}

// customName is what a custom field may be called: a letter, then letters, digits and _.
var customName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,79}$`)

// customObjects are the objects that hold custom fields, by the name a declaration uses.
var customObjects = map[string]*Object{"leads": Lead}

// ParseCustomFields reads MSISYNC_CUSTOM_FIELDS: comma-separated object:name:type entries
// (leads:favouriteColour:string,leads:tier:integer). It reports every wrong entry at once.
func ParseCustomFields(s string) (map[*Object][]CustomField, error) {
	out := map[*Object][]CustomField{}
	var errs []string
	seen := map[string]bool{}
	for _, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		parts := strings.Split(entry, ":")
		if len(parts) != 3 {
			errs = append(errs, fmt.Sprintf("%q is not object:name:type", entry))
			continue
		}
		objName, name, typ := strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1]), strings.ToLower(strings.TrimSpace(parts[2]))
		obj, ok := customObjects[objName]
		switch {
		case !ok:
			errs = append(errs, fmt.Sprintf("%q: only leads hold custom fields", entry))
		case !customName.MatchString(name):
			errs = append(errs, fmt.Sprintf("%q: a field name is a letter, then up to 79 letters, digits or _", entry))
		case !slices.Contains(CustomTypes, typ):
			errs = append(errs, fmt.Sprintf("%q: the type is one of %s", entry, strings.Join(CustomTypes, ", ")))
		case obj.standard(name):
			errs = append(errs, fmt.Sprintf("%q: %s is a standard %s field", entry, name, obj.Name))
		case seen[objName+":"+name]:
			errs = append(errs, fmt.Sprintf("%q: declared twice", entry))
		default:
			seen[objName+":"+name] = true
			out[obj] = append(out[obj], CustomField{Name: name, Type: typ})
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("MSISYNC_CUSTOM_FIELDS: %s", strings.Join(errs, "; "))
	}
	return out, nil
}

// DeclareCustomFields makes the given custom fields the ones each object has (replacing
// earlier declarations of that object); objects not named keep theirs. The orchestrator
// calls it once at start with MSISYNC_CUSTOM_FIELDS.
func DeclareCustomFields(fields map[*Object][]CustomField) {
	for obj, fs := range fields {
		m := make(map[string]string, len(fs))
		for _, f := range fs {
			m[f.Name] = f.Type
		}
		obj.declared.Store(&m)
	}
}

// CustomFields lists the object's declared custom fields, sorted by name.
func (o *Object) CustomFields() []CustomField {
	m := o.declared.Load()
	if m == nil {
		return nil
	}
	out := make([]CustomField, 0, len(*m))
	for n, t := range *m {
		out = append(out, CustomField{Name: n, Type: t})
	}
	slices.SortFunc(out, func(a, b CustomField) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// customType returns a declared custom field's type.
func (o *Object) customType(name string) (string, bool) {
	m := o.declared.Load()
	if m == nil {
		return "", false
	}
	t, ok := (*m)[name]
	return t, ok
}

// standard reports whether name is one of the object's own fields (record, input or MSI).
func (o *Object) standard(name string) bool {
	if _, ok := o.ReadOnly[name]; ok {
		return true
	}
	if _, ok := o.recordField(name); ok {
		return true
	}
	fd := o.fieldByMarketoName(o.Input.ProtoReflect().Descriptor(), name)
	return fd != nil && !fd.IsMap()
}

// notFound is Marketo's answer to a field the object does not have.
func notFound(name string) *commonv1.Reason {
	return records.Reason(marketo.CodeFieldNotFound, "Field '%s' not found", name)
}

// checkCustom checks a custom field's value against its declared type; null clears it.
func checkCustom(name, typ string, v *structpb.Value) *commonv1.Reason {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		return nil
	case *structpb.Value_StringValue:
		if typ == "string" {
			return nil
		}
	case *structpb.Value_NumberValue:
		switch typ {
		case "float":
			return nil
		case "integer":
			if k.NumberValue == math.Trunc(k.NumberValue) && math.Abs(k.NumberValue) < 1<<53 {
				return nil
			}
		}
	case *structpb.Value_BoolValue:
		if typ == "boolean" {
			return nil
		}
	}
	return records.Reason(marketo.CodeInvalidValue, "Invalid value for '%s'. Required of type '%s'", name, typ)
}
