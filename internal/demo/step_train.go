package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/drift/quality"
	"github.com/driftwatch/driftwatch/internal/atomicfile"
)

// TrainStep is the demo's train step. It fits a challenger on the
// examples file named by the "data" parameter, those in the run's data
// window, and writes, into
// DRIFTWATCH_ARTIFACT_DIR:
//
//   - model.json, the challenger's artifact, versioned "v<N+1>-<hash>"
//     after a champion "v<N>" (or "v1-<hash>" without one), the hash
//     naming its weights;
//   - profile.json, the reference profile of the training examples as the
//     challenger scores them (BuildProfile), for the monitor to switch to
//     when the challenger is deployed.
//
// Its result holds the training metrics, model_uri, version and
// profile_uri, with absolute paths. The step is idempotent: the same
// examples, parameters and champion version write the same bytes, and a
// rerun replaces each file atomically.
func TrainStep(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	env, err := readStepEnv(getenv, StepTrain)
	if err != nil {
		return err
	}
	opts, err := fitOptions(env)
	if err != nil {
		return fmt.Errorf("train step: %w", err)
	}
	examples, err := env.readExamples(ParamData)
	if err != nil {
		return fmt.Errorf("train step: %w", err)
	}
	if len(examples) <= smallReference {
		logger.Warn("few training examples: drift against the challenger's reference will use hypothesis tests, which flag more",
			"rows", len(examples), "distances_from", smallReference+1)
	}
	start := time.Now()
	m, err := Fit(env.Model, examples, opts)
	if err != nil {
		return fmt.Errorf("train step: %w", err)
	}
	fitted := time.Since(start)
	if m.Version, err = nextVersion(env.ChampionVersion, m); err != nil {
		return fmt.Errorf("train step: %w", err)
	}
	res, err := writeTrained(ctx, env, m, examples)
	if err != nil {
		return fmt.Errorf("train step: %w", err)
	}
	if err := env.writeResult(res); err != nil {
		return fmt.Errorf("train step: %w", err)
	}
	logger.Info("trained challenger", "run", env.RunID, "model", env.Model, "version", m.Version, "window", env.window(),
		"champion", env.ChampionVersion, "rows", len(examples), "positives", m.Training.Positives,
		"iterations", m.Training.Iterations, "fit_time", fitted, "roc_auc", res.Metrics[quality.ROCAUC], "model_uri", res.ModelURI)
	return nil
}

// fitOptions reads the train step's hyperparameters.
func fitOptions(env stepEnv) (FitOptions, error) {
	var opts FitOptions
	if s, ok := env.Params[ParamL2]; ok {
		l2, err := strconv.ParseFloat(s, 64)
		if err != nil || !(l2 > 0) || math.IsInf(l2, 1) {
			return opts, fmt.Errorf("%s: parameter %q is %q, want a positive number", EnvParams, ParamL2, s)
		}
		opts.L2 = l2
	}
	return opts, nil
}

// writeTrained scores the challenger on its training examples and writes
// its artifact and reference profile.
func writeTrained(ctx context.Context, env stepEnv, m *Model, examples []Example) (Result, error) {
	metrics, err := Metrics(m, examples)
	if err != nil {
		return Result{}, err
	}
	cfg := ModelConfig("")
	cfg.Name = env.Model
	p, err := BuildProfile(ctx, cfg, m, examples)
	if err != nil {
		return Result{}, err
	}
	profile, err := p.Encode()
	if err != nil {
		return Result{}, err
	}
	if err := os.MkdirAll(env.ArtifactDir, 0o755); err != nil {
		return Result{}, err
	}
	res := Result{Metrics: metrics, Version: m.Version}
	if res.ModelURI, err = uri(filepath.Join(env.ArtifactDir, modelFile)); err != nil {
		return Result{}, err
	}
	if res.ProfileURI, err = uri(filepath.Join(env.ArtifactDir, profileFile)); err != nil {
		return Result{}, err
	}
	if err := m.WriteFile(res.ModelURI); err != nil {
		return Result{}, err
	}
	if err := atomicfile.Write(res.ProfileURI, profile); err != nil {
		return Result{}, err
	}
	return res, nil
}

// nextVersion names a challenger: the generation after the champion's,
// then the hash of its weights. A champion version that does not start
// with "v<N>" counts as generation 0.
func nextVersion(champion string, m *Model) (string, error) {
	hash, err := m.contentHash()
	if err != nil {
		return "", err
	}
	gen := 0
	if rest, ok := strings.CutPrefix(champion, "v"); ok {
		digits, _, _ := strings.Cut(rest, "-")
		if n, err := strconv.Atoi(digits); err == nil && n >= 0 {
			gen = n
		}
	}
	return fmt.Sprintf("v%d-%s", gen+1, hash), nil
}
