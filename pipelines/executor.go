package pipelines

import (
	"context"
	"errors"
	"time"
)

// Executor runs one attempt of a step and waits for it to end: a local
// process, or a Kubernetes Job. It must end the attempt when ctx ends,
// killing what it started, and return then; when the cause of ctx
// (context.Cause) is ErrShutdown, it may instead leave what it started
// running and return. Executing the same Name again after a restart must
// adopt or replace what the earlier execution left, never run both.
type Executor interface {
	Execute(ctx context.Context, s StepSpec) (StepOutcome, error)
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(ctx context.Context, s StepSpec) (StepOutcome, error)

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, s StepSpec) (StepOutcome, error) { return f(ctx, s) }

// ErrShutdown is the cause of a step's context when driftwatch stops. The
// attempt is executed again, under the same Name, when the Runner runs
// next; an executor whose work outlives the process, such as a Kubernetes
// Job, leaves it running so the next execution adopts it.
var ErrShutdown = errors.New("driftwatch is stopping")

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
	WorkDir   string
	Resources Resources
	// Kubernetes is the pipeline's placement (kubernetes), with its
	// pod_annotations rendered for this attempt.
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
	// PermanentFailureExitCodes are the exit codes that fail the step
	// without retries; the Runner acts on them, and an executor may too
	// (a Job's podFailurePolicy).
	PermanentFailureExitCodes []int
	// Progress, when set, records what an executor learns of the running
	// attempt, such as that it waits in a queue. Executors call it when the
	// phase or message changes, not on every poll; it writes to the store.
	Progress func(phase AttemptPhase, message string)
}

// AttemptPhase is what an executor reports of a running attempt.
type AttemptPhase string

// The phases of a running attempt.
const (
	// PhaseQueued: the attempt waits for a queue to admit it, such as a
	// Job that Kueue holds suspended until its quota allows.
	PhaseQueued AttemptPhase = "queued"
	// PhasePending: admitted, but not running yet, such as a pod waiting to
	// be scheduled or for its image.
	PhasePending AttemptPhase = "pending"
	// PhaseRunning: the step's process runs.
	PhaseRunning AttemptPhase = "running"
)

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
	// Reason says, in the executor's terms, why an attempt that exited
	// non-zero ended, such as a container's termination reason and the
	// Job's failure condition; the Runner adds it to the attempt's error.
	Reason string
}
