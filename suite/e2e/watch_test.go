package e2e

import (
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
