package suiteproc

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// EnvFlags defines flags on a flag.FlagSet whose defaults come from environment variables
// named Prefix + the flag's name in upper case with - as _ (MSISYNC_BENCH_LEADS for -leads).
// A variable that does not parse is remembered and returned by Err.
type EnvFlags struct {
	FS     *flag.FlagSet
	Prefix string
	err    error
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

// Err is the last variable that did not parse.
func (e *EnvFlags) Err() error { return e.err }
