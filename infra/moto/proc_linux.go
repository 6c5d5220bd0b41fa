//go:build linux

package moto

import "syscall"

// sysProcAttr puts the emulator in its own process group so Stop can kill
// everything it spawned, and asks the kernel to SIGTERM it when we die so a
// crashed test run does not leave an emulator holding a port. Pdeathsig is
// tied to the OS thread that forked, which the Go runtime keeps alive unless
// a goroutine locked to it exits; that is good enough for a dev tool.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
