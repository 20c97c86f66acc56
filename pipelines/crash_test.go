package pipelines_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
)

// TestCrashAndResume runs driftwatch in a child process, kills it with
// SIGKILL while a step or the deploy command runs, and starts a new Runner
// on the same store: the run completes, the interrupted attempt runs again
// under its own number, no step completes twice, and the Source hears of
// the end once.
func TestCrashAndResume(t *testing.T) {
	t.Parallel()
	tests := []struct {
		step        string
		wantDeploys []string
	}{
		{step: pipelines.StepTrain, wantDeploys: []string{"deploy crash-1"}},
		{step: pipelines.StepEvaluate, wantDeploys: []string{"deploy crash-1"}},
		{step: pipelines.StepDeploy, wantDeploys: []string{"deploy crash-1"}},
	}
	for _, tc := range tests {
		t.Run("kill during "+tc.step, func(t *testing.T) {
			t.Parallel()
			dir, state := t.TempDir(), t.TempDir()
			touch(t, state, "block-"+tc.step)
			exe, err := os.Executable()
			require.NoError(t, err)

			child := exec.Command(exe, roleRunner, filepath.Join(dir, "driftwatch.db"), dir, state)
			var stderr bytes.Buffer
			child.Stdout, child.Stderr = &stderr, &stderr
			require.NoError(t, child.Start())
			blocked := fmt.Sprintf("run=crash-1 step=%s attempt=1 event=blocked", tc.step)
			require.Eventually(t, func() bool { return contains(t, state, "events", blocked) }, time.Minute, 5*time.Millisecond, "child output:\n%s", &stderr)
			stepPID := readPID(t, state, "pid-"+tc.step)

			require.NoError(t, child.Process.Signal(syscall.SIGKILL))
			require.Error(t, child.Wait())
			if runtime.GOOS == "linux" {
				// The step dies with driftwatch, so it cannot race the
				// attempt that the restart runs again.
				require.Eventually(t, func() bool { return gone(stepPID) }, time.Minute, 5*time.Millisecond, "step %d outlived driftwatch", stepPID)
			}
			touch(t, state, "release-"+tc.step)

			h := newHarness(t, dir, state, nil).start()
			run := h.waitEnd("crash-1")
			require.Equal(t, pipelines.StateSucceeded, run.State, run.Error)

			var got []string
			for _, s := range run.Steps {
				for _, a := range s.Attempts {
					got = append(got, fmt.Sprintf("%s-%d %s interrupted=%d", s.Name, a.Number, a.Status, a.Interrupted))
				}
			}
			want := []string{"train-1 succeeded interrupted=0", "evaluate-1 succeeded interrupted=0", "deploy-1 succeeded interrupted=0"}
			for i := range want {
				if strings.HasPrefix(want[i], tc.step+"-") {
					want[i] = strings.Replace(want[i], "interrupted=0", "interrupted=1", 1)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("attempts (-want +got):\n%s", diff)
			}
			// The interrupted step started twice and completed once.
			require.Equal(t, []string{"run=crash-1 step=train attempt=1", "run=crash-1 step=evaluate attempt=1", "run=crash-1 step=deploy attempt=1"}, h.events("done"))
			require.Len(t, h.events("start"), 4)
			require.Equal(t, tc.wantDeploys, h.lines("deploys"))
			require.Equal(t, []finishCall{{ID: "crash-1", Outcome: pipelines.OutcomeSucceeded, Message: run.Message}}, h.src.calls())
			require.Empty(t, h.lines("finish-child"))
			champion, _, err := h.runner.Registry().Champion("churn")
			require.NoError(t, err)
			require.Equal(t, "crash-1", champion.Version)
		})
	}
}

func touch(t *testing.T, dir, name string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
}

func contains(t *testing.T, dir, name, line string) bool {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return false
	}
	return strings.Contains(string(data), line+"\n")
}

func readPID(t *testing.T, dir, name string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(data))
	require.NoError(t, err)
	return pid
}

// gone reports whether a process has exited: it no longer exists, or is
// a zombie that nobody reaped (a container's init may not reap).
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}
