package pipelines_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/pipelines"
)

func TestFirstRunBecomesChampion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", nil).start()
	h.submit("run-1", map[string]string{"git_sha": "abc123", "data_start": "2025-02-01", "data_end": "2025-03-01"})
	run := h.waitEnd("run-1")

	require.Equal(t, pipelines.StateSucceeded, run.State, run.Error)
	require.Equal(t, []finishCall{{ID: "run-1", Outcome: pipelines.OutcomeSucceeded, Message: run.Message}}, h.src.calls())
	require.Equal(t, []string{"churn@run-1"}, h.rec.Switches())
	require.Equal(t, []string{"deploy run-1"}, h.lines("deploys"))
	require.Contains(t, run.Message, "verified over 2 window(s)")
	var states []pipelines.State
	for _, tr := range run.History {
		states = append(states, tr.To)
	}
	want := []pipelines.State{"queued", "training", "evaluating", "gating", "deploying", "verifying", "succeeded"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	// With no champion only the value threshold applies.
	require.Equal(t, &pipelines.Verdict{OK: true, Checked: 1}, run.Verdict)

	m, versions, err := h.runner.Registry().Model("churn")
	require.NoError(t, err)
	require.Equal(t, "run-1", m.Champion)
	require.Len(t, versions, 1)
	v := versions[0]
	require.Equal(t, "run-1", v.RunID)
	require.Equal(t, pipelines.VersionChampion, v.Status)
	require.Equal(t, pipelines.TriggerAlert, v.Trigger.Kind)
	require.Equal(t, "abc123", v.Params["git_sha"])
	require.Equal(t, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), v.DataWindow.Start)
	require.Equal(t, map[string]float64{"auc": 0.9, "log_loss": 0.3}, v.Metrics)
	require.Equal(t, map[string]float64{"train_loss": 0.2}, v.TrainMetrics)
	require.FileExists(t, v.ProfileURI)
	require.False(t, v.DeployedAt.IsZero())
	require.Equal(t, pipelines.ChampionChange{Version: "run-1", At: v.DeployedAt, Kind: pipelines.ChangeRun, RunID: "run-1", Reason: "drift on 3 features"}, m.History[0])

	// The data window reached the steps through the templates.
	log, err := os.ReadFile(run.Steps[0].Attempts[0].Log)
	require.NoError(t, err)
	require.Contains(t, string(log), "=== driftwatch: run-1-train-1:")

	require.NoError(t, testutil.GatherAndCompare(h.reg, strings.NewReader(`
# HELP driftwatch_model_champion_info The serving version of each model: 1 for the champion.
# TYPE driftwatch_model_champion_info gauge
driftwatch_model_champion_info{model="churn",version="run-1"} 1
# HELP driftwatch_model_deploys_total Model versions put into service, by kind: deploy of a new version, or rollback to an earlier one.
# TYPE driftwatch_model_deploys_total counter
driftwatch_model_deploys_total{kind="deploy",model="churn"} 1
driftwatch_model_deploys_total{kind="rollback",model="churn"} 0
`), "driftwatch_model_champion_info", "driftwatch_model_deploys_total"))
	require.Equal(t, 1.0, counter(t, h, "driftwatch_pipeline_runs_total", `outcome="succeeded"`))
	problems, err := testutil.GatherAndLint(h.reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// counter returns the value of the counter series with the label.
func counter(t *testing.T, h *harness, name, label string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName()+`="`+l.GetValue()+`"` == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s{%s}", name, label)
	return 0
}

func TestRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", func(p *pipelines.Pipeline) {
		p.Steps.Train.Retries = 2
		p.Steps.Train.Env["DW_FAIL_ATTEMPTS"] = "2"
	}).start()
	h.submit("run-1", nil)
	run := h.waitEnd("run-1")

	require.Equal(t, pipelines.StateSucceeded, run.State, run.Error)
	train := run.Steps[0]
	require.Len(t, train.Attempts, 3)
	for i, a := range train.Attempts[:2] {
		require.Equal(t, pipelines.AttemptFailed, a.Status)
		require.Equal(t, 1, *a.ExitCode)
		require.Equal(t, "exited with code 1", a.Error)
		require.Contains(t, a.Log, "train-"+strconv.Itoa(i+1)+".log")
	}
	require.Equal(t, pipelines.AttemptSucceeded, train.Attempts[2].Status)
	// The backoff doubles: 30s, then 60s, before the verify polls.
	require.Equal(t, []time.Duration{30 * time.Second, time.Minute}, h.clock.Waits()[:2])
	require.Equal(t, []string{"run=run-1 step=train attempt=3", "run=run-1 step=evaluate attempt=1", "run=run-1 step=deploy attempt=1"}, h.events("done"))
}

func TestStepFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      map[string]string
		mutate   func(*pipelines.Step)
		attempts int
		want     string
	}{
		{name: "retries run out", env: map[string]string{"DW_FAIL_ATTEMPTS": "9"}, attempts: 3,
			want: "step train failed after 3 attempts: attempt 3 exited with code 1; logs: "},
		{name: "permanent exit code", env: map[string]string{"DW_FAIL_ATTEMPTS": "9", "DW_EXIT_CODE": "42"}, attempts: 1,
			want: "step train failed: attempt 1 exited with code 42, a permanent failure exit code; not retried; logs: "},
		{name: "no result", env: map[string]string{"DW_RESULT": "none"}, attempts: 1,
			want: "step train failed: attempt 1 exited 0 but wrote no result to $DRIFTWATCH_RESULT; not retried"},
		{name: "oversized result", env: map[string]string{"DW_RESULT": "oversized"}, attempts: 1,
			want: "attempt 1 wrote an invalid result: result is larger than 4096 bytes; not retried"},
		{name: "result not JSON", env: map[string]string{"DW_RESULT": "not-json"}, attempts: 1,
			want: "attempt 1 wrote an invalid result: result is not a valid result object: invalid character 'm'"},
		{name: "unknown field", env: map[string]string{"DW_RESULT": "unknown-field"}, attempts: 1,
			want: `result is not a valid result object: json: unknown field "accuracy"`},
		{name: "missing model URI", env: map[string]string{"DW_RESULT": "no-model-uri"}, attempts: 1,
			want: "attempt 1 wrote an invalid result: model_uri is required; not retried"},
		{name: "step timeout", env: map[string]string{"DW_SLEEP": "1"}, attempts: 3,
			mutate: func(s *pipelines.Step) { s.Timeout = 300 * time.Millisecond },
			want:   "step train failed after 3 attempts: attempt 3 exceeded the step timeout of 300ms; logs: "},
		{name: "missing template parameter", mutate: func(s *pipelines.Step) { s.Args = append(s.Args, "{{.Params.lr}}") }, attempts: 0,
			want: `step train failed before attempt 1 started: rendering the step: args[1]: template: args[1]:1:9: executing "args[1]" at <.Params.lr>: map has no entry for key "lr"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "", "", func(p *pipelines.Pipeline) {
				p.Steps.Train.Retries = 2
				p.Steps.Train.PermanentFailureExitCodes = []int{42}
				for k, v := range tc.env {
					p.Steps.Train.Env[k] = v
				}
				if tc.mutate != nil {
					tc.mutate(&p.Steps.Train)
				}
			}).start()
			h.submit("run-1", nil)
			run := h.waitEnd("run-1")

			require.Equal(t, pipelines.StateFailed, run.State)
			require.Equal(t, "train", run.FailedStep)
			require.Contains(t, run.Error, tc.want)
			require.Len(t, run.Steps, 1)
			require.Len(t, run.Steps[0].Attempts, tc.attempts)
			require.Equal(t, []finishCall{{ID: "run-1", Outcome: pipelines.OutcomeFailed, Message: run.Error}}, h.src.calls())
			require.Empty(t, h.lines("deploys"))
		})
	}
}

func TestPipelineDeadline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", func(p *pipelines.Pipeline) {
		p.Deadline = 300 * time.Millisecond
		p.Steps.Train.Retries = 2
		p.Steps.Train.Env["DW_SLEEP"] = "1"
	}).start()
	h.submit("run-1", nil)
	run := h.waitEnd("run-1")

	require.Equal(t, pipelines.StateFailed, run.State)
	require.Contains(t, run.Error, "step train failed: attempt 1 was stopped at the pipeline deadline; not retried")
	require.Equal(t, pipelines.AttemptTimedOut, run.Steps[0].Attempts[0].Status)
}

func TestCancelKillsTheStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", func(p *pipelines.Pipeline) { p.Steps.Train.Env["DW_SLEEP"] = "1" }).start()
	h.submit("run-1", nil)
	h.wait("run-1", "training", func(r pipelines.Run) bool { return r.State == pipelines.StateTraining })
	require.Eventually(t, func() bool { return len(h.events("sleeping")) == 1 }, time.Minute, 5*time.Millisecond)
	data, err := os.ReadFile(h.waitFile("pid-train"))
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(data))
	require.NoError(t, err)

	_, err = h.runner.Cancel("run-1", pipelines.Audit{By: "alice", Reason: "wrong data"})
	require.NoError(t, err)
	run := h.waitEnd("run-1")

	require.Equal(t, pipelines.StateCancelled, run.State)
	require.Equal(t, "cancelled by alice in state training: wrong data", run.Error)
	require.Equal(t, "alice", run.CancelRequest.By)
	require.Equal(t, pipelines.AttemptCancelled, run.Steps[0].Attempts[0].Status)
	// The step ignored SIGTERM; it was killed and reaped, so it is gone.
	require.ErrorIs(t, syscall.Kill(pid, 0), syscall.ESRCH)
	require.Equal(t, []finishCall{{ID: "run-1", Outcome: pipelines.OutcomeCancelled, Message: run.Error}}, h.src.calls())

	_, err = h.runner.Cancel("run-1", pipelines.Audit{By: "alice", Reason: "again"})
	require.ErrorIs(t, err, pipelines.ErrConflict)
}

func TestRejectedChallengerKeepsChampion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", func(p *pipelines.Pipeline) {
		p.Steps.Evaluate.Env["DW_METRICS"] = `{"auc": 0.78}`
		p.Steps.Evaluate.Env["DW_CHAMPION_METRICS"] = `{"auc": 0.8}`
	})
	h.seed()
	h.start()
	h.submit("run-1", nil)
	run := h.waitEnd("run-1")

	require.Equal(t, pipelines.StateRejected, run.State)
	require.Equal(t, "gate rejected challenger run-1: auc 0.78 against champion 0.8 improves by -0.02, less than the required -0.01 (higher_is_better); champion v1 stays", run.Message)
	require.False(t, run.Verdict.OK)
	require.Equal(t, pipelines.CheckChangeAbsolute, run.Verdict.Failures[0].Check)
	require.Equal(t, &pipelines.ModelRef{Version: "v1", URI: "file:///models/churn/v1", ProfileURI: run.Champion.ProfileURI}, run.Champion)
	champion, _, err := h.runner.Registry().Champion("churn")
	require.NoError(t, err)
	require.Equal(t, "v1", champion.Version)
	require.Empty(t, h.lines("deploys"))
	require.Empty(t, h.rec.Switches())
	require.Equal(t, []finishCall{{ID: "run-1", Outcome: pipelines.OutcomeRejected, Message: run.Message}}, h.src.calls())
	_, err = h.runner.Registry().Version("churn", "run-1")
	require.ErrorIs(t, err, pipelines.ErrNotFound, "a rejected challenger is not registered")

	// An operator approves the rejected run: it deploys, and the Source,
	// told of the rejection, is not told again.
	_, err = h.runner.Approve("run-1", pipelines.Audit{By: "bob", Reason: "auc dip is noise; new labels matter more"})
	require.NoError(t, err)
	run = h.wait("run-1", "succeeded", func(r pipelines.Run) bool { return r.State == pipelines.StateSucceeded })
	require.Equal(t, "bob", run.Approval.By)
	require.Equal(t, run.Approval, run.Verdict.Override)
	require.Equal(t, []string{"deploy run-1"}, h.lines("deploys"))
	champion, _, err = h.runner.Registry().Champion("churn")
	require.NoError(t, err)
	require.Equal(t, "run-1", champion.Version)
	require.Len(t, h.src.calls(), 1)

	_, err = h.runner.Approve("run-1", pipelines.Audit{By: "bob", Reason: "again"})
	require.ErrorIs(t, err, pipelines.ErrConflict)
}

func TestFailedVerificationRollsBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", nil)
	h.rec.observe = func(_, version string) pipelines.Observation {
		if version == "v1" {
			return pipelines.Observation{Windows: 3, DriftShare: 0.1}
		}
		return pipelines.Observation{Windows: 1, DriftShare: 0.2, Quality: map[string]pipelines.QualityValue{
			"roc_auc": {Value: 0.61, Threshold: 0.7, Breached: true},
		}}
	}
	h.seed()
	h.start()
	h.submit("run-1", nil)
	run := h.waitEnd("run-1")

	require.Equal(t, pipelines.StateRolledBack, run.State, run.Error)
	require.Equal(t, "verification of version run-1 failed after 1 window(s): roc_auc 0.61 breached its threshold 0.7; rolled back to version v1", run.Message)
	require.Equal(t, "verify", run.FailedStep)
	require.Equal(t, []string{"deploy run-1", "rollback v1"}, h.lines("deploys"))
	require.Equal(t, []string{"churn@run-1", "churn@v1"}, h.rec.Switches())
	require.Equal(t, []finishCall{{ID: "run-1", Outcome: pipelines.OutcomeRolledBack, Message: run.Message}}, h.src.calls())

	m, _, err := h.runner.Registry().Model("churn")
	require.NoError(t, err)
	require.Equal(t, "v1", m.Champion)
	require.Equal(t, []pipelines.ChangeKind{pipelines.ChangeSeed, pipelines.ChangeRun, pipelines.ChangeRollback}, kinds(m))
	v, err := h.runner.Registry().Version("churn", "run-1")
	require.NoError(t, err)
	require.Equal(t, pipelines.VersionRolledBack, v.Status)
	require.False(t, v.ReplacedAt.IsZero())
	require.Equal(t, 1.0, counter(t, h, "driftwatch_model_deploys_total", `kind="rollback"`))
}

func TestFailedDeployRollsBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", nil)
	h.seed()
	h.touch("fail-deploy-run-1")
	h.start()
	h.submit("run-1", nil)
	run := h.waitEnd("run-1")

	require.Equal(t, pipelines.StateRolledBack, run.State, run.Error)
	require.Equal(t, "deploy", run.FailedStep)
	require.Contains(t, run.Message, "step deploy failed: attempt 1 exited with code 1; logs: ")
	require.Equal(t, []string{"rollback v1"}, h.lines("deploys"))
	v, err := h.runner.Registry().Version("churn", "run-1")
	require.NoError(t, err)
	require.Equal(t, pipelines.VersionFailed, v.Status)
}

func TestManualRollback(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", nil)
	h.seed()
	h.start()
	h.submit("run-1", nil)
	require.Equal(t, pipelines.StateSucceeded, h.waitEnd("run-1").State)

	_, err := h.runner.Rollback(context.Background(), pipelines.RollbackRequest{Model: "churn", Audit: pipelines.Audit{By: "carol"}})
	require.ErrorIs(t, err, pipelines.ErrInvalid)
	_, err = h.runner.Rollback(context.Background(), pipelines.RollbackRequest{Model: "churn", To: "v9", Audit: pipelines.Audit{By: "carol", Reason: "r"}})
	require.ErrorIs(t, err, pipelines.ErrNotFound)

	rb, err := h.runner.Rollback(context.Background(), pipelines.RollbackRequest{Model: "churn", Audit: pipelines.Audit{By: "carol", Reason: "complaints from risk team"}})
	require.NoError(t, err)
	require.Equal(t, pipelines.RollbackSucceeded, rb.State)
	require.Equal(t, "run-1", rb.From)
	require.Equal(t, "v1", rb.To.Version)
	require.Equal(t, []string{"deploy run-1", "rollback v1"}, h.lines("deploys"))

	m, _, err := h.runner.Registry().Model("churn")
	require.NoError(t, err)
	require.Equal(t, "v1", m.Champion)
	last := m.History[len(m.History)-1]
	require.Equal(t, pipelines.ChangeManual, last.Kind)
	require.Equal(t, "carol", last.By)
	require.Equal(t, "complaints from risk team", last.Reason)
	require.Equal(t, "run-1", last.Previous)

	// Back again, by name.
	_, err = h.runner.Rollback(context.Background(), pipelines.RollbackRequest{Model: "churn", To: "run-1", Audit: pipelines.Audit{By: "carol", Reason: "fixed upstream"}})
	require.NoError(t, err)
	champion, _, err := h.runner.Registry().Champion("churn")
	require.NoError(t, err)
	require.Equal(t, "run-1", champion.Version)
}

func TestReportIsRetriedAndRecorded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", func(p *pipelines.Pipeline) { p.Steps.Train.Env["DW_RESULT"] = "none" })
	h.src.finishErr = []error{os.ErrDeadlineExceeded, os.ErrDeadlineExceeded}
	h.start()
	h.submit("run-1", nil)
	run := h.waitEnd("run-1")
	require.Equal(t, pipelines.OutcomeFailed, run.Reported.Outcome)
	require.Len(t, h.src.calls(), 1)
}

func kinds(m pipelines.Model) []pipelines.ChangeKind {
	var out []pipelines.ChangeKind
	for _, c := range m.History {
		out = append(out, c.Kind)
	}
	return out
}

func TestCancelDuringVerificationKeepsTheVersion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", nil)
	h.seed()
	h.rec.observe = func(_, version string) pipelines.Observation {
		if version == "run-1" {
			// The operator cancels while the new version is watched.
			if _, err := h.runner.Cancel("run-1", pipelines.Audit{By: "dave", Reason: "enough"}); err != nil {
				t.Errorf("cancel: %v", err)
			}
		}
		return pipelines.Observation{}
	}
	h.start()
	h.submit("run-1", nil)
	run := h.waitEnd("run-1")

	require.Equal(t, pipelines.StateCancelled, run.State)
	require.Equal(t, "cancelled by dave in state verifying: enough; version run-1 stays deployed (roll back with driftwatch models rollback)", run.Message)
	champion, _, err := h.runner.Registry().Champion("churn")
	require.NoError(t, err)
	require.Equal(t, "run-1", champion.Version)
}

func TestUnreportedEndIsReportedAfterRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", "", func(p *pipelines.Pipeline) { p.Steps.Train.Env["DW_RESULT"] = "none" })
	for range 6 {
		h.src.finishErr = append(h.src.finishErr, os.ErrDeadlineExceeded)
	}
	h.start()
	h.submit("run-1", nil)
	h.wait("run-1", "failed", func(r pipelines.Run) bool { return r.State == pipelines.StateFailed })
	require.Eventually(t, func() bool {
		h.src.mu.Lock()
		defer h.src.mu.Unlock()
		return len(h.src.finishErr) == 0
	}, time.Minute, 5*time.Millisecond)
	h.stop()
	h.stop = nil
	run, err := h.runner.Get("run-1")
	require.NoError(t, err)
	require.Nil(t, run.Reported, "every report failed")
	require.NoError(t, h.db.Close())

	h2 := newHarness(t, h.dir, h.state, func(p *pipelines.Pipeline) { p.Steps.Train.Env["DW_RESULT"] = "none" }).start()
	run = h2.waitEnd("run-1")
	require.Equal(t, []finishCall{{ID: "run-1", Outcome: pipelines.OutcomeFailed, Message: run.Error}}, h2.src.calls())
	require.Empty(t, h.src.calls())
}

func TestResumePastTheDeadlineStartsNothing(t *testing.T) {
	t.Parallel()
	dir, state := t.TempDir(), t.TempDir()
	touch(t, state, "block-train")
	h := newHarness(t, dir, state, nil).start()
	h.submit("run-1", nil)
	h.waitFile("pid-train")
	h.stop() // The attempt is left running, as after a crash.
	h.stop = nil
	require.NoError(t, h.db.Close())

	h2 := newHarness(t, dir, state, nil)
	h2.clock.now = h2.clock.now.Add(7 * time.Hour) // Past the 6h deadline.
	h2.start()
	run := h2.waitEnd("run-1")
	require.Equal(t, pipelines.StateFailed, run.State)
	require.Equal(t, "step train failed: attempt 1 was interrupted by a restart and pipeline deadline reached before it could run again", run.Error)
	require.Len(t, h2.events("start"), 1, "the attempt did not run again")
}
