package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemoRunsToItsSummary runs `make demo`'s program on a small org and checks that every
// step reports what it did.
func TestDemoRunsToItsSummary(t *testing.T) {
	demo := filepath.Join(t.TempDir(), "msisync-demo")
	if out, err := exec.Command("go", "build", "-o", demo, "github.com/msisync/msisync/suite/cmd/msisync-demo").CombinedOutput(); err != nil {
		t.Fatalf("building the demo: %v\n%s", err, out)
	}
	cmd := exec.Command(demo, "-exit", "-suite", binary, "-data", t.TempDir(), "-http", freePort(t), "-sim", freePort(t),
		"-users", "8", "-accounts", "60", "-contacts", "400", "-leads", "100", "-opportunities", "60", "-active", "100")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the demo failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"1. Full sync", "sales person", "opportunity role",
		"changed mapping: contacts read again in full", "records re-sent",
		"2. Activity", "interesting moments",
		"3. Writeback", "rows written",
		"4. Summary", "diagnostics findings", "TEAM_OWNER", "MSI fields written back", "mkt_priority=",
		"contacts.new_favouritecolour → favouriteColour (value), a custom field", "sync scope: accounts where statecode eq 0",
		"Explore:", "/identity/oauth/token", "Console", "/console/msi/persons/",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
}
