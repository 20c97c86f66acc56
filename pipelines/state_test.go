package pipelines

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestTransitions(t *testing.T) {
	tests := []struct {
		from, to State
		ok       bool
	}{
		{StateQueued, StateTraining, true},
		{StateTraining, StateEvaluating, true},
		{StateEvaluating, StateGating, true},
		{StateGating, StateDeploying, true},
		{StateGating, StateRejected, true},
		{StateDeploying, StateVerifying, true},
		{StateDeploying, StateSucceeded, true}, // verification off
		{StateDeploying, StateRollingBack, true},
		{StateVerifying, StateSucceeded, true},
		{StateVerifying, StateRollingBack, true},
		{StateRollingBack, StateRolledBack, true},
		{StateRejected, StateDeploying, true}, // an approval
		{StateTraining, StateFailed, true},
		{StateVerifying, StateCancelled, true},
		{StateRollingBack, StateFailed, true},
		{StateQueued, StateDeploying, false},
		{StateTraining, StateGating, false},
		{StateEvaluating, StateDeploying, false},
		{StateGating, StateSucceeded, false},
		{StateVerifying, StateRolledBack, false},
		{StateSucceeded, StateFailed, false},
		{StateRejected, StateCancelled, false},
		{StateRolledBack, StateDeploying, false},
		{StateCancelled, StateQueued, false},
	}
	for _, tc := range tests {
		t.Run(string(tc.from)+"->"+string(tc.to), func(t *testing.T) {
			err := checkTransition(tc.from, tc.to)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, "a run cannot move from "+string(tc.from)+" to "+string(tc.to))
		})
	}
}

func TestMoveToRecordsHistory(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	run := Run{State: StateGating}
	require.NoError(t, run.moveTo(StateRejected, at, "auc too low"))
	require.Equal(t, at, run.EndedAt)
	require.Equal(t, []Transition{{From: StateGating, To: StateRejected, At: at, Note: "auc too low"}}, run.History)
	require.Error(t, run.moveTo(StateTraining, at, ""))
	require.Equal(t, StateRejected, run.State)
}

func TestStates(t *testing.T) {
	for _, s := range States {
		require.Equal(t, !s.Terminal(), contains(activeStates, s), s)
		if s.Terminal() {
			require.Equal(t, Outcome(s), s.Outcome())
		}
	}
}

func contains(states []State, s State) bool {
	for _, x := range states {
		if x == s {
			return true
		}
	}
	return false
}
