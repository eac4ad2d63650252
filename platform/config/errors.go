package config

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// explain rewrites the env library's errors, which name Go struct fields ("parse error on
// field "TokenTTL""), into sentences that name the variable, its value and what it takes.
func explain(cfg any, err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return fmt.Errorf("reading configuration: %w", err)
	}
	vars := variables(reflect.TypeOf(cfg), Prefix)
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if !errors.As(e, &pe) {
			msgs = append(msgs, e.Error())
			continue
		}
		names := vars[pe.Name]
		if len(names) == 0 {
			msgs = append(msgs, e.Error())
			continue
		}
		name := strings.Join(names, " or ")
		value := ""
		for _, n := range names {
			if v, ok := os.LookupEnv(n); ok {
				name, value = n, v
				break
			}
		}
		msgs = append(msgs, fmt.Sprintf("%s=%q is not %s (%v)", name, value, expected(pe.Type), pe.Err))
	}
	return fmt.Errorf("reading configuration: %s", strings.Join(msgs, "; "))
}

// variables maps each struct field name of t (a struct or a pointer to one, nested
// structs included) to the environment variables that set it.
func variables(t reflect.Type, prefix string) map[string][]string {
	out := map[string][]string{}
	eachVariable(t, prefix, nil, func(f reflect.StructField, _ []int, variable string) {
		out[f.Name] = append(out[f.Name], variable)
	})
	return out
}

// expected says in words what a setting of type t takes.
func expected(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[time.Duration]():
		return "a duration such as 90s, 30m or 24h"
	case reflect.TypeFor[slog.Level]():
		return "a log level: debug, info, warn or error"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a valid " + t.String()
}
