package demo

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/driftwatch/driftwatch/drift/quality"
)

// EvaluateStep is the demo's evaluate step. It scores the challenger
// (DRIFTWATCH_CHALLENGER_URI, the train step's model_uri) and, when there
// is one, the champion (DRIFTWATCH_CHAMPION_URI) on the same holdout, the
// examples file named by the "holdout" parameter, those in the run's data
// window. Its result holds the
// challenger's roc_auc, accuracy, log_loss and brier as metrics and the
// champion's as champion_metrics. It writes nothing else, so running it
// again writes the same result.
func EvaluateStep(ctx context.Context, getenv func(string) string, logger *slog.Logger) error {
	env, err := readStepEnv(getenv, StepEvaluate)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	holdout, err := env.readExamples(ParamHoldout)
	if err != nil {
		return fmt.Errorf("evaluate step: %w", err)
	}
	var res Result
	challenger, err := env.score(env.ChallengerURI, holdout)
	if err != nil {
		return fmt.Errorf("evaluate step: challenger: %w", err)
	}
	res.Metrics = challenger
	if env.ChampionURI != "" {
		if res.ChampionMetrics, err = env.score(env.ChampionURI, holdout); err != nil {
			return fmt.Errorf("evaluate step: champion: %w", err)
		}
	}
	if err := env.writeResult(res); err != nil {
		return fmt.Errorf("evaluate step: %w", err)
	}
	logger.Info("evaluated challenger", "run", env.RunID, "model", env.Model, "holdout_rows", len(holdout),
		"challenger_roc_auc", res.Metrics[quality.ROCAUC], "champion", env.ChampionVersion,
		"champion_roc_auc", res.ChampionMetrics[quality.ROCAUC])
	return nil
}

// score reads the artifact at uri, a path or a file:// URI, checks that it
// is the step's model and returns its metrics on the examples.
func (e stepEnv) score(uri string, examples []Example) (map[quality.Metric]float64, error) {
	m, err := ReadModel(strings.TrimPrefix(uri, "file://"))
	if err != nil {
		return nil, err
	}
	if m.Name != e.Model {
		return nil, fmt.Errorf("%s holds model %q, not %q", uri, m.Name, e.Model)
	}
	return Metrics(m, examples)
}
