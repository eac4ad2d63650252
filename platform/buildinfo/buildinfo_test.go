package buildinfo

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

func TestArgs(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args        []string
		done        bool
		code        int
		out, errOut string
	}{
		{args: nil},
		{args: []string{"--help"}, done: true, out: "usage of person"},
		{args: []string{"-h"}, done: true, out: "usage of person"},
		{args: []string{"--version"}, done: true, out: "person "},
		{args: []string{"--port=1"}, done: true, code: 2, errOut: `unknown argument "--port=1"`},
	} {
		var out, errOut bytes.Buffer
		done, code := Args("person", "usage of person\n", c.args, &out, &errOut)
		if done != c.done || code != c.code || !strings.Contains(out.String(), c.out) || !strings.Contains(errOut.String(), c.errOut) {
			t.Errorf("Args(%q) = %v, %d, out %q, err %q", c.args, done, code, out.String(), errOut.String())
		}
	}
}

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	v := Flag(fs)
	if err := fs.Parse([]string{"--version"}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if !PrintIfSet(v, "x", &out) || !strings.HasPrefix(out.String(), "x ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("PrintIfSet printed %q", out.String())
	}
}
