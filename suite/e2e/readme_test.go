package e2e

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msisync/msisync/platform/sqldb/pgtest"
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
	blocks := readmeBlocks(t, root, "## Quickstart")
	if len(blocks) < 2 {
		t.Fatalf("the Quickstart has %d sh blocks, want the curl and the grpcurl ones", len(blocks))
	}
	// The change set runs in the same shell, after the Quickstart, with its $TOKEN.
	blocks = append(blocks, readmeBlocks(t, root, "### A whole CRM change set in one call")...)

	// The quickstart relies on generated credentials in ./data, as after a first `make run`.
	work := t.TempDir()
	s := startSuiteWithGeneratedClient(t, filepath.Join(work, "data"))
	text := "set -euo pipefail\n" + strings.Join(blocks, "")
	// grpcurl runs in the repository root (go -C), so the certificates' paths are made
	// absolute.
	text = regexp.MustCompile(`(\./)?data/tls/`).ReplaceAllLiteralString(text, filepath.Join(work, "data", "tls")+"/")
	text = strings.ReplaceAll(text, "http://127.0.0.1:8080", s.base)
	for _, svc := range services {
		text = strings.ReplaceAll(text, "127.0.0.1:"+defaultPorts[svc.name], s.grpc[svc.name])
	}
	text = strings.ReplaceAll(text, "go tool grpcurl", "go -C "+root+" tool grpcurl")

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
		`"externalSalesPersonId":"8b5a7c2e-1f3d-4e6a-9b0c-2d4e6f8a0b1c"`,
		`"state":"SYNC_RUN_STATE_QUEUED"`,
		`"syncRuns":[`,
		`"pendingRecords"`,
	} {
		if !strings.Contains(compact, want) {
			t.Errorf("quickstart output lacks %s:\n%s", want, out)
		}
	}
}

// readmeBlocks returns the ```sh blocks of the README section under heading (up to the
// next heading of the same or a higher level).
func readmeBlocks(t *testing.T, root, heading string) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "\n"+heading+"\n")
	if start < 0 {
		t.Fatalf("README.md has no section %q", heading)
	}
	// The section ends at the next heading of the same or a higher level outside a fence
	// (shell comments inside a block start with # too).
	lines := strings.Split(section[start+1:], "\n")
	level := strings.Index(heading, " ")
	fenced := false
	end := len(lines)
	for i, l := range lines[1:] {
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
		}
		if n := len(l) - len(strings.TrimLeft(l, "#")); !fenced && n > 0 && n <= level && strings.HasPrefix(l[n:], " ") {
			end = i + 1
			break
		}
	}
	section = strings.Join(lines[:end], "\n")
	var out []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1) {
		out = append(out, m[1])
	}
	if len(out) == 0 {
		t.Fatalf("the README section %q has no sh block", heading)
	}
	return out
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

// TestReadmeTokenLineFailsLoudly runs the Quickstart's credentials block with a wrong
// secret: it must stop with a sentence, not carry the error JSON on as the token.
func TestReadmeTokenLineFailsLoudly(t *testing.T) {
	t.Parallel()
	root := workspaceRoot(t)
	block := readmeBlocks(t, root, "## Quickstart")[0]
	end := strings.Index(block, "\n# Step 1")
	if end < 0 {
		t.Fatal("the Quickstart's first block no longer starts with the credentials and the token")
	}
	work := t.TempDir()
	s := startSuiteWithGeneratedClient(t, filepath.Join(work, "data"))
	script := strings.ReplaceAll(block[:end], "http://127.0.0.1:8080", s.base) + "\necho \"still going with token '$TOKEN'\"\n"
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = work
	// The credentials file is sourced by the block; a wrong secret is written into it.
	creds := filepath.Join(work, "data", "credentials.env")
	raw, err := os.ReadFile(creds)
	if err != nil {
		t.Fatal(err)
	}
	wrong := regexp.MustCompile(`(?m)^MSISYNC_CLIENT_SECRET=.*$`).ReplaceAllString(string(raw), "MSISYNC_CLIENT_SECRET=not-the-secret-0123456789")
	if err := os.WriteFile(creds, []byte(wrong), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.CombinedOutput()
	if err == nil || strings.Contains(string(out), "still going") || !strings.Contains(string(out), "no access token") {
		t.Errorf("with a wrong secret the token line gave err %v and:\n%s", err, out)
	}
}

// TestReadmePostgresRecipeWorksAsWritten runs the README's "plain processes against a local
// PostgreSQL" block as pasted — build, five services in the background, the orchestrator in
// the foreground — checks the suite is healthy, then presses Ctrl-C (SIGINT to the
// foreground process group) and checks that no process is left holding a port.
func TestReadmePostgresRecipeWorksAsWritten(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("createdb"); err != nil {
		t.Fatalf("the README's PostgreSQL recipe needs createdb (Debian package postgresql-client): %v", err)
	}
	root := workspaceRoot(t)
	var block string
	for _, b := range readmeBlocks(t, root, "## Running the services separately, or on PostgreSQL") {
		if strings.Contains(b, "createdb") {
			block = b
		}
	}
	if block == "" {
		t.Fatal("the README has no PostgreSQL recipe with createdb")
	}
	dbURL := pgtest.NewDatabase(t)
	name := strings.TrimPrefix(regexp.MustCompile(`/[a-z0-9_]+\?`).FindString(dbURL+"?"), "/")
	name = strings.TrimSuffix(name, "?")
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	script := block
	for old, repl := range map[string]string{
		"-U postgres msisync ": "-U postgres " + name + " ",
		"5432/msisync?":        "5432/" + name + "?",
		"make build":           "make -C " + root + " build BIN=" + bin,
		"bin/":                 bin + "/",
	} {
		if !strings.Contains(script, old) {
			t.Fatalf("the recipe no longer contains %q:\n%s", old, script)
		}
		script = strings.ReplaceAll(script, old, repl)
	}
	addrs := map[string]string{}
	env := append(os.Environ(), "MSISYNC_DATA_DIR="+filepath.Join(work, "data"))
	for _, svc := range append(services, struct{ name, env string }{"gateway", "MSISYNC_HTTP_ADDR"}) {
		addrs[svc.name] = freePort(t)
		env = append(env, svc.env+"="+addrs[svc.name])
	}
	cmd := exec.Command("bash", "-c", "set -euo pipefail\n"+script)
	cmd.Dir = root
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	healthy := false
	for deadline := time.Now().Add(4 * time.Minute); time.Now().Before(deadline) && !healthy; {
		select {
		case err := <-done:
			t.Fatalf("the recipe ended before the suite was healthy: %v\n%s", err, logs.String())
		case <-time.After(300 * time.Millisecond):
		}
		resp, err := http.Get("http://" + addrs["gateway"] + "/healthz")
		if err == nil {
			healthy = resp.StatusCode == http.StatusOK
			resp.Body.Close()
		}
	}
	if !healthy {
		t.Fatalf("the suite started by the recipe never answered /healthz with 200:\n%s", logs.String())
	}

	// Ctrl-C: the terminal sends SIGINT to the foreground process group.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the recipe did not end 60 s after Ctrl-C:\n%s", logs.String())
	}
	for name, addr := range addrs {
		var free bool
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if l, err := net.Listen("tcp", addr); err == nil {
				l.Close()
				free = true
				break
			}
		}
		if !free {
			t.Errorf("after Ctrl-C something still holds %s's port %s", name, addr)
		}
	}
}
