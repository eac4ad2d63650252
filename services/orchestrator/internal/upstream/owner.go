package upstream

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// NewOwner names this process in the forwarder lease and in write fences: host, process id
// and start time, so that a restarted process can tell that the lease it finds is its dead
// predecessor's (see gone) instead of waiting for the lease to expire.
func NewOwner() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%d", host, os.Getpid(), started)
}

// started is when this process started, as Unix nanoseconds.
var started = time.Now().UnixNano()

// gone reports whether owner names a process on this host that no longer runs: its process
// id is not in use, or it is this process's id with another start time (a container that
// restarted keeps its host name and pid 1). Owners on other hosts are never known gone.
func gone(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	pid, err1 := strconv.Atoi(parts[1])
	start, err2 := strconv.ParseInt(parts[2], 10, 64)
	if parts[0] != host || err1 != nil || err2 != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return start != started
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
