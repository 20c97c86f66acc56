package demo

import (
	"path/filepath"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/drift/quality"
)

// The demo model and the sizes the demo runs at by default. The drift and
// quality tests of this package hold at these sizes.
const (
	// ModelName is the demo model's name.
	ModelName = "credit-risk"
	// InitialVersion is the version of the first champion.
	InitialVersion = "v1"
	// DefaultTrainingRows is the number of baseline examples the first
	// champion and its reference profile are built from. Above 1,000 rows
	// the drift methods default to distances (Wasserstein for numeric
	// features, Jensen-Shannon for categorical ones), which do not flag
	// negligible shifts on large windows as hypothesis tests would.
	DefaultTrainingRows = 4000
	// smallReference is the largest reference for which the drift methods
	// default to hypothesis tests (drift.DefaultMethod).
	smallReference = 1000
	// DefaultWindowEvents is the number of predictions per drift window,
	// and of labels per quality window.
	DefaultWindowEvents = 1000
	// DefaultRecentRows is the number of recent labelled examples the
	// Recorder keeps, of which every DefaultHoldoutEvery-th is held out:
	// 2,400 to train on and 600 to evaluate on.
	DefaultRecentRows   = 3000
	DefaultHoldoutEvery = 5
	// DefaultDatasetShare is the share of drifted features at which a
	// window drifts as a whole. The shift moves 3 of the 12 features.
	DefaultDatasetShare = 0.25
	// DefaultWassersteinThreshold is the demo's threshold of the
	// normalised Wasserstein distance, twice the method's default: between
	// a window of 1,000 and a reference of 4,000 rows, an unshifted
	// feature's distance has a median of 0.04 and a 99th percentile of
	// 0.10 (300 windows, all seven numeric features), so 0.1 would flag a
	// feature in a few windows by chance. The shifted features score 0.65
	// (income) and 1.1 (utilization).
	DefaultWassersteinThreshold = 0.2
	// DefaultMinROCAUC and DefaultMaxBrier are the quality thresholds of
	// the demo model's alerts. Before the shift a window of the first
	// champion scores about 0.81 and 0.14, after it about 0.67 and 0.25,
	// and a champion retrained after the shift about 0.83 and 0.16.
	DefaultMinROCAUC = 0.75
	DefaultMaxBrier  = 0.2
)

// Files of the demo directory, relative to it.
const (
	predictionsFile = "events/predictions.jsonl"
	labelsFile      = "events/labels.jsonl"
	modelFile       = "model.json"
	profileFile     = "profile.json"
	trainingFile    = "training.jsonl"
)

// ModelConfig returns the configuration of the demo model, with the
// loader's defaults applied and valid, for a demo that keeps its files in
// dir:
//
//   - the twelve features of Features, a binary prediction with classes
//     "0" and "1" (a default), labels joined by id;
//   - a file source over dir/events/predictions.jsonl and
//     dir/events/labels.jsonl, where WriterSink writes the events if asked
//     to (a demo that hands events to the monitor directly never opens
//     them);
//   - the first champion's reference profile, which InitialState writes;
//   - count windows of DefaultWindowEvents, at least half full to be
//     judged; drift methods chosen by reference size (distances, at the
//     default sizes), Wasserstein at DefaultWassersteinThreshold, and
//     dataset drift at DefaultDatasetShare;
//   - quality alerts below DefaultMinROCAUC and above DefaultMaxBrier, on
//     windows of at least a fifth of a window of labels.
func ModelConfig(dir string) collectors.ModelConfig {
	var c collectors.ModelConfig
	c.Prediction.SetDefaults()
	c.Label.SetDefaults()
	c.Source.Fields.SetDefaults()
	c.Reference.SetDefaults()
	c.Window.SetDefaults()
	c.Drift.SetDefaults()
	c.Quality.SetDefaults()

	c.Name, c.Version, c.Features = ModelName, InitialVersion, Features()
	c.Prediction.Kind = collectors.Binary
	c.Prediction.PositiveClass = positiveClass
	c.Prediction.Classes = []string{negativeClass, positiveClass}
	c.Label.Enabled = true
	c.Label.TTL = time.Hour
	c.Label.MaxEntries = 100_000
	c.Source.Type = collectors.SourceFile
	c.Source.File = collectors.FileSourceConfig{
		Path:       filepath.Join(dir, predictionsFile),
		LabelsPath: filepath.Join(dir, labelsFile),
		Format:     collectors.FormatJSONL,
	}
	c.Reference.Profile = filepath.Join(versionDir(dir, InitialVersion), profileFile)
	c.Window.Count = DefaultWindowEvents
	c.Window.MinEvents = DefaultWindowEvents / 2
	c.Drift.DatasetShare = DefaultDatasetShare
	c.Drift.Thresholds = map[drift.Method]float64{drift.MethodWasserstein: DefaultWassersteinThreshold}
	c.Quality.MinLabels = DefaultWindowEvents / 5
	c.Quality.Metrics = []collectors.QualityMetricConfig{
		{Metric: quality.ROCAUC, Threshold: DefaultMinROCAUC},
		{Metric: quality.Brier, Threshold: DefaultMaxBrier},
	}
	return c
}

// versionDir is where the artifacts of a model version live.
func versionDir(dir, version string) string {
	return filepath.Join(dir, "models", version)
}
