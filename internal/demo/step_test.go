package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/drift/quality"
)

// stepFixture is a demo after the shift: the first champion, and the
// recent examples written by a recorder.
type stepFixture struct {
	dir                   string
	initial               *Initial
	dataPath, holdoutPath string
}

func newStepFixture(t testing.TB) *stepFixture {
	t.Helper()
	dir := t.TempDir()
	st, err := InitialState(context.Background(), dir, InitialOptions{Seed: 1})
	require.NoError(t, err)
	rec, err := NewRecorder(DefaultRecentRows, DefaultHoldoutEvery)
	require.NoError(t, err)
	for _, e := range stamp(draw(DefaultRecentRows, Shifted, 2), t0) {
		rec.Add(e)
	}
	f := &stepFixture{
		dir: dir, initial: st,
		dataPath: filepath.Join(dir, "data", "recent.jsonl"), holdoutPath: filepath.Join(dir, "data", "holdout.jsonl"),
	}
	_, _, err = rec.WriteFiles(f.dataPath, f.holdoutPath)
	require.NoError(t, err)
	return f
}

// env returns the step contract of run-1's step.
func (f *stepFixture) env(step string) map[string]string {
	params, _ := json.Marshal(map[string]string{ParamData: f.dataPath, ParamHoldout: f.holdoutPath, "git_sha": "abc123"})
	run := filepath.Join(f.dir, "runs", "run-1")
	return map[string]string{
		EnvRunID: "run-1", EnvModel: ModelName, EnvStep: step, EnvParams: string(params),
		EnvArtifactDir: filepath.Join(run, step), EnvResult: filepath.Join(run, step+".result.json"),
		EnvChampionVersion: InitialVersion, EnvChampionURI: f.initial.ModelPath,
	}
}

func getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

var discard = slog.New(slog.DiscardHandler)

// readResult reads a result file as the runner would: at most
// MaxResultBytes, no unknown fields.
func readResult(t *testing.T, path string) (Result, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.LessOrEqual(t, len(data), MaxResultBytes)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Result
	require.NoError(t, dec.Decode(&r))
	return r, data
}

// files returns the contents of every file under dir.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out[e.Name()] = string(data)
	}
	return out
}

func TestTrainAndEvaluateSteps(t *testing.T) {
	ctx := context.Background()
	f := newStepFixture(t)

	train := f.env(StepTrain)
	require.NoError(t, TrainStep(ctx, getenv(train), discard))
	res, first := readResult(t, train[EnvResult])
	t.Logf("train result (%d bytes): %s", len(first), first)
	require.True(t, strings.HasPrefix(res.Version, "v2-"), res.Version)
	require.Equal(t, []quality.Metric{quality.Accuracy, quality.Brier, quality.LogLoss, quality.ROCAUC}, slices.Sorted(maps.Keys(res.Metrics)))
	require.True(t, filepath.IsAbs(res.ModelURI) && filepath.IsAbs(res.ProfileURI))

	m, err := ReadModel(res.ModelURI)
	require.NoError(t, err)
	require.Equal(t, res.Version, m.Version)
	require.Equal(t, DefaultRecentRows-DefaultRecentRows/DefaultHoldoutEvery, m.Training.Rows)
	data, err := os.ReadFile(res.ProfileURI)
	require.NoError(t, err)
	p, err := drift.DecodeProfile(data)
	require.NoError(t, err)
	require.Equal(t, res.Version, p.ModelVersion)
	require.Equal(t, ModelName, p.Model)
	require.Equal(t, t0, p.CreatedAt)
	for i, fc := range f.initial.Config.Features {
		require.Equal(t, fc.Name, p.Features[i].Name)
		require.Equal(t, fc.Type, p.Features[i].Type)
	}
	require.NotNil(t, p.Prediction)

	// Running again writes the same bytes, and leaves no temporary files.
	artifacts := files(t, train[EnvArtifactDir])
	require.Equal(t, []string{modelFile, profileFile}, slices.Sorted(maps.Keys(artifacts)))
	require.NoError(t, TrainStep(ctx, getenv(train), discard))
	_, second := readResult(t, train[EnvResult])
	require.Equal(t, string(first), string(second))
	require.Equal(t, artifacts, files(t, train[EnvArtifactDir]))

	eval := f.env(StepEvaluate)
	eval[EnvChallengerURI] = res.ModelURI
	require.NoError(t, EvaluateStep(ctx, getenv(eval), discard))
	ev, first := readResult(t, eval[EnvResult])
	t.Logf("evaluate result (%d bytes): %s", len(first), first)
	require.Greater(t, ev.Metrics["roc_auc"], ev.ChampionMetrics["roc_auc"]+0.1, "the challenger must beat the champion after the shift")
	require.Less(t, ev.Metrics["log_loss"], ev.ChampionMetrics["log_loss"])
	require.NoError(t, EvaluateStep(ctx, getenv(eval), discard))
	_, second = readResult(t, eval[EnvResult])
	require.Equal(t, string(first), string(second))

	// Without a champion there are no champion metrics.
	delete(eval, EnvChampionURI)
	delete(eval, EnvChampionVersion)
	require.NoError(t, EvaluateStep(ctx, getenv(eval), discard))
	ev, data = readResult(t, eval[EnvResult])
	require.Nil(t, ev.ChampionMetrics)
	require.NotContains(t, string(data), "champion_metrics")
}

func TestStepErrors(t *testing.T) {
	f := newStepFixture(t)
	oneClass := filepath.Join(f.dir, "one-class.jsonl")
	var negatives []Example
	for _, e := range stamp(draw(200, Baseline, 5), t0) {
		if !e.Default {
			negatives = append(negatives, e)
		}
	}
	require.NoError(t, WriteExamples(oneClass, negatives))
	fraud, err := Fit("fraud", stamp(draw(300, Baseline, 6), t0), FitOptions{})
	require.NoError(t, err)
	fraud.Version = "v1"
	fraudPath := filepath.Join(f.dir, "fraud.json")
	require.NoError(t, fraud.WriteFile(fraudPath))

	tests := []struct {
		name string
		step string
		edit func(env map[string]string)
		want []string
	}{
		{"no environment", StepTrain, func(env map[string]string) { clear(env) }, []string{
			"DRIFTWATCH_MODEL is required", "DRIFTWATCH_RESULT is required", "DRIFTWATCH_ARTIFACT_DIR is required",
		}},
		{"another step's environment", StepTrain, func(env map[string]string) { env[EnvStep] = StepEvaluate }, []string{
			`DRIFTWATCH_STEP is "evaluate", but this is the train step`,
		}},
		{"parameters not an object of strings", StepTrain, func(env map[string]string) { env[EnvParams] = `{"data": 1}` }, []string{
			`DRIFTWATCH_PARAMS: want a JSON object of strings, got "{\"data\": 1}"`,
		}},
		{"no data", StepTrain, func(env map[string]string) { env[EnvParams] = `{"holdout": "x"}` }, []string{
			`parameter "data" is required`,
		}},
		{"bad penalty", StepTrain, func(env map[string]string) { env[EnvParams] = `{"l2": "-1"}` }, []string{
			`parameter "l2" is "-1", want a positive number`,
		}},
		{"bad window", StepTrain, func(env map[string]string) { env[EnvDataStart] = "today" }, []string{
			`DRIFTWATCH_DATA_START: "today" is not an RFC 3339 time`,
		}},
		{"nothing in the window", StepEvaluate, func(env map[string]string) { env[EnvDataStart] = "2030-01-01T00:00:00Z" }, []string{
			"holdout.jsonl holds no examples in the data window [2030-01-01T00:00:00Z, )",
		}},
		{"missing data file", StepTrain, func(env map[string]string) { env[EnvParams] = `{"data": "/nonexistent.jsonl"}` }, []string{
			"read examples: open /nonexistent.jsonl",
		}},
		{"one class", StepTrain, func(env map[string]string) { env[EnvParams] = `{"data": "` + oneClass + `"}` }, []string{
			"one class only",
		}},
		{"no challenger", StepEvaluate, func(env map[string]string) { delete(env, EnvChallengerURI) }, []string{
			"DRIFTWATCH_CHALLENGER_URI is required",
		}},
		{"challenger of another model", StepEvaluate, func(env map[string]string) { env[EnvChallengerURI] = "file://" + fraudPath }, []string{
			`challenger: file://` + fraudPath + ` holds model "fraud", not "credit-risk"`,
		}},
		{"no holdout", StepEvaluate, func(env map[string]string) { env[EnvParams] = `{}` }, []string{
			`parameter "holdout" is required`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := f.env(tt.step)
			if tt.step == StepEvaluate {
				env[EnvChallengerURI] = f.initial.ModelPath
			}
			tt.edit(env)
			step, err := Step(tt.step)
			require.NoError(t, err)
			err = step(context.Background(), getenv(env), discard)
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
			_, statErr := os.Stat(f.env(tt.step)[EnvResult])
			require.True(t, os.IsNotExist(statErr), "a failed step writes no result")
		})
	}
}

// TestTrainStepDataWindow trains on the examples in the run's data window
// only, [start, end).
func TestTrainStepDataWindow(t *testing.T) {
	f := newStepFixture(t)
	before := stamp(draw(1000, Baseline, 7), t0.Add(-time.Hour))
	within := stamp(draw(1500, Shifted, 8), t0)
	after := stamp(draw(500, Shifted, 9), t0.Add(time.Hour))
	data := filepath.Join(f.dir, "mixed.jsonl")
	require.NoError(t, WriteExamples(data, slices.Concat(before, within, after)))
	tests := []struct {
		name       string
		start, end string
		want       int
	}{
		{"unbounded", "", "", 3000},
		{"from the start", t0.Format(time.RFC3339), "", 2000},
		{"to the end", "", t0.Add(time.Hour).Format(time.RFC3339), 2500},
		{"bounded", t0.Format(time.RFC3339), t0.Add(time.Hour).Format(time.RFC3339), 1500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := f.env(StepTrain)
			env[EnvParams] = `{"data": "` + data + `"}`
			env[EnvDataStart], env[EnvDataEnd] = tt.start, tt.end
			require.NoError(t, TrainStep(context.Background(), getenv(env), discard))
			res, _ := readResult(t, env[EnvResult])
			m, err := ReadModel(res.ModelURI)
			require.NoError(t, err)
			require.Equal(t, tt.want, m.Training.Rows)
		})
	}
}

func TestStepNames(t *testing.T) {
	_, err := Step("deploy")
	require.ErrorContains(t, err, `unknown demo step "deploy" (want train or evaluate)`)
}

func TestNextVersion(t *testing.T) {
	m := fit(t, draw(500, Baseline, 1), "")
	hash, err := m.contentHash()
	require.NoError(t, err)
	tests := []struct{ champion, want string }{
		{"", "v1-" + hash},
		{"v1", "v2-" + hash},
		{"v12-0a1b2c3d", "v13-" + hash},
		{"prod", "v1-" + hash},
	}
	for _, tt := range tests {
		got, err := nextVersion(tt.champion, m)
		require.NoError(t, err)
		require.Equal(t, tt.want, got, "after %q", tt.champion)
	}
}

// BenchmarkSteps times the train and evaluate steps at the demo's sizes:
// reading 2,400 examples, fitting, profiling and writing; reading 600 and
// scoring two models.
func BenchmarkSteps(b *testing.B) {
	f := newStepFixture(b)
	ctx := context.Background()
	train := f.env(StepTrain)
	b.Run("train", func(b *testing.B) {
		for b.Loop() {
			if err := TrainStep(ctx, getenv(train), discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	eval := f.env(StepEvaluate)
	eval[EnvChallengerURI] = f.initial.ModelPath
	b.Run("evaluate", func(b *testing.B) {
		for b.Loop() {
			if err := EvaluateStep(ctx, getenv(eval), discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
