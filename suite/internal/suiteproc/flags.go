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
	FS        *flag.FlagSet
	Prefix    string
	err       error
	durations []durationFlag
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
	e.duration(p, name, def, usage, time.Nanosecond, "a positive duration")
}

// OptionalDuration defines a duration flag that may be zero but not negative.
func (e *EnvFlags) OptionalDuration(p *time.Duration, name string, def time.Duration, usage string) {
	e.duration(p, name, def, usage, 0, "a duration of zero or more")
}

// duration defines a duration flag whose value must be at least least, described by want.
func (e *EnvFlags) duration(p *time.Duration, name string, def time.Duration, usage string, least time.Duration, want string) {
	if v, ok := e.lookup(name); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < least {
			e.err = fmt.Errorf("%s=%q is not %s", e.EnvName(name), v, want)
		}
		def = d
	}
	e.FS.DurationVar(p, name, def, usage)
	e.durations = append(e.durations, durationFlag{name: name, p: p, least: least, want: want})
}

// durationFlag is a duration flag and the least value it takes.
type durationFlag struct {
	name  string
	p     *time.Duration
	least time.Duration
	want  string
}

// Check reports a variable that did not parse, or a duration flag given a value below its
// least; call it after Parse.
func (e *EnvFlags) Check() error {
	if e.err != nil {
		return e.err
	}
	for _, f := range e.durations {
		if *f.p < f.least {
			return fmt.Errorf("-%s %s is not %s", f.name, *f.p, f.want)
		}
	}
	return nil
}

// Err is the last variable that did not parse.
func (e *EnvFlags) Err() error { return e.err }
