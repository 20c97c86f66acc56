package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/driftwatch/driftwatch/drift/quality"
	"github.com/driftwatch/driftwatch/internal/atomicfile"
)

// The environment of the step contract, which the pipeline runner sets for
// every step.
const (
	EnvRunID           = "DRIFTWATCH_RUN_ID"
	EnvModel           = "DRIFTWATCH_MODEL"
	EnvStep            = "DRIFTWATCH_STEP"
	EnvParams          = "DRIFTWATCH_PARAMS"
	EnvArtifactDir     = "DRIFTWATCH_ARTIFACT_DIR"
	EnvChampionVersion = "DRIFTWATCH_CHAMPION_VERSION"
	EnvChampionURI     = "DRIFTWATCH_CHAMPION_URI"
	EnvChallengerURI   = "DRIFTWATCH_CHALLENGER_URI"
	EnvResult          = "DRIFTWATCH_RESULT"
	// EnvDataStart and EnvDataEnd bound the run's data window in RFC 3339,
	// empty when unbounded. The runner sets them from the run parameters
	// data_start and data_end, or from the wiring's default window. The
	// steps use only the examples in [start, end), so that a model
	// retrained after a shift learns from the shifted world alone.
	EnvDataStart = "DRIFTWATCH_DATA_START"
	EnvDataEnd   = "DRIFTWATCH_DATA_END"
)

// The run parameters the demo's steps read from DRIFTWATCH_PARAMS, a JSON
// object of strings. A run passes the same parameters to every step, so
// each step ignores the parameters it does not know.
const (
	// ParamData is the examples file to train on (train, required).
	ParamData = "data"
	// ParamHoldout is the examples file to evaluate on (evaluate,
	// required).
	ParamHoldout = "holdout"
	// ParamL2 is the ridge penalty λ as a decimal number (train,
	// optional, default DefaultL2).
	ParamL2 = "l2"
)

// The step names, as DRIFTWATCH_STEP carries them.
const (
	StepTrain    = "train"
	StepEvaluate = "evaluate"
)

// MaxResultBytes bounds a step's result file, as the pipeline runner
// does (the size of a Kubernetes termination message).
const MaxResultBytes = 4096

// Result is a step's result file. Train fills Metrics (on its training
// examples), ModelURI, Version and ProfileURI; evaluate fills Metrics (the
// challenger's) and ChampionMetrics, on the same holdout, leaving
// ChampionMetrics out when there is no champion.
type Result struct {
	Metrics         map[quality.Metric]float64 `json:"metrics"`
	ChampionMetrics map[quality.Metric]float64 `json:"champion_metrics,omitempty"`
	ModelURI        string                     `json:"model_uri,omitempty"`
	Version         string                     `json:"version,omitempty"`
	ProfileURI      string                     `json:"profile_uri,omitempty"`
}

// StepFunc is a pipeline step: it reads the step contract through getenv
// (os.Getenv in a real step), does its work, writes its result file and
// logs to logger.
type StepFunc func(ctx context.Context, getenv func(string) string, logger *slog.Logger) error

// Step returns the step of the given name: StepTrain or StepEvaluate.
func Step(name string) (StepFunc, error) {
	switch name {
	case StepTrain:
		return TrainStep, nil
	case StepEvaluate:
		return EvaluateStep, nil
	}
	return nil, fmt.Errorf("unknown demo step %q (want %s or %s)", name, StepTrain, StepEvaluate)
}

// stepEnv is the step contract as one step reads it.
type stepEnv struct {
	RunID, Model, Step string
	Params             map[string]string
	ArtifactDir        string
	ChampionVersion    string
	ChampionURI        string
	ChallengerURI      string
	Result             string
	// Start and End bound the data window; zero when unbounded.
	Start, End time.Time
}

// readStepEnv reads the contract for step and reports every problem at
// once: a missing required variable, malformed parameters, or a
// DRIFTWATCH_STEP naming another step.
func readStepEnv(getenv func(string) string, step string) (stepEnv, error) {
	e := stepEnv{
		RunID: getenv(EnvRunID), Model: getenv(EnvModel), Step: getenv(EnvStep),
		ArtifactDir: getenv(EnvArtifactDir), ChampionVersion: getenv(EnvChampionVersion),
		ChampionURI: getenv(EnvChampionURI), ChallengerURI: getenv(EnvChallengerURI),
		Result: getenv(EnvResult),
	}
	required := []string{EnvModel, EnvResult, EnvArtifactDir}
	if step == StepEvaluate {
		required = []string{EnvModel, EnvResult, EnvChallengerURI}
	}
	var errs []error
	for _, name := range required {
		if getenv(name) == "" {
			errs = append(errs, fmt.Errorf("%s is required", name))
		}
	}
	if e.Step != "" && e.Step != step {
		errs = append(errs, fmt.Errorf("%s is %q, but this is the %s step", EnvStep, e.Step, step))
	}
	params, err := parseParams(getenv(EnvParams))
	if err != nil {
		errs = append(errs, err)
	}
	e.Params = params
	for _, b := range []struct {
		name string
		dst  *time.Time
	}{{EnvDataStart, &e.Start}, {EnvDataEnd, &e.End}} {
		if s := getenv(b.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not an RFC 3339 time", b.name, s))
			}
			*b.dst = t
		}
	}
	if err := errors.Join(errs...); err != nil {
		return stepEnv{}, fmt.Errorf("%s step: %w", step, err)
	}
	return e, nil
}

// parseParams decodes DRIFTWATCH_PARAMS; empty means no parameters.
func parseParams(s string) (map[string]string, error) {
	params := map[string]string{}
	if s == "" {
		return params, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	if err := dec.Decode(&params); err != nil || dec.More() || params == nil {
		return nil, fmt.Errorf("%s: want a JSON object of strings, got %q", EnvParams, s)
	}
	return params, nil
}

// param returns a required parameter.
func (e stepEnv) param(name string) (string, error) {
	v := e.Params[name]
	if v == "" {
		return "", fmt.Errorf("%s: parameter %q is required", EnvParams, name)
	}
	return v, nil
}

// readExamples reads an examples file named by a parameter and keeps the
// examples in the data window.
func (e stepEnv) readExamples(param string) ([]Example, error) {
	path, err := e.param(param)
	if err != nil {
		return nil, err
	}
	examples, err := ReadExamples(path)
	if err != nil {
		return nil, err
	}
	if e.Start.IsZero() && e.End.IsZero() {
		return examples, nil
	}
	kept := slices.DeleteFunc(examples, func(ex Example) bool {
		return ex.Time.Before(e.Start) || !e.End.IsZero() && !ex.Time.Before(e.End)
	})
	if len(kept) == 0 {
		return nil, fmt.Errorf("%s holds no examples in the data window %s", path, e.window())
	}
	return kept, nil
}

// window describes the data window, "[start, end)" with an empty side
// for an unbounded one.
func (e stepEnv) window() string {
	format := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("[%s, %s)", format(e.Start), format(e.End))
}

// writeResult writes r to the result file atomically, checking its size.
func (e stepEnv) writeResult(r Result) error {
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	data = append(data, '\n')
	if len(data) > MaxResultBytes {
		return fmt.Errorf("result is %d bytes, more than %d", len(data), MaxResultBytes)
	}
	return atomicfile.Write(e.Result, data)
}

// uri returns the absolute form of a path written into a result, so the
// runner and later steps find it whatever their working directory.
func uri(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", path, err)
	}
	return abs, nil
}
