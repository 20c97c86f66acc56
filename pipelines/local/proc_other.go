//go:build unix && !linux

package local

import (
	"os/exec"
	"syscall"
)

// sysProcAttr puts the step in its own process group. Outside Linux a
// step outlives a crashed driftwatch; steps being idempotent, the attempt
// run again after the restart is still correct.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// startLocked starts cmd.
func startLocked(cmd *exec.Cmd) (release func(), err error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return func() {}, nil
}
