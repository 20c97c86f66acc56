package triggers_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers"
)

func TestSilences(t *testing.T) {
	f := newFixture(t, config(2, driftRules()...))
	d := f.notify(notification(credit, featureAlert(credit, "income", t0)))[0]
	f.clock.Advance(time.Minute)
	run := f.next()
	require.Equal(t, d.RunID, run.ID)
	require.Equal(t, triggers.RunRunning, run.State)
	require.Equal(t, t0.Add(time.Minute), run.StartedAt)

	want := []silenceCall{{
		Model: credit, Alertnames: []string{"DriftwatchFeatureDrift", "DriftwatchDatasetDrift"},
		Until: t0.Add(time.Minute + 2*time.Hour), ID: "silence-a",
	}}
	if diff := cmp.Diff(want, f.silencer.created); diff != "" {
		t.Errorf("silences (-want +got):\n%s", diff)
	}
	require.Equal(t, "silence-a", run.SilenceID)
	require.Equal(t, "silence-a", f.runs(triggers.RunFilter{})[0].SilenceID, "the silence is recorded")

	f.finish(run.ID, triggers.RunSucceeded)
	require.Equal(t, []string{"silence-a"}, f.silencer.expired)
	f.finish(run.ID, triggers.RunSucceeded)
	require.Equal(t, []string{"silence-a"}, f.silencer.expired, "finishing again does nothing")
}

func TestSilenceFailuresDoNotStopRuns(t *testing.T) {
	f := newFixture(t, config(2, driftRules()...))
	f.silencer.failCreate = true
	f.notify(notification(credit, featureAlert(credit, "income", t0)))
	run := f.next()
	require.Equal(t, triggers.RunRunning, run.State)
	require.Empty(t, run.SilenceID)
	require.Equal(t, 1.0, f.value("driftwatch_trigger_silence_errors_total", map[string]string{"operation": "create"}))

	f.silencer.failCreate, f.silencer.failExpr = false, true
	f.notify(notification(churn, featureAlert(churn, "tenure", t0)))
	run = f.next()
	require.NotEmpty(t, run.SilenceID)
	require.NoError(t, f.engine.Finish(context.Background(), run.ID, triggers.RunFailed, "train step exited 1"))
	require.Equal(t, 1.0, f.value("driftwatch_trigger_silence_errors_total", map[string]string{"operation": "expire"}))
	ended := f.runs(triggers.RunFilter{Model: churn})[0]
	require.Equal(t, triggers.RunFailed, ended.State)
	require.Equal(t, "train step exited 1", ended.Error)
}

func TestNoSilenceWhenTheRuleSaysSo(t *testing.T) {
	f := newFixture(t, config(1, driftRules(func(r *triggers.Rule) { r.Silence = false })...))
	f.notify(notification(credit, featureAlert(credit, "income", t0)))
	run := f.next()
	require.False(t, run.Silence)
	require.Empty(t, f.silencer.created)
}

func TestFinishErrors(t *testing.T) {
	f := newFixture(t, config(2, driftRules()...))
	queued := f.notify(notification(credit, featureAlert(credit, "income", t0)))[0].RunID
	tests := []struct {
		name  string
		id    string
		state triggers.RunState
		want  string
	}{
		{"unknown run", "20260302-103000-000099", triggers.RunSucceeded, `unknown run "20260302-103000-000099"`},
		{"not a final state", queued, triggers.RunRunning, `cannot finish in state "running"`},
		{"queued run succeeded", queued, triggers.RunSucceeded, "never started, so it can only be cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.engine.Finish(context.Background(), tt.id, tt.state, "")
			require.ErrorIs(t, err, triggers.ErrInvalid)
			require.ErrorContains(t, err, tt.want)
		})
	}
	f.finish(queued, triggers.RunCancelled)
	err := f.engine.Finish(context.Background(), queued, triggers.RunSucceeded, "")
	require.ErrorContains(t, err, "already ended cancelled")
}

func TestRunsAndDecisions(t *testing.T) {
	f := newFixture(t, config(3, driftRules(func(r *triggers.Rule) { r.MaxConcurrent = 2 })...))
	f.notify(notification(credit, featureAlert(credit, "income", t0)))
	f.clock.Advance(time.Second)
	f.notify(notification(churn, featureAlert(churn, "tenure", t0)))
	f.clock.Advance(time.Second)
	f.request(triggers.ManualRequest{Model: churn, Pipeline: "finetune-churn", Reason: "r"})

	ids := func(runs []triggers.Run) []string {
		var out []string
		for _, r := range runs {
			out = append(out, r.ID)
		}
		return out
	}
	all := f.runs(triggers.RunFilter{})
	require.Equal(t, []string{"20260302-103002-000003", "20260302-103001-000002", "20260302-103000-000001"}, ids(all), "newest first")
	require.Equal(t, ids(all[:2]), ids(f.runs(triggers.RunFilter{Model: churn})))
	require.Equal(t, ids(all[1:2]), ids(f.runs(triggers.RunFilter{Pipeline: "retrain-churn"})))
	require.Equal(t, ids(all[:1]), ids(f.runs(triggers.RunFilter{Limit: 1})))
	require.Empty(t, f.runs(triggers.RunFilter{State: triggers.RunRunning}))

	ds, err := f.engine.Decisions(context.Background(), 2)
	require.NoError(t, err)
	require.Len(t, ds, 2)
	require.Equal(t, triggers.OriginManual, ds[0].Origin, "newest first")
	require.Equal(t, churn, ds[1].Model)
}
