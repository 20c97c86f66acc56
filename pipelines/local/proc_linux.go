package local

import (
	"os/exec"
	"runtime"
	"syscall"
)

// sysProcAttr puts the step in its own process group, and has the kernel
// kill it when the thread that started it dies, which happens when
// driftwatch dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// startLocked starts cmd from a goroutine locked to its OS thread until
// release is called, after the process is reaped. Linux sends Pdeathsig
// when the starting thread exits, not the process, and the Go runtime
// may retire an unlocked thread at any time.
func startLocked(cmd *exec.Cmd) (release func(), err error) {
	started := make(chan error, 1)
	exited := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		<-exited
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return func() { close(exited) }, nil
}
