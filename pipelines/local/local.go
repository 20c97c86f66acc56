// Package local runs pipeline steps as child processes of driftwatch: the
// executor for machines without Kubernetes, and the runner of deploy
// commands everywhere.
//
// Each attempt runs in its own process group with its output appended to
// the attempt's log file; when its context ends the group gets SIGTERM
// and, after a grace period, SIGKILL. On Linux a step also dies with
// driftwatch, so a crashed controller leaves no orphan behind to race the
// attempt that a restart runs again. The result file is read after the
// process exits. Rendering the step, validating its result, timeouts and
// retries are left to package pipelines.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/driftwatch/driftwatch/pipelines"
)

// DefaultKillGrace is how long a step has to exit after SIGTERM.
const DefaultKillGrace = 10 * time.Second

// DefaultInheritEnv are the variables of driftwatch's own environment that
// steps inherit. Everything else, credentials above all, stays out;
// steps get secrets through secret_env.
var DefaultInheritEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR", "SHELL"}

// Options configure New. The zero value is ready to use.
type Options struct {
	Logger *slog.Logger
	// KillGrace overrides DefaultKillGrace when positive.
	KillGrace time.Duration
	// InheritEnv overrides DefaultInheritEnv when not nil.
	InheritEnv []string
}

// Executor runs steps as local processes.
type Executor struct {
	log     *slog.Logger
	grace   time.Duration
	inherit []string
}

var _ pipelines.Executor = (*Executor)(nil)

// New returns a local executor.
func New(opts Options) *Executor {
	e := &Executor{log: opts.Logger, grace: opts.KillGrace, inherit: opts.InheritEnv}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.grace <= 0 {
		e.grace = DefaultKillGrace
	}
	if e.inherit == nil {
		e.inherit = DefaultInheritEnv
	}
	return e
}

// Execute runs the attempt's command line (Command, then Args) in WorkDir
// and waits for it. Its output is appended to LogPath, after a header
// line, so an attempt run again after a restart keeps the first run's
// output. A result left by an earlier run of the same attempt is removed
// first. When ctx ends the process group is terminated and Execute
// returns once the process has exited. An error means the process could
// not start; a missing command wraps pipelines.ErrPermanent.
func (e *Executor) Execute(ctx context.Context, s pipelines.StepSpec) (pipelines.StepOutcome, error) {
	out := pipelines.StepOutcome{ExitCode: -1, Log: s.LogPath}
	if len(s.Command) == 0 {
		return out, fmt.Errorf("%w: no command", pipelines.ErrPermanent)
	}
	if err := os.MkdirAll(filepath.Dir(s.LogPath), 0o755); err != nil {
		return out, err
	}
	logf, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return out, err
	}
	defer logf.Close()
	if err := os.Remove(s.ResultPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return out, err
	}
	fmt.Fprintf(logf, "=== driftwatch: %s: %s at %s\n", s.Name, strings.Join(append(slices.Clone(s.Command), s.Args...), " "), time.Now().UTC().Format(time.RFC3339))

	cmd := exec.Command(s.Command[0], append(slices.Clone(s.Command[1:]), s.Args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = s.WorkDir, logf, logf
	cmd.Env = e.env(s)
	cmd.SysProcAttr = sysProcAttr()
	release, err := startLocked(cmd)
	if err != nil {
		fmt.Fprintf(logf, "=== driftwatch: could not start: %v\n", err)
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			err = fmt.Errorf("%w: %w", pipelines.ErrPermanent, err)
		}
		return out, err
	}
	waitErr := e.wait(ctx, cmd)
	release()
	// Whatever the step started in its group goes with it.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	out.ExitCode = cmd.ProcessState.ExitCode()
	fmt.Fprintf(logf, "=== driftwatch: %s ended: %v\n", s.Name, describe(cmd.ProcessState, waitErr))
	if out.Result, err = readResult(s.ResultPath); err != nil {
		return out, err
	}
	return out, nil
}

// wait waits for the process, terminating its group when ctx ends.
func (e *Executor) wait(ctx context.Context, cmd *exec.Cmd) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	pgid := -cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	t := time.NewTimer(e.grace)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		e.log.Warn("step did not exit after SIGTERM; killing it", "pid", cmd.Process.Pid, "grace", e.grace)
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		return <-done
	}
}

// env builds the process environment: the inherited variables, the
// step's environment and secrets, and DRIFTWATCH_RESULT.
func (e *Executor) env(s pipelines.StepSpec) []string {
	vars := map[string]string{}
	for _, k := range e.inherit {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	maps.Copy(vars, s.Env)
	maps.Copy(vars, s.SecretEnv)
	vars[pipelines.EnvResult] = s.ResultPath
	env := make([]string, 0, len(vars))
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// readResult reads at most one byte more than a result may have, so an
// oversized result is seen without reading all of it. A missing file is
// a nil result.
func readResult(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the result: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, pipelines.MaxResultBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the result: %w", err)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

func describe(ps *os.ProcessState, err error) string {
	if ps != nil {
		return ps.String()
	}
	return fmt.Sprint(err)
}
