package dashboards_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/internal/app"
	"github.com/driftwatch/driftwatch/internal/app/reference"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/triggers"
)

// retrainedModel is the model of the example's local pipeline.
const retrainedModel = "credit-risk"

// runnablePipeline makes the example's local pipeline run in the test, as
// internal/app's pipeline test does: its train and evaluate steps are sh -c
// commands that follow the step contract (train writes a model and
// reports the reference profile of the credit-risk training data, evaluate
// scores the challenger within the gate's thresholds), and its deploy
// command appends the version to a file. The gate keeps only its value
// thresholds, since the steps report no champion metrics, and verification
// is off, so that a run ends as it deploys and a rollback may follow at
// once. Trigger rules create no Alertmanager silences.
func runnablePipeline(t *testing.T, cfg *config.Config) {
	t.Helper()
	dir := t.TempDir()
	var model collectors.ModelConfig
	for _, m := range cfg.Models {
		if m.Name == retrainedModel {
			model = m
		}
	}
	profile := writeProfile(t, model, dir)
	train := fmt.Sprintf(`echo "model of run $DRIFTWATCH_RUN_ID" > "$DRIFTWATCH_ARTIFACT_DIR/model.txt" &&
printf '{"metrics":{"log_loss":0.41},"model_uri":"%%s/model.txt","profile_uri":"%s"}' "$DRIFTWATCH_ARTIFACT_DIR" > "$DRIFTWATCH_RESULT"`, profile)
	evaluate := `printf '{"metrics":{"roc_auc":0.91,"log_loss":0.40}}' > "$DRIFTWATCH_RESULT"`
	deploy := fmt.Sprintf(`echo "{{.Kind}} {{.Version}}" >> %s`, filepath.Join(dir, "deploys.log"))
	found := false
	for i := range cfg.Pipelines {
		p := &cfg.Pipelines[i]
		if p.Executor != pipelines.ExecutorLocal {
			continue
		}
		require.Equal(t, retrainedModel, p.Model)
		found = true
		p.Steps.Train = shStep(p.Steps.Train, train)
		p.Steps.Evaluate = shStep(p.Steps.Evaluate, evaluate)
		for j := range p.Gate.Metrics {
			p.Gate.Metrics[j].Change = nil
		}
		p.Deploy.Command.Command = []string{"sh", "-c", deploy}
		p.Verify.Period = 0
	}
	require.True(t, found, "the example has a local pipeline")
	for i := range cfg.Triggers.Rules {
		cfg.Triggers.Rules[i].Silence = false
	}
	require.NoError(t, cfg.Validate())
}

// shStep replaces a step's command with sh -c script, keeping its limits.
func shStep(s pipelines.Step, script string) pipelines.Step {
	s.Command, s.Args, s.Env, s.WorkDir = []string{"sh", "-c", script}, nil, nil, ""
	return s
}

// writeProfile writes the reference profile of a model's training data,
// as a train step would for its new version, and returns its path.
func writeProfile(t *testing.T, m collectors.ModelConfig, dir string) string {
	t.Helper()
	m.Reference.Data = filepath.Join(configDir, m.Reference.Data)
	p, err := reference.Load(t.Context(), m, time.Now())
	require.NoError(t, err)
	data, err := p.Encode()
	require.NoError(t, err)
	path, err := filepath.Abs(filepath.Join(dir, "profile.json"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// retrain asks for a run of the retrained model by hand, as driftwatch
// trigger does, and waits until it has succeeded: the new version serves.
func retrain(t *testing.T, a *app.App, reason string) pipelines.Run {
	t.Helper()
	d, err := a.Engine().Request(t.Context(), triggers.ManualRequest{Model: retrainedModel, Reason: reason, RequestedBy: "dashboards test"})
	require.NoError(t, err)
	require.Equal(t, triggers.OutcomeStarted, d.Outcome, "%+v", d)
	return waitForRun(t, a, d.RunID)
}

// waitForRun waits until a run has ended and requires that it succeeded.
func waitForRun(t *testing.T, a *app.App, id string) pipelines.Run {
	t.Helper()
	var run pipelines.Run
	require.Eventually(t, func() bool {
		var err error
		run, err = a.Runner().Get(id)
		return err == nil && run.State.Terminal()
	}, time.Minute, 10*time.Millisecond, "run %s did not end", id)
	require.Equal(t, pipelines.StateSucceeded, run.State, "run %s: %s %s", id, run.Error, run.Message)
	return run
}

// rollBack puts the champion before the current one back into service by
// hand, as driftwatch models rollback does.
func rollBack(t *testing.T, a *app.App) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	rb, err := a.Runner().Rollback(ctx, pipelines.RollbackRequest{
		Model: retrainedModel,
		Audit: pipelines.Audit{By: "dashboards test", Reason: "show a rollback on the dashboards"},
	})
	require.NoError(t, err)
	require.Equal(t, pipelines.RollbackSucceeded, rb.State, "%+v", rb)
}
