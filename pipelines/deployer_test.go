package pipelines_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
)

// servingDeployer is a Deployer and Promoter over an in-memory serving
// system: what serves, and the canary share. fail names the calls
// ("deploy run-1", "promote run-1") that fail.
type servingDeployer struct {
	mu      sync.Mutex
	serving string
	canary  int
	calls   []string
	fail    map[string]bool
}

func (d *servingDeployer) Deploy(_ context.Context, req pipelines.DeployRequest) (pipelines.Deployed, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	call := req.Kind + " " + req.Version.Version
	d.calls = append(d.calls, call)
	if d.fail[call] {
		return pipelines.Deployed{}, errors.New("the rollout did not complete; undone")
	}
	res := pipelines.Deployed{Replaced: d.serving}
	fmt.Fprintf(req.Log, "serving %s\n", req.Version.URI)
	d.serving, d.canary = req.Version.URI, 0
	if req.Kind == pipelines.StepDeploy && req.Config.Canary() {
		d.canary = req.Config.KServe.CanaryTrafficPercent
	}
	return res, nil
}

func (d *servingDeployer) Promote(_ context.Context, req pipelines.DeployRequest) (pipelines.Deployed, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	call := req.Kind + " " + req.Version.Version
	d.calls = append(d.calls, call)
	if d.fail[call] {
		return pipelines.Deployed{}, errors.New("could not promote")
	}
	d.canary = 0
	return pipelines.Deployed{}, nil
}

func (d *servingDeployer) state() (string, int, []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.serving, d.canary, append([]string(nil), d.calls...)
}

// kserveHarness is a harness whose pipeline deploys to the kserve target
// through d, with canary percent canary.
func kserveHarness(t *testing.T, d *servingDeployer, canary int) *harness {
	h := newHarness(t, "", "", func(p *pipelines.Pipeline) {
		p.Deploy = pipelines.DeployConfig{Target: pipelines.DeployKServe, KServe: pipelines.KServeDeploy{
			Namespace: "serving", Name: "churn", CanaryTrafficPercent: canary, Timeout: time.Minute,
		}}
	}, func(o *pipelines.Options) {
		o.Deployers = map[pipelines.DeployTarget]pipelines.Deployer{pipelines.DeployKServe: d}
	})
	h.seed()
	return h
}

func TestDeployerTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		canary      int
		fail        []string
		wantState   pipelines.State
		wantCalls   []string
		wantServing string
		wantSteps   []string
		wantMessage string
	}{
		{name: "deploy", wantState: pipelines.StateSucceeded,
			wantCalls: []string{"deploy run-1"}, wantServing: "run-1", wantSteps: []string{"train", "evaluate", "deploy"}},
		{name: "canary promoted after verification", canary: 20, wantState: pipelines.StateSucceeded,
			wantCalls: []string{"deploy run-1", "promote run-1"}, wantServing: "run-1", wantSteps: []string{"train", "evaluate", "deploy", "promote"}},
		{name: "failed deploy rolls back", fail: []string{"deploy run-1"}, wantState: pipelines.StateRolledBack,
			wantCalls: []string{"deploy run-1", "rollback v1"}, wantServing: "file:///models/churn/v1", wantSteps: []string{"train", "evaluate", "deploy", "rollback"},
			wantMessage: "step deploy failed: attempt 1 failed: the rollout did not complete; undone; logs: "},
		{name: "failed promotion rolls back", canary: 20, fail: []string{"promote run-1"}, wantState: pipelines.StateRolledBack,
			wantCalls: []string{"deploy run-1", "promote run-1", "rollback v1"}, wantServing: "file:///models/churn/v1", wantSteps: []string{"train", "evaluate", "deploy", "promote", "rollback"},
			wantMessage: "version run-1 passed verification as a canary, but its promotion failed: step promote failed: attempt 1 failed: could not promote; logs: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := &servingDeployer{serving: "file:///models/churn/v1", fail: map[string]bool{}}
			for _, f := range tc.fail {
				d.fail[f] = true
			}
			h := kserveHarness(t, d, tc.canary).start()
			h.submit("run-1", nil)
			run := h.waitEnd("run-1")

			require.Equal(t, tc.wantState, run.State, run.Error)
			require.Contains(t, run.Message, tc.wantMessage)
			serving, canary, calls := d.state()
			if diff := cmp.Diff(tc.wantCalls, calls); diff != "" {
				t.Errorf("deployer calls (-want +got):\n%s", diff)
			}
			if tc.wantServing == "run-1" {
				tc.wantServing = run.Challenger.URI
			}
			require.Equal(t, tc.wantServing, serving)
			require.Zero(t, canary, "a run that ended leaves no canary")
			var steps []string
			for _, s := range run.Steps {
				steps = append(steps, s.Name)
			}
			require.Equal(t, tc.wantSteps, steps)
			if tc.wantState == pipelines.StateSucceeded {
				log, err := os.ReadFile(run.Steps[2].Attempts[0].Log)
				require.NoError(t, err)
				require.Contains(t, string(log), "=== driftwatch: run-1-deploy-1: deploy version run-1 ("+run.Challenger.URI+") with target kserve at ")
				require.Contains(t, string(log), "=== driftwatch: run-1-deploy-1 done; replaced file:///models/churn/v1\n")
			}
		})
	}
}

func TestManualRollbackThroughDeployer(t *testing.T) {
	t.Parallel()
	d := &servingDeployer{serving: "file:///models/churn/v1"}
	h := kserveHarness(t, d, 0).start()
	h.submit("run-1", nil)
	require.Equal(t, pipelines.StateSucceeded, h.waitEnd("run-1").State)

	rb, err := h.runner.Rollback(context.Background(), pipelines.RollbackRequest{Model: "churn", Audit: pipelines.Audit{By: "alice", Reason: "complaints"}})
	require.NoError(t, err)
	require.Equal(t, pipelines.RollbackSucceeded, rb.State, rb.Error)
	serving, _, calls := d.state()
	require.Equal(t, "file:///models/churn/v1", serving)
	require.Equal(t, []string{"deploy run-1", "rollback v1"}, calls)
}

// progressExecutor reports a phase before running the attempt on next.
type progressExecutor struct {
	next    pipelines.Executor
	release chan struct{}
	mu      sync.Mutex
	causes  []error
}

func (e *progressExecutor) Execute(ctx context.Context, s pipelines.StepSpec) (pipelines.StepOutcome, error) {
	if s.Step == pipelines.StepTrain && s.Progress != nil {
		s.Progress(pipelines.PhaseQueued, "waiting for quota")
		select {
		case <-e.release:
		case <-ctx.Done():
			e.mu.Lock()
			e.causes = append(e.causes, context.Cause(ctx))
			e.mu.Unlock()
			return pipelines.StepOutcome{ExitCode: -1}, nil
		}
		s.Progress(pipelines.PhaseRunning, "")
	}
	return e.next.Execute(ctx, s)
}

func (e *progressExecutor) stopCauses() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.causes...)
}

func TestExecutorReportsPhaseAndShutdown(t *testing.T) {
	t.Parallel()
	ex := &progressExecutor{release: make(chan struct{})}
	h := newHarness(t, "", "", nil, func(o *pipelines.Options) {
		ex.next = o.Executors[pipelines.ExecutorLocal]
		o.Executors[pipelines.ExecutorLocal] = ex
	}).start()
	h.submit("run-1", nil)
	run := h.wait("run-1", "queued in its train step", func(r pipelines.Run) bool {
		return len(r.Steps) == 1 && r.Steps[0].Attempts[0].Phase == pipelines.PhaseQueued
	})
	require.Equal(t, "waiting for quota", run.Steps[0].Attempts[0].PhaseMessage)
	require.Equal(t, pipelines.AttemptRunning, run.Steps[0].Attempts[0].Status)

	// Stopping the Runner ends the step's context with ErrShutdown, so an
	// executor may leave its work for the next start to adopt.
	h.stop()
	h.stop = nil
	causes := ex.stopCauses()
	require.Len(t, causes, 1)
	require.ErrorIs(t, causes[0], pipelines.ErrShutdown)
	run, err := h.runner.Get("run-1")
	require.NoError(t, err)
	require.Equal(t, pipelines.AttemptRunning, run.Steps[0].Attempts[0].Status, "the interrupted attempt runs again at the next start")
}

func TestCancelIsNoShutdown(t *testing.T) {
	t.Parallel()
	ex := &progressExecutor{release: make(chan struct{})}
	h := newHarness(t, "", "", nil, func(o *pipelines.Options) {
		ex.next = o.Executors[pipelines.ExecutorLocal]
		o.Executors[pipelines.ExecutorLocal] = ex
	}).start()
	h.submit("run-1", nil)
	h.wait("run-1", "queued in its train step", func(r pipelines.Run) bool {
		return len(r.Steps) == 1 && r.Steps[0].Attempts[0].Phase == pipelines.PhaseQueued
	})
	_, err := h.runner.Cancel("run-1", pipelines.Audit{By: "alice", Reason: "wrong data"})
	require.NoError(t, err)
	run := h.waitEnd("run-1")
	require.Equal(t, pipelines.StateCancelled, run.State)
	causes := ex.stopCauses()
	require.Len(t, causes, 1)
	require.NotErrorIs(t, causes[0], pipelines.ErrShutdown)
}
