package upstream

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

func TestGoneOwners(t *testing.T) {
	host, _ := os.Hostname()
	// A process that ran and exited: its pid is free (unless reused within the test).
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run a child process:", err)
	}
	dead := fmt.Sprintf("%s/%d/1", host, cmd.Process.Pid)
	for _, tt := range []struct {
		owner string
		want  bool
	}{
		{NewOwner(), false}, // this very process
		{fmt.Sprintf("%s/%d/1", host, os.Getpid()), true},   // a predecessor with this pid
		{fmt.Sprintf("%s/%d/1", host, os.Getppid()), false}, // a live process
		{dead, true},
		{fmt.Sprintf("other-host/%d/1", cmd.Process.Pid), false}, // cannot be checked
		{"not an owner", false},
	} {
		if got := gone(tt.owner); got != tt.want {
			t.Errorf("gone(%q) = %v, want %v", tt.owner, got, tt.want)
		}
	}
}
