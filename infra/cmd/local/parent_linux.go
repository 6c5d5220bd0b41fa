package main

import (
	"os"
	"syscall"
)

// dieWithParent asks the kernel to send SIGTERM when the parent exits.
// `make run` is the parent; if make is killed rather than interrupted from
// the terminal, it does not pass the signal on, and without this the stack
// would outlive it. SIGTERM takes the same clean path as Ctrl-C.
func dieWithParent() {
	ppid := os.Getppid()
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0); errno != 0 {
		return
	}
	// The parent may have died before the call took effect.
	if os.Getppid() != ppid {
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
	}
}
