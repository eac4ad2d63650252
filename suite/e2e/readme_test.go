package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQuickstartWorksAsWritten runs the README's quickstart shell blocks against a
// real suite, so that the commands a newcomer copies keep working. Only the addresses and
// the data directory are swapped for the test's own.
func TestReadmeQuickstartWorksAsWritten(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README quickstart needs %s on PATH: %v", tool, err)
		}
	}
	root := workspaceRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "## Quickstart")
	if start < 0 {
		t.Fatal("README.md has no Quickstart section")
	}
	section = section[start:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) < 2 {
		t.Fatalf("the Quickstart has %d sh blocks, want the curl and the grpcurl ones", len(blocks))
	}

	// The quickstart relies on generated credentials in ./data, as after a first `make run`.
	work := t.TempDir()
	s := startSuiteWithGeneratedClient(t, filepath.Join(work, "data"))
	var script strings.Builder
	script.WriteString("set -euo pipefail\n")
	for _, b := range blocks {
		script.WriteString(b[1])
	}
	text := script.String()
	text = strings.ReplaceAll(text, "http://127.0.0.1:8080", s.base)
	for _, svc := range services {
		text = strings.ReplaceAll(text, "127.0.0.1:"+defaultPorts[svc.name], s.grpc[svc.name])
	}
	text = strings.ReplaceAll(text, "go tool grpcurl", "go -C "+root+" tool grpcurl")
	// grpcurl runs in the repository root (go -C), so the certificates' paths are made
	// absolute.
	text = regexp.MustCompile(`(\./)?data/tls/`).ReplaceAllLiteralString(text, filepath.Join(work, "data", "tls")+"/")

	cmd := exec.Command("bash", "-c", text)
	cmd.Dir = work
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the quickstart failed: %v\n%s", err, out)
	}
	compact := strings.ReplaceAll(string(out), " ", "")
	for _, want := range []string{
		`"status":"created"`,
		`"code":"1036"`,
		`"externalSalesPersonId"`,
		`"firstName":"Dana"`,
		`"idField":"id"`,
		`"status":"SERVING"`,
		"msisync.identity.v1.SalesPersonService",
		`"email":"dana@example.com"`,
		`"status":"deleted"`,
	} {
		if !strings.Contains(compact, want) {
			t.Errorf("quickstart output lacks %s:\n%s", want, out)
		}
	}
}

// defaultPorts are the ports the README names.
var defaultPorts = map[string]string{
	"orchestrator": "9100", "identity": "9101", "account": "9102",
	"person": "9103", "opportunity": "9104", "scoring": "9105",
}

// startSuiteWithGeneratedClient starts a suite with no configured API client, so that it
// generates one into dataDir/credentials.env.
func startSuiteWithGeneratedClient(t *testing.T, dataDir string) *suite {
	t.Helper()
	return startSuite(t, dataDir, "MSISYNC_CLIENT_ID=", "MSISYNC_CLIENT_SECRET=")
}

// workspaceRoot is the directory holding go.work.
func workspaceRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test's directory")
		}
		dir = parent
	}
}
