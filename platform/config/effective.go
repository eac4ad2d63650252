package config

import (
	"encoding"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strings"
)

// Section is one part of a process's configuration for LogEffective: a loaded config
// struct (or a pointer to one) and the name its log line carries.
type Section struct {
	// Name names the section in the log line, e.g. the service's name.
	Name string
	// Config is the struct Load filled.
	Config any
}

// Setting is one MSISYNC_* variable and its effective value, as logged.
type Setting struct {
	// Variable is the full variable name, e.g. MSISYNC_DATA_DIR.
	Variable string
	// Value is the effective value (the variable's, or its default), redacted when secret.
	Value string
}

// redacted replaces a secret's value (and a database URL's password).
const redacted = "[redacted]"

// LogEffective logs the effective configuration once, at info level: one line per section,
// "effective configuration", with each MSISYNC_* variable the section's struct reads as an
// attribute holding its value, set or default ("" when unset). Secrets print as
// "[redacted]"; a database URL keeps its host and database but not its password. A variable
// an earlier section already named is not repeated (the all-in-one's shared settings appear
// once, in the first section that reads them).
func LogEffective(log *slog.Logger, sections ...Section) {
	seen := map[string]bool{}
	for _, s := range sections {
		var attrs []any
		for _, st := range Settings(s.Config) {
			if seen[st.Variable] {
				continue
			}
			seen[st.Variable] = true
			attrs = append(attrs, slog.String(st.Variable, st.Value))
		}
		if len(attrs) == 0 {
			continue
		}
		log.Info("effective configuration", append([]any{slog.String("section", s.Name)}, attrs...)...)
	}
}

// Settings lists the variables cfg (a struct Load filled, or a pointer to one) reads, in
// field order, with their effective values redacted as LogEffective logs them.
func Settings(cfg any) []Setting {
	v := reflect.ValueOf(cfg)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var out []Setting
	eachVariable(v.Type(), Prefix, nil, func(_ reflect.StructField, index []int, variable string) {
		// A field under a nil pointer to a struct holds nothing to show.
		if fv, err := v.FieldByIndexErr(index); err == nil {
			out = append(out, Setting{Variable: variable, Value: render(fv)})
		}
	})
	return out
}

// eachVariable calls fn, in field order, for every field of struct type t that a variable
// sets, with the field's index path from t and the variable's name (prefix, the envPrefix of
// the structs on the way, and its env tag). Like the env library, it descends into untagged
// structs and pointers to structs, and skips fields tagged env:"-".
func eachVariable(t reflect.Type, prefix string, index []int, fn func(f reflect.StructField, index []int, variable string)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		path := append(slices.Clone(index), i)
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		switch name {
		case "-":
		case "":
			eachVariable(f.Type, prefix+f.Tag.Get("envPrefix"), path, fn)
		default:
			fn(f, path, prefix+name)
		}
	}
}

var (
	secretType        = reflect.TypeFor[Secret]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	stringerType      = reflect.TypeFor[fmt.Stringer]()
)

// render formats one setting's value as the variable would spell it.
func render(v reflect.Value) string {
	if v.Type() == secretType {
		return redact(Secret(v.String()))
	}
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		return render(v.Elem())
	}
	if v.Type().Implements(stringerType) {
		return v.Interface().(fmt.Stringer).String()
	}
	if v.Type().Implements(textMarshalerType) {
		if b, err := v.Interface().(encoding.TextMarshaler).MarshalText(); err == nil {
			return string(b)
		}
	}
	switch v.Kind() {
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		byKey := map[string]string{}
		for it := v.MapRange(); it.Next(); {
			k := render(it.Key())
			keys = append(keys, k)
			byKey[k] = render(it.Value())
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ":" + byKey[k]
		}
		return strings.Join(parts, ",")
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = render(v.Index(i))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v.Interface())
}

// redact hides a secret: all of it, except that a PostgreSQL URL keeps its user, host,
// database and options, with the password (in the URL or an option) replaced.
func redact(s Secret) string {
	raw := s.Value()
	if raw == "" {
		return ""
	}
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		return redacted
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), redacted)
	}
	q := u.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if lk := strings.ToLower(k); strings.Contains(lk, "password") || strings.Contains(lk, "secret") {
			q.Set(k, redacted)
		}
	}
	u.RawQuery = q.Encode()
	return strings.NewReplacer(url.QueryEscape(redacted), redacted, url.PathEscape(redacted), redacted).Replace(u.String())
}
