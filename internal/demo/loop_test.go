package demo

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors/event"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/drift/quality"
	"github.com/driftwatch/driftwatch/internal/app/reference"
)

// TestLoopCloses runs the demo's machine-learning half as the demo command
// wires it, with driftwatch's decoder and drift statistics standing in for
// the monitor: the first champion serves until the shift, the steps
// retrain on the recent examples since the shift, the server swaps in the
// challenger, and then the served events no longer drift against the
// challenger's reference and its quality is back above the thresholds.
func TestLoopCloses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := InitialState(ctx, dir, InitialOptions{Seed: 1})
	require.NoError(t, err)
	server, err := NewServer(st.Model)
	require.NoError(t, err)
	rec, err := NewRecorder(DefaultRecentRows, DefaultHoldoutEvery)
	require.NoError(t, err)
	var lines [][]byte // prediction events since the last reset
	sink := SinkFunc(func(kind event.Kind, line []byte) error {
		if kind == event.KindPrediction {
			lines = append(lines, line)
		}
		return nil
	})
	shiftAt := t0.Add(10 * time.Second)
	tr, err := NewTraffic(TrafficOptions{
		World: World{Shift: DefaultShift()}, Server: server, Sink: sink, Recorder: rec,
		Seed: 1, LabelDelay: 2 * time.Second, ShiftAt: shiftAt,
	})
	require.NoError(t, err)
	tick := func(from, to int) {
		for i := from; i < to; i++ {
			require.NoError(t, tr.Tick(t0.Add(time.Duration(i)*time.Second)))
		}
	}

	// Twelve ticks of labels after the shift fill the recorder with the
	// shifted world; the run's data window makes sure of it.
	tick(0, 10+2+12)
	data, holdout := filepath.Join(dir, "data", "recent.jsonl"), filepath.Join(dir, "data", "holdout.jsonl")
	_, _, err = rec.WriteFiles(data, holdout)
	require.NoError(t, err)
	params, err := json.Marshal(map[string]string{ParamData: data, ParamHoldout: holdout})
	require.NoError(t, err)

	run := filepath.Join(dir, "runs", "run-1")
	env := map[string]string{
		EnvRunID: "run-1", EnvModel: ModelName, EnvParams: string(params),
		EnvChampionVersion: server.Model().Version, EnvChampionURI: st.ModelPath,
		EnvDataStart: shiftAt.Format(time.RFC3339), // the run's data_start
	}
	env[EnvStep], env[EnvArtifactDir], env[EnvResult] = StepTrain, filepath.Join(run, "train"), filepath.Join(run, "train.json")
	require.NoError(t, TrainStep(ctx, getenv(env), discard))
	trained, _ := readResult(t, env[EnvResult])
	env[EnvStep], env[EnvArtifactDir], env[EnvResult] = StepEvaluate, filepath.Join(run, "evaluate"), filepath.Join(run, "evaluate.json")
	env[EnvChallengerURI] = trained.ModelURI
	require.NoError(t, EvaluateStep(ctx, getenv(env), discard))
	evaluated, _ := readResult(t, env[EnvResult])
	t.Logf("holdout roc_auc: challenger %s %.3f, champion %s %.3f", trained.Version,
		evaluated.Metrics[quality.ROCAUC], st.Model.Version, evaluated.ChampionMetrics[quality.ROCAUC])
	require.Greater(t, evaluated.Metrics[quality.ROCAUC], evaluated.ChampionMetrics[quality.ROCAUC])

	// Deploy: swap the model and switch the reference.
	deployed, err := server.Swap(trained.ModelURI)
	require.NoError(t, err)
	require.Equal(t, trained.Version, deployed.Version)
	profile, err := reference.ReadProfile(trained.ProfileURI)
	require.NoError(t, err)

	lines = nil
	tick(24, 24+DefaultWindowEvents/DefaultRate)
	require.NoError(t, tr.Flush(t0.Add(time.Hour)))
	report, positive, scores := judge(t, st.Config.Name, profile, lines, rec)
	drifted := 0
	for _, f := range report.Features {
		if f.Drift {
			drifted++
			t.Errorf("feature %s drifts against the new reference: %s %.3f", f.Feature, f.Method, f.Statistic)
		}
	}
	auc, err := quality.ROCAUCScore(positive, scores)
	require.NoError(t, err)
	t.Logf("after the deploy: %d of %d features drift, roc_auc %.3f on %d served predictions", drifted, len(report.Features), auc, len(scores))
	require.GreaterOrEqual(t, auc, DefaultMinROCAUC)
}

// judge decodes the prediction events as driftwatch does, feeds them to a
// drift window of profile, evaluates it with the demo's drift settings
// and pairs each prediction's score with its recorded label.
func judge(t *testing.T, model string, profile *drift.Profile, lines [][]byte, rec *Recorder) (drift.Report, []bool, []float64) {
	t.Helper()
	cfg := ModelConfig(t.TempDir())
	dec, err := event.NewDecoder(cfg)
	require.NoError(t, err)
	w, err := drift.NewWindow(profile, drift.WindowOptions{Seed: 1})
	require.NoError(t, err)
	train, holdout := rec.Split()
	labels := map[string]bool{}
	for _, e := range append(train, holdout...) {
		labels[e.ID] = e.Default
	}
	var positive []bool
	var scores []float64
	var ev event.Event
	for _, line := range lines {
		require.NoError(t, dec.DecodeJSON(&ev, event.KindPrediction, line, time.Time{}))
		for i, v := range ev.Features {
			if i < NumNumeric {
				w.Numeric(i).Add(v.Num)
			} else {
				w.Categorical(i).AddBytes(v.Text)
			}
		}
		w.PredictionCategorical().AddBytes(ev.Prediction.Text)
		w.AddEvents(1)
		label, ok := labels[string(ev.ID)]
		require.True(t, ok, "no label for %s", ev.ID)
		positive, scores = append(positive, label), append(scores, ev.Score)
	}
	evaluator, err := drift.NewEvaluator(profile, evaluateOptions(cfg))
	require.NoError(t, err)
	r, err := evaluator.Evaluate(w)
	require.NoError(t, err)
	require.Equal(t, model, r.Model)
	return r, positive, scores
}
