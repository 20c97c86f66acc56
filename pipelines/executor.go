package pipelines

import (
	"context"
	"errors"
	"time"
)

// Executor runs one attempt of a step and waits for it to end: a local
// process, or a Kubernetes Job. It must end the attempt when ctx ends,
// killing what it started, and return then. Executing the same Name again
// after a restart must adopt or replace what the earlier execution left,
// never run both.
type Executor interface {
	Execute(ctx context.Context, s StepSpec) (StepOutcome, error)
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(ctx context.Context, s StepSpec) (StepOutcome, error)

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, s StepSpec) (StepOutcome, error) { return f(ctx, s) }

// ErrPermanent marks an executor error that a retry cannot cure, such as
// a command that does not exist. The Runner fails the step at once.
var ErrPermanent = errors.New("permanent failure")

// StepSpec is one attempt of a step, rendered from the run: everything an
// executor needs, and nothing it must work out from the configuration.
type StepSpec struct {
	// Name is deterministic: <run>-<step>-<attempt>. A Kubernetes executor
	// names its Job after it, so a restarted driftwatch finds the Job.
	Name     string
	RunID    string
	Model    string
	Pipeline string
	Step     string
	Attempt  int
	// Image is the container image (kubernetes).
	Image string
	// Command and Args form the command line; Args are rendered.
	Command []string
	Args    []string
	// Env holds the rendered environment, DRIFTWATCH_* included, except
	// DRIFTWATCH_RESULT, which the executor sets to where it collects the
	// result from.
	Env map[string]string
	// SecretEnv holds environment values from secrets. Executors must not
	// log or store them.
	SecretEnv map[string]string
	// WorkDir is the working directory (local).
	WorkDir    string
	Resources  Resources
	Kubernetes KubernetesConfig
	// Timeout bounds the attempt. The Runner also ends ctx then; an
	// executor may enforce it itself too (activeDeadlineSeconds).
	Timeout time.Duration
	// LogPath is the file the attempt's output goes to (local), appended
	// to when an interrupted attempt runs again.
	LogPath string
	// ResultPath is where a local process writes its result. Executors
	// that carry results otherwise, such as a termination message, set
	// DRIFTWATCH_RESULT to their own path.
	ResultPath string
	// WantResult is set for steps that must write a result.
	WantResult bool
}

// StepOutcome is how an attempt ended.
type StepOutcome struct {
	// ExitCode is the process's exit code; -1 when it was killed by a
	// signal.
	ExitCode int
	// Result holds the result the step wrote, read up to one byte past
	// MaxResultBytes so an oversized result is detected; nil when there
	// was none.
	Result []byte
	// Log says where the attempt's logs are: a file, or how to fetch them.
	Log string
}
