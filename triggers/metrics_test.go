package triggers_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
)

func TestMetrics(t *testing.T) {
	f := newFixture(t, config(1, driftRules()...))

	// Every configured model's series exist before anything happens.
	require.Zero(t, f.decisionCount(churn, triggers.OriginEmbedded, triggers.OutcomeCancelled))
	require.Zero(t, f.decisionCount(credit, triggers.OriginManual, triggers.OutcomeConcurrency))

	a := featureAlert(credit, "income", t0)
	f.notify(notification(credit, a))
	f.notify(notification(credit, a))
	f.notify(notification(churn, featureAlert(churn, "tenure", t0)))
	run := f.next()
	f.finish(run.ID, triggers.RunFailed)

	require.Equal(t, 1.0, f.decisionCount(credit, triggers.OriginAlertmanager, triggers.OutcomeStarted))
	require.Equal(t, 1.0, f.decisionCount(credit, triggers.OriginAlertmanager, triggers.OutcomeDeduplicated))
	require.Equal(t, 1.0, f.decisionCount(churn, triggers.OriginAlertmanager, triggers.OutcomeQueued))

	want := `
# HELP driftwatch_trigger_runs Runs queued or running, by model and state.
# TYPE driftwatch_trigger_runs gauge
driftwatch_trigger_runs{model="churn",state="queued"} 1
driftwatch_trigger_runs{model="churn",state="running"} 0
driftwatch_trigger_runs{model="credit-risk",state="queued"} 0
driftwatch_trigger_runs{model="credit-risk",state="running"} 0
# HELP driftwatch_trigger_runs_finished_total Runs that ended, by model and final state.
# TYPE driftwatch_trigger_runs_finished_total counter
driftwatch_trigger_runs_finished_total{model="churn",state="cancelled"} 0
driftwatch_trigger_runs_finished_total{model="churn",state="failed"} 0
driftwatch_trigger_runs_finished_total{model="churn",state="rejected"} 0
driftwatch_trigger_runs_finished_total{model="churn",state="rolled_back"} 0
driftwatch_trigger_runs_finished_total{model="churn",state="succeeded"} 0
driftwatch_trigger_runs_finished_total{model="credit-risk",state="cancelled"} 0
driftwatch_trigger_runs_finished_total{model="credit-risk",state="failed"} 1
driftwatch_trigger_runs_finished_total{model="credit-risk",state="rejected"} 0
driftwatch_trigger_runs_finished_total{model="credit-risk",state="rolled_back"} 0
driftwatch_trigger_runs_finished_total{model="credit-risk",state="succeeded"} 0
# HELP driftwatch_trigger_silence_errors_total Silences that could not be created or expired while runs went on, by operation.
# TYPE driftwatch_trigger_silence_errors_total counter
driftwatch_trigger_silence_errors_total{operation="create"} 0
driftwatch_trigger_silence_errors_total{operation="expire"} 0
# HELP driftwatch_trigger_store_errors_total Transactions of the trigger engine that failed in the store; nothing of them was recorded.
# TYPE driftwatch_trigger_store_errors_total counter
driftwatch_trigger_store_errors_total 0
`
	require.NoError(t, testutil.GatherAndCompare(f.reg, strings.NewReader(want),
		"driftwatch_trigger_runs", "driftwatch_trigger_runs_finished_total",
		"driftwatch_trigger_silence_errors_total", "driftwatch_trigger_store_errors_total"))

	problems, err := testutil.GatherAndLint(f.reg)
	require.NoError(t, err)
	require.Empty(t, problems)
}

func TestRunsGaugeSurvivesRestart(t *testing.T) {
	f := newFixture(t, config(2, driftRules()...))
	f.notify(notification(credit, featureAlert(credit, "income", t0)))
	f.notify(notification(churn, featureAlert(churn, "tenure", t0)))
	f.next()
	require.Equal(t, 1.0, f.value("driftwatch_trigger_runs", map[string]string{"model": credit, "state": "running"}))
	f.restart()
	require.Zero(t, f.value("driftwatch_trigger_runs", map[string]string{"model": credit, "state": "running"}))
	require.Equal(t, 1.0, f.value("driftwatch_trigger_runs", map[string]string{"model": churn, "state": "queued"}))
}
