package e2e

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// startWatch starts cmd (a `msisync dynamics sync --watch` command, say) with its output in
// the returned buffer, and stops it with SIGTERM when the test ends, showing its log when
// the test failed. done receives the command's exit.
func startWatch(t *testing.T, cmd *exec.Cmd) (logs *syncBuffer, done chan error) {
	t.Helper()
	logs = &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done = make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the connector's log:\n%s", logs.String())
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("the connector did not stop within 30 s of SIGTERM\n%s", logs.String())
		}
	})
	return logs, done
}

// watchCommand is `msisync dynamics sync --watch` against the Dataverse at dataverseURL
// (the simulator's client credentials) and the orchestrator at orchAddr (the test API
// client), with a data directory of its own; env adds the settings the test is about.
func watchCommand(t *testing.T, dataverseURL, orchAddr string, env ...string) *exec.Cmd {
	cmd := exec.Command(binary, "dynamics", "sync", "--watch")
	cmd.Env = append(os.Environ(),
		"MSISYNC_DATA_DIR="+t.TempDir(),
		"MSISYNC_DYNAMICS_URL="+dataverseURL,
		"MSISYNC_DYNAMICS_TOKEN_URL="+dataverseURL+"/common/oauth2/v2.0/token",
		"MSISYNC_DYNAMICS_CLIENT_ID=msisync-sim",
		"MSISYNC_DYNAMICS_CLIENT_SECRET=sim-secret",
		"MSISYNC_ORCHESTRATOR_ADDR="+orchAddr,
		"MSISYNC_CLIENT_ID="+testClientID,
		"MSISYNC_CLIENT_SECRET="+testClientSecret,
	)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// waitWatching polls ok until it holds, failing the test when the connector startWatch
// started exits first (done) or timeout passes (its log is shown then).
func waitWatching(t *testing.T, done chan error, timeout time.Duration, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(timeout); !ok(); time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("the connector exited before %s: %v", what, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened within %s", what, timeout)
		}
	}
}
