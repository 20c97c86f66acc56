package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/pipelines/local"
)

func spec(t *testing.T, script string) pipelines.StepSpec {
	t.Helper()
	dir := t.TempDir()
	return pipelines.StepSpec{
		Name: "r1-train-1", Step: "train", Attempt: 1, Command: []string{"/bin/sh", "-c", script}, Args: []string{"sh", "arg1"},
		Env: map[string]string{"DRIFTWATCH_RUN_ID": "r1"}, SecretEnv: map[string]string{"TOKEN": "s3cret"}, WorkDir: dir,
		LogPath: filepath.Join(dir, "runs", "r1", "train-1.log"), ResultPath: filepath.Join(dir, "runs", "r1", "train-1.result.json"),
	}
}

func TestExecuteSuccess(t *testing.T) {
	t.Setenv("DW_CONTROLLER_SECRET", "must-not-leak")
	s := spec(t, `echo "out $1 $DRIFTWATCH_RUN_ID $TOKEN ${DW_CONTROLLER_SECRET:-unset} $(pwd)"; echo err >&2; printf '{"ok":1}' > "$DRIFTWATCH_RESULT"`)
	out, err := local.New(local.Options{}).Execute(context.Background(), s)
	require.NoError(t, err)
	require.Equal(t, 0, out.ExitCode)
	require.Equal(t, `{"ok":1}`, string(out.Result))
	require.Equal(t, s.LogPath, out.Log)
	log, err := os.ReadFile(s.LogPath)
	require.NoError(t, err)
	require.Contains(t, string(log), "=== driftwatch: r1-train-1: /bin/sh -c")
	require.Contains(t, string(log), "out arg1 r1 s3cret unset "+s.WorkDir+"\nerr\n")
	require.Contains(t, string(log), "=== driftwatch: r1-train-1 ended: exit status 0\n")
}

func TestExecuteExitCodeAndMissingResult(t *testing.T) {
	s := spec(t, `exit 3`)
	require.NoError(t, os.MkdirAll(filepath.Dir(s.ResultPath), 0o755))
	require.NoError(t, os.WriteFile(s.ResultPath, []byte("stale"), 0o644))
	e := local.New(local.Options{})
	out, err := e.Execute(context.Background(), s)
	require.NoError(t, err)
	require.Equal(t, 3, out.ExitCode)
	require.Nil(t, out.Result, "a result left by an earlier run of the attempt is removed")

	// Running the attempt again appends to its log.
	_, err = e.Execute(context.Background(), s)
	require.NoError(t, err)
	log, err := os.ReadFile(s.LogPath)
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(string(log), "ended: exit status 3"))
}

func TestExecuteOversizedResult(t *testing.T) {
	s := spec(t, `head -c 10000 /dev/zero | tr '\0' x > "$DRIFTWATCH_RESULT"`)
	out, err := local.New(local.Options{}).Execute(context.Background(), s)
	require.NoError(t, err)
	require.Len(t, out.Result, pipelines.MaxResultBytes+1)
}

func TestExecuteMissingCommand(t *testing.T) {
	s := spec(t, "")
	s.Command = []string{"/no/such/step"}
	_, err := local.New(local.Options{}).Execute(context.Background(), s)
	require.ErrorIs(t, err, pipelines.ErrPermanent)
}

// TestCancelKillsTheGroup cancels a step that ignores SIGTERM and has a
// child of its own: both are gone when Execute returns.
func TestCancelKillsTheGroup(t *testing.T) {
	s := spec(t, `trap '' TERM; sleep 1000 & echo $! > "$0.child"; echo $$ > "$0.pid"; wait`)
	s.Args = []string{filepath.Join(t.TempDir(), "step")}
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		out pipelines.StepOutcome
		err error
	}
	done := make(chan result)
	go func() {
		out, err := local.New(local.Options{KillGrace: 100 * time.Millisecond}).Execute(ctx, s)
		done <- result{out, err}
	}()
	var pids []int
	require.Eventually(t, func() bool {
		pids = pids[:0]
		for _, f := range []string{".pid", ".child"} {
			data, err := os.ReadFile(s.Args[0] + f)
			n, perr := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil || perr != nil {
				return false
			}
			pids = append(pids, n)
		}
		return true
	}, time.Minute, 5*time.Millisecond)
	cancel()
	res := <-done
	require.NoError(t, res.err)
	require.Equal(t, -1, res.out.ExitCode)
	for _, pid := range pids {
		require.Eventually(t, func() bool { return gone(pid) }, time.Minute, 5*time.Millisecond, "process %d survived", pid)
	}
}

// gone reports whether a process has exited: it no longer exists, or is
// a zombie that nobody reaped.
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}
