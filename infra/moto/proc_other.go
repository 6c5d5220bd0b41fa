//go:build unix && !linux

package moto

import "syscall"

// sysProcAttr puts the emulator in its own process group so Stop can kill
// everything it spawned. Only Linux has a parent-death signal.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
