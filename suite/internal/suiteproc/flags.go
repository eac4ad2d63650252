package suiteproc

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// EnvFlags defines flags on a flag.FlagSet whose defaults come from environment variables
// named Prefix + the flag's name in upper case with - as _ (MSISYNC_BENCH_LEADS for -leads).
// A variable that does not parse is remembered and returned by Err.
type EnvFlags struct {
	FS       *flag.FlagSet
	Prefix   string
	err      error
	positive []positiveFlag
	optional []positiveFlag
}

// EnvName is the variable that gives flag name its default.
func (e *EnvFlags) EnvName(name string) string {
	return e.Prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// lookup returns the non-empty value of flag name's variable.
func (e *EnvFlags) lookup(name string) (string, bool) {
	v := os.Getenv(e.EnvName(name))
	return v, v != ""
}

// String defines a string flag.
func (e *EnvFlags) String(p *string, name, def, usage string) {
	if v, ok := e.lookup(name); ok {
		def = v
	}
	e.FS.StringVar(p, name, def, usage)
}

// Int defines an integer flag.
func (e *EnvFlags) Int(p *int, name string, def int, usage string) {
	if v, ok := e.lookup(name); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			e.err = fmt.Errorf("%s=%q is not an integer", e.EnvName(name), v)
		}
		def = n
	}
	e.FS.IntVar(p, name, def, usage)
}

// Bool defines a boolean flag that defaults to false.
func (e *EnvFlags) Bool(p *bool, name string, usage string) {
	def := false
	if v, ok := e.lookup(name); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			e.err = fmt.Errorf("%s=%q is not a boolean", e.EnvName(name), v)
		}
		def = b
	}
	e.FS.BoolVar(p, name, def, usage)
}

// Duration defines a duration flag that must be positive; a value that is not is reported
// by Err (for the variable) or by Check (for the flag).
func (e *EnvFlags) Duration(p *time.Duration, name string, def time.Duration, usage string) {
	if v, ok := e.lookup(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			e.err = fmt.Errorf("%s=%q is not a positive duration", e.EnvName(name), v)
		}
		def = d
	}
	e.FS.DurationVar(p, name, def, usage)
	e.positive = append(e.positive, positiveFlag{name, p})
}

// OptionalDuration defines a duration flag that may be zero but not negative.
func (e *EnvFlags) OptionalDuration(p *time.Duration, name string, def time.Duration, usage string) {
	if v, ok := e.lookup(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			e.err = fmt.Errorf("%s=%q is not a duration of zero or more", e.EnvName(name), v)
		}
		def = d
	}
	e.FS.DurationVar(p, name, def, usage)
	e.optional = append(e.optional, positiveFlag{name, p})
}

// positiveFlag is a duration flag that must be positive (or, in optional, not negative).
type positiveFlag struct {
	name string
	p    *time.Duration
}

// Check reports a duration flag given a value that is not positive; call it after Parse.
func (e *EnvFlags) Check() error {
	if e.err != nil {
		return e.err
	}
	for _, f := range e.positive {
		if *f.p <= 0 {
			return fmt.Errorf("-%s %s is not a positive duration", f.name, *f.p)
		}
	}
	for _, f := range e.optional {
		if *f.p < 0 {
			return fmt.Errorf("-%s %s is negative", f.name, *f.p)
		}
	}
	return nil
}

// Err is the last variable that did not parse.
func (e *EnvFlags) Err() error { return e.err }
