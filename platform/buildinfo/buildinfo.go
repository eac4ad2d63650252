// Package buildinfo says which build of msisync is running, from what the Go toolchain
// stamps into every binary (module version, VCS revision and time), and answers the
// --version and --help arguments that every msisync binary takes without side effects.
package buildinfo

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
)

// revision is the commit the binary was built from, set by the Makefile's
// -ldflags "-X …/buildinfo.revision=…" (`git describe --always --dirty`), because the Go
// toolchain stamps no VCS information in workspace mode.
var revision string

// Version describes the running build, for example
// "v0.0.0-20261207013103-85ce8df1a2b3+dirty (commit 85ce8df1a2b3, 2026-12-07T01:31:03Z, go1.26.8)".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (built without module information, " + runtime.Version() + ")"
	}
	version := bi.Main.Version
	if version == "" || version == "(devel)" {
		version = "development build"
	}
	var details []string
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if settings["vcs.modified"] == "true" {
			rev += " with uncommitted changes"
		}
		details = append(details, "commit "+rev)
	}
	if len(details) == 0 && revision != "" {
		details = append(details, "commit "+revision)
	}
	if t := settings["vcs.time"]; t != "" {
		details = append(details, t)
	}
	details = append(details, bi.GoVersion)
	return version + " (" + strings.Join(details, ", ") + ")"
}

// Args answers a service binary's command line, which takes no arguments but -h/--help and
// --version: it prints the usage or the version to out and returns done with exit code 0,
// or, for anything else, prints an error and returns done with exit code 2. It returns
// done false when there are no arguments, and the binary should start.
func Args(name, usage string, args []string, out, errOut io.Writer) (done bool, code int) {
	if len(args) == 0 {
		return false, 0
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(out, usage)
		return true, 0
	case "-version", "--version", "version":
		fmt.Fprintln(out, name, Version())
		return true, 0
	}
	fmt.Fprintf(errOut, "%s: unknown argument %q: it takes no arguments (its settings are MSISYNC_* environment variables); see %s --help\n", name, args[0], name)
	return true, 2
}

// Flag adds -version (also --version) to a flag set; after Parse, PrintIfSet prints the
// version and reports whether it did, so that the caller exits instead of running.
func Flag(fs *flag.FlagSet) *bool {
	return fs.Bool("version", false, "print the build's version and exit")
}

// PrintIfSet prints name's version to out when *set is true and reports whether it did.
func PrintIfSet(set *bool, name string, out io.Writer) bool {
	if set == nil || !*set {
		return false
	}
	fmt.Fprintln(out, name, Version())
	return true
}

// ExitIfVersion prints name's version and exits the process with 0 when *set is true: for a
// binary's flag parsing, right after Parse.
func ExitIfVersion(set *bool, name string) {
	if PrintIfSet(set, name, os.Stdout) {
		os.Exit(0)
	}
}
