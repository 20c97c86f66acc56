package pipelines

import (
	"time"
)

// Step names: the two computing steps, and the deploy commands of a deploy
// and of a rollback.
const (
	StepTrain    = "train"
	StepEvaluate = "evaluate"
	StepDeploy   = "deploy"
	StepRollback = "rollback"
)

// Run is the durable record of one pipeline run: what asked for it, what
// each step did, the gate's verdict, the deploy and its verification.
// The API serves it as it is stored.
type Run struct {
	ID       string            `json:"id"`
	Model    string            `json:"model"`
	Pipeline string            `json:"pipeline"`
	Rule     string            `json:"rule,omitempty"`
	Reason   string            `json:"reason,omitempty"`
	Trigger  Trigger           `json:"trigger"`
	Params   map[string]string `json:"params,omitempty"`
	// DataWindow is the training data's time range.
	DataWindow Window `json:"data_window"`
	State      State  `json:"state"`
	// RequestedAt is when the trigger asked for the run; CreatedAt when
	// the Runner took it; EndedAt when it last reached a terminal state.
	RequestedAt time.Time `json:"requested_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	EndedAt     time.Time `json:"ended_at,omitzero"`
	// Steps are the steps run so far, in order.
	Steps []StepRecord `json:"steps,omitempty"`
	// Champion is the champion the challenger was evaluated against; nil
	// when the model had none.
	Champion *ModelRef `json:"champion,omitempty"`
	// Challenger is what the train step produced.
	Challenger *Challenger `json:"challenger,omitempty"`
	// Verdict is the gate's decision.
	Verdict *Verdict `json:"verdict,omitempty"`
	// Approval is the operator's override of a rejection.
	Approval *Audit `json:"approval,omitempty"`
	// CancelRequest is the operator's request to cancel the run.
	CancelRequest *Audit `json:"cancel_request,omitempty"`
	// Previous is the champion that the deploy replaced, which an
	// automatic rollback restores.
	Previous *ModelRef `json:"previous,omitempty"`
	// DeployedAt is when the challenger went into service.
	DeployedAt   time.Time     `json:"deployed_at,omitzero"`
	Verification *Verification `json:"verification,omitempty"`
	Rollback     *Rollback     `json:"rollback,omitempty"`
	// FailedStep and Error say which step or phase failed, why, and where
	// its logs are; Error also says why a run was cancelled.
	FailedStep string `json:"failed_step,omitempty"`
	Error      string `json:"error,omitempty"`
	// Message says in words how the run ended.
	Message string `json:"message,omitempty"`
	// Reported records that the end was reported to the Source.
	Reported *Report `json:"reported,omitempty"`
	// History lists every state change.
	History []Transition `json:"history"`
}

// Window is a time range of data. Zero times mean unknown.
type Window struct {
	Start time.Time `json:"start,omitzero"`
	End   time.Time `json:"end,omitzero"`
}

// ModelRef names a model version and where its artifacts are.
type ModelRef struct {
	Version    string `json:"version"`
	URI        string `json:"uri"`
	ProfileURI string `json:"profile_uri,omitempty"`
}

// Challenger is the model version a run trained, with the metrics of its
// train and evaluate steps.
type Challenger struct {
	ModelRef
	TrainedAt       time.Time          `json:"trained_at"`
	TrainMetrics    map[string]float64 `json:"train_metrics,omitempty"`
	Metrics         map[string]float64 `json:"metrics,omitempty"`
	ChampionMetrics map[string]float64 `json:"champion_metrics,omitempty"`
}

// StepStatus is where a step is.
type StepStatus string

// Step statuses.
const (
	StepRunning   StepStatus = "running"
	StepWaiting   StepStatus = "waiting_to_retry"
	StepSucceeded StepStatus = "succeeded"
	StepFailed    StepStatus = "failed"
	StepCancelled StepStatus = "cancelled"
)

// StepRecord is one step of a run and its attempts.
type StepRecord struct {
	Name      string     `json:"name"`
	Status    StepStatus `json:"status"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   time.Time  `json:"ended_at,omitzero"`
	// RetryAt is when the next attempt starts, while the step waits.
	RetryAt  time.Time `json:"retry_at,omitzero"`
	Attempts []Attempt `json:"attempts"`
	// Result is the validated result of the successful attempt.
	Result *Result `json:"result,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// AttemptStatus is how an attempt went.
type AttemptStatus string

// Attempt statuses.
const (
	AttemptRunning   AttemptStatus = "running"
	AttemptSucceeded AttemptStatus = "succeeded"
	AttemptFailed    AttemptStatus = "failed"
	AttemptTimedOut  AttemptStatus = "timed_out"
	AttemptCancelled AttemptStatus = "cancelled"
)

// Attempt is one execution of a step. An attempt that driftwatch stopped
// in (a crash or a shutdown) is executed again under the same number, so
// an executor can adopt what it left behind; Interrupted counts those
// restarts.
type Attempt struct {
	Number int `json:"number"`
	// Name is the deterministic name of the execution: run-step-attempt.
	Name        string        `json:"name"`
	Status      AttemptStatus `json:"status"`
	StartedAt   time.Time     `json:"started_at"`
	EndedAt     time.Time     `json:"ended_at,omitzero"`
	ExitCode    *int          `json:"exit_code,omitempty"`
	Error       string        `json:"error,omitempty"`
	Log         string        `json:"log,omitempty"`
	Interrupted int           `json:"interrupted,omitempty"`
	// Phase and PhaseMessage are what the executor last reported of the
	// attempt while it ran: queued (waiting for a queue such as Kueue to
	// admit it), pending or running.
	Phase        AttemptPhase `json:"phase,omitempty"`
	PhaseMessage string       `json:"phase_message,omitempty"`
}

// Audit records who did something by hand, why and when.
type Audit struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	Remote string    `json:"remote,omitempty"`
}

// Verification records the watch over a freshly deployed version.
type Verification struct {
	StartedAt time.Time `json:"started_at"`
	// Until is when the verify period ends.
	Until   time.Time    `json:"until"`
	EndedAt time.Time    `json:"ended_at,omitzero"`
	Last    *Observation `json:"last,omitempty"`
	// Failure says why verification failed; "" while it goes on or when
	// it passed.
	Failure string `json:"failure,omitempty"`
	// Note says what else the verdict rests on, such as no window closing.
	Note string `json:"note,omitempty"`
}

// Rollback records the return to an earlier version.
type Rollback struct {
	From      string    `json:"from"`
	To        ModelRef  `json:"to"`
	Reason    string    `json:"reason"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
}

// Report records the report of a run's end to the Source.
type Report struct {
	Outcome Outcome   `json:"outcome"`
	At      time.Time `json:"at"`
	// Refused holds the Source's answer when it refused the report.
	Refused string `json:"refused,omitempty"`
}

// Transition is one change of a run's state.
type Transition struct {
	From State     `json:"from,omitempty"`
	To   State     `json:"to"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

// step returns the run's record of the named step, or nil.
func (r *Run) step(name string) *StepRecord {
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			return &r.Steps[i]
		}
	}
	return nil
}

// moveTo changes the state and records the change.
func (r *Run) moveTo(to State, at time.Time, note string) error {
	if err := checkTransition(r.State, to); err != nil {
		return err
	}
	r.History = append(r.History, Transition{From: r.State, To: to, At: at, Note: note})
	r.State, r.UpdatedAt = to, at
	if to.Terminal() {
		r.EndedAt = at
	}
	return nil
}
