package suiteproc

import "syscall"

// childAttr makes the kernel send the suite SIGTERM if the parent dies without stopping it,
// so that no suite is ever left running.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
