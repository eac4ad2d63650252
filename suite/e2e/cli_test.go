package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpAndVersionHaveNoSideEffects runs the suite binary as a newcomer would first run
// it: --help and --version answer and exit 0 without starting anything or writing the data
// directory (no credentials file); an unknown argument is refused with exit code 2.
func TestHelpAndVersionHaveNoSideEffects(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--help"}, 0, "usage: msisync"},
		{[]string{"-h"}, 0, "usage: msisync"},
		{[]string{"--version"}, 0, "msisync "},
		{[]string{"dynamics", "--help"}, 0, "sync --once"},
		{[]string{"dynamics", "--version"}, 0, "msisync dynamics "},
		{[]string{"--port", "1"}, 2, `unknown argument "--port"`},
	} {
		data := filepath.Join(t.TempDir(), "data")
		cmd := exec.Command(binary, c.args...)
		cmd.Dir = t.TempDir()
		cmd.Env = append(os.Environ(), "MSISYNC_DATA_DIR="+data)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != c.code || !strings.Contains(string(out), c.want) {
			t.Errorf("msisync %s: exit %d, output %q; want exit %d and %q", strings.Join(c.args, " "), code, out, c.code, c.want)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Errorf("msisync %s created its data directory %s", strings.Join(c.args, " "), data)
		}
		if entries, _ := os.ReadDir(cmd.Dir); len(entries) != 0 {
			t.Errorf("msisync %s wrote %d files in its working directory", strings.Join(c.args, " "), len(entries))
		}
	}
}
