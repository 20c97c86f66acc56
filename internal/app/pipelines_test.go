package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/app/reference"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/webhook"
)

// The committed replay and reference fixtures.
var (
	replayDir, _    = filepath.Abs("../../testdata/replay")
	referenceDir, _ = filepath.Abs("../../testdata/reference")
)

// creditRiskModel is the credit-risk model of the example configuration
// over the committed replay and reference fixtures, as an entry of a YAML
// models list. Lines indented as its keys may follow it.
func creditRiskModel() string {
	return fmt.Sprintf(`  - name: credit-risk
    version: v1
    features:
      - {name: age, type: numeric}
      - {name: income, type: numeric}
      - {name: debt_ratio, type: numeric}
      - {name: credit_lines, type: numeric}
      - {name: employment, type: categorical}
      - {name: region, type: categorical}
      - {name: account_id_hash, type: categorical, field: meta.account_hash, drift: {disabled: true}}
    prediction: {kind: binary, positive_class: "1", classes: ["0", "1"]}
    label: {enabled: true}
    source:
      type: file
      file: {path: %q, labels_path: %q}
    reference: {data: %q}
    window: {size: 15m, allowed_lateness: 2m, min_events: 200}
`, filepath.Join(replayDir, "credit-risk.jsonl"), filepath.Join(replayDir, "credit-risk-labels.jsonl"),
		filepath.Join(referenceDir, "credit-risk.csv"))
}

// TestPipelineRunThroughTheApp asks a running app for a run over the API:
// the trigger engine queues it, the pipeline runner trains, evaluates,
// gates and deploys with real child processes, switches the monitor to
// the new version and its profile, and both the engine and the registry
// record the outcome.
func TestPipelineRunThroughTheApp(t *testing.T) {
	dir := t.TempDir()
	profile := writeCreditRiskProfile(t, dir)
	deployed := filepath.Join(dir, "serving.txt")
	train := fmt.Sprintf(`printf '{"metrics":{"log_loss":0.41},"model_uri":"file://%s/model-v2.json","version":"v2","profile_uri":"%s"}' > "$DRIFTWATCH_RESULT"`, dir, profile)
	evaluate := `printf '{"metrics":{"roc_auc":0.91}}' > "$DRIFTWATCH_RESULT"`
	yaml := fmt.Sprintf(`
server: {listen: "127.0.0.1:0"}
storage: {dir: %q}
models:
%striggers:
  rules:
    - {name: weekly, pipeline: credit-risk-retrain, schedule: "@weekly"}
pipelines:
  - name: credit-risk-retrain
    model: credit-risk
    steps:
      train: {command: [sh, -c, %q]}
      evaluate: {command: [sh, -c, %q]}
    gate:
      metrics: [{metric: roc_auc, lower: 0.8}]
    deploy:
      target: command
      command: {command: [sh, -c, 'printf %%s "{{.Version}} {{.URI}}" > %s']}
    verify: {period: 1s, max_drift_share: 1}
`, dir, creditRiskModel(), train, evaluate, deployed)
	cfg, err := config.Parse("pipelines.yaml", []byte(yaml))
	require.NoError(t, err)
	opts := testOptions(cfg, nil)
	opts.VerifyInterval = 50 * time.Millisecond
	a, err := New(opts)
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	t.Cleanup(func() { require.NoError(t, a.Stop(context.Background())) })
	require.Eventually(t, func() bool {
		v, _ := gauge(t, opts.Registry, "driftwatch_source_replay_finished", map[string]string{"model": "credit-risk"})
		return v == 1
	}, 10*time.Second, 10*time.Millisecond)

	body := `{"model":"credit-risk","reason":"retrain on last week","params":{"git_sha":"abc123"},"requested_by":"test"}`
	resp, err := http.Post("http://"+a.Addr()+"/api/v1/runs", "application/json", bytes.NewBufferString(body))
	require.NoError(t, err)
	var answer webhook.RunResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&answer))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%+v", answer)
	created := answer.Decision
	require.NotEmpty(t, created.RunID)

	var run pipelines.Run
	require.Eventually(t, func() bool {
		run, err = a.Runner().Get(created.RunID)
		return err == nil && run.State.Terminal()
	}, 30*time.Second, 20*time.Millisecond)
	require.Equal(t, pipelines.StateSucceeded, run.State, "run: %+v", run)
	require.Equal(t, "abc123", run.Params["git_sha"])

	got, err := os.ReadFile(deployed)
	require.NoError(t, err)
	require.Equal(t, "v2 file://"+dir+"/model-v2.json", string(got), "the deploy command got the new model")
	champion, ok, err := a.Runner().Registry().Champion("credit-risk")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "v2", champion.Version)
	require.Equal(t, 0.91, champion.Metrics["roc_auc"])
	s, ok := a.store.Snapshot("credit-risk")
	require.True(t, ok)
	require.Equal(t, "v2", s.Version, "the monitor judges events against the new version")

	require.Eventually(t, func() bool {
		runs, err := a.Engine().Runs(t.Context(), triggers.RunFilter{Model: "credit-risk"})
		require.NoError(t, err)
		require.Len(t, runs, 1)
		return runs[0].State == triggers.RunSucceeded
	}, 10*time.Second, 10*time.Millisecond, "the engine learns how the run ended")

	resp, err = http.Get("http://" + a.Addr() + "/api/v1/runs/" + created.RunID)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// writeCreditRiskProfile writes the reference profile of the credit-risk
// training data, as a train step would for its new version.
func writeCreditRiskProfile(t *testing.T, dir string) string {
	t.Helper()
	cfg := resolvePaths(exampleConfig(t).Models[0], configDir)
	p, err := reference.Load(t.Context(), cfg, time.Now())
	require.NoError(t, err)
	data, err := p.Encode()
	require.NoError(t, err)
	path := filepath.Join(dir, "profile-v2.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}
