package pipelines

import (
	"fmt"
	"slices"
)

// State is where a run is in its life.
type State string

// Run states. A run moves queued → training → evaluating → gating →
// deploying → verifying → succeeded, or ends rejected, failed, cancelled
// or rolled_back. rolling_back is the durable mark of a rollback in
// flight, so that a restart finishes it.
const (
	StateQueued      State = "queued"
	StateTraining    State = "training"
	StateEvaluating  State = "evaluating"
	StateGating      State = "gating"
	StateDeploying   State = "deploying"
	StateVerifying   State = "verifying"
	StateRollingBack State = "rolling_back"
	StateSucceeded   State = "succeeded"
	StateRejected    State = "rejected"
	StateFailed      State = "failed"
	StateCancelled   State = "cancelled"
	StateRolledBack  State = "rolled_back"
)

// States lists every state in the order of a run's life.
var States = []State{
	StateQueued, StateTraining, StateEvaluating, StateGating, StateDeploying, StateVerifying, StateRollingBack,
	StateSucceeded, StateRejected, StateFailed, StateCancelled, StateRolledBack,
}

// activeStates are the states of runs in flight.
var activeStates = States[:7]

// Terminal reports whether a run in state s has ended. A rejected run has
// ended, though an approval may open it again.
func (s State) Terminal() bool {
	switch s {
	case StateSucceeded, StateRejected, StateFailed, StateCancelled, StateRolledBack:
		return true
	}
	return false
}

// Outcome returns the outcome of a terminal state, and "" for the others.
func (s State) Outcome() Outcome {
	if !s.Terminal() {
		return ""
	}
	return Outcome(s)
}

// modelBound reports whether a run in state s holds its model: from the
// gate to the end of verification, one run per model at a time may decide
// on, deploy, verify or roll back a version.
func (s State) modelBound() bool {
	return s == StateGating || s == StateDeploying || s == StateVerifying || s == StateRollingBack
}

// transitions lists the allowed moves. A cancel is allowed from every
// state in flight, and so is a failure.
var transitions = map[State][]State{
	StateQueued:      {StateTraining},
	StateTraining:    {StateEvaluating},
	StateEvaluating:  {StateGating},
	StateGating:      {StateDeploying, StateRejected},
	StateDeploying:   {StateVerifying, StateSucceeded, StateRollingBack},
	StateVerifying:   {StateSucceeded, StateRollingBack},
	StateRollingBack: {StateRolledBack},
	// An operator's approval opens a rejected run again.
	StateRejected: {StateDeploying},
}

// checkTransition returns an error unless a run may move from one state to
// the other.
func checkTransition(from, to State) error {
	if !from.Terminal() && (to == StateFailed || to == StateCancelled) {
		return nil
	}
	if slices.Contains(transitions[from], to) {
		return nil
	}
	return fmt.Errorf("a run cannot move from %s to %s", from, to)
}
