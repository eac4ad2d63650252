//go:build !linux

package suiteproc

import "syscall"

// childAttr returns no special attributes: only Linux can tie the child's life to ours.
func childAttr() *syscall.SysProcAttr { return nil }
