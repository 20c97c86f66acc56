package monitor

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift"
	"github.com/driftwatch/driftwatch/drift/quality"
)

// Defaults of Options.
const (
	// DefaultMaxOpenWindows bounds the time windows open at once. With
	// windows at least as long as the allowed lateness, two are open at
	// most; the bound matters only when allowed_lateness is several window
	// sizes.
	DefaultMaxOpenWindows = 8
	// DefaultMaxFutureSkew is how far ahead of the clock an event's time
	// may be.
	DefaultMaxFutureSkew = time.Hour
	// DefaultJoinSaveInterval is how often the label join is saved while
	// predictions arrive.
	DefaultJoinSaveInterval = 10 * time.Second
)

// Options are the dependencies and the tuning of a Monitor. Config,
// Profile, Store, Checkpointer and Logger are required.
type Options struct {
	// Config is the model's configuration, validated by its loader.
	Config collectors.ModelConfig
	// Profile is the model's reference profile. It must hold exactly the
	// configured features, by name and type, and must not change.
	Profile *drift.Profile
	// Store receives the model's snapshots and exports them.
	Store *Store
	// Checkpointer keeps the model's checkpoint (see the package
	// documentation).
	Checkpointer Checkpointer
	Logger       *slog.Logger
	// Now is the wall clock, for the idle close of time windows and the
	// future skew check. It defaults to time.Now.
	Now func() time.Time
	// Lag, when set, reports the consumer lag exported with the model's
	// metrics. It is called at every scrape, from the scraping goroutine.
	Lag LagFunc

	// MaxOpenWindows bounds the time windows open at once, per kind
	// (default DefaultMaxOpenWindows). When an event needs one more, the
	// oldest open window is closed early, as if its allowed lateness had
	// passed; an event older than every open window is then late.
	MaxOpenWindows int
	// MaxFutureSkew rejects events whose time is further than this ahead
	// of Now (reason future_timestamp); default DefaultMaxFutureSkew, and
	// a negative value turns the check off.
	MaxFutureSkew time.Duration
	// DisableIdleClose keeps time windows open while their stream is
	// quiet, until later events or Flush close them. A file replay sets it:
	// its event times are history, and only the end of the file tells that
	// a window is complete.
	DisableIdleClose bool
	// JoinSaveInterval is how often, at most, a Sync saves the label join
	// while predictions arrive (default DefaultJoinSaveInterval); it is
	// also saved whenever a quality window closes. Offsets of predictions
	// that joined the buffer since the last save are not committed, so a
	// restart reads up to this much of the prediction stream again. A
	// negative value saves it at every Sync.
	JoinSaveInterval time.Duration
	// Seed seeds the windows' samples; zero is a seed like any other.
	Seed uint64
	// ScoreCapacity bounds the (score, outcome) pairs a quality window
	// keeps for ROC AUC (default quality.DefaultScoreCapacity).
	ScoreCapacity int
}

// Lag is the consumer lag of one partition, in messages.
type Lag struct {
	Topic     string
	Partition int32
	Messages  int64
}

// LagFunc reports the current consumer lag of a model's partitions. It
// must be safe to call from any goroutine and must not block.
type LagFunc func() []Lag

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxOpenWindows == 0 {
		o.MaxOpenWindows = DefaultMaxOpenWindows
	}
	if o.JoinSaveInterval == 0 {
		o.JoinSaveInterval = DefaultJoinSaveInterval
	}
	if o.MaxFutureSkew == 0 {
		o.MaxFutureSkew = DefaultMaxFutureSkew
	}
	if o.ScoreCapacity == 0 {
		o.ScoreCapacity = quality.DefaultScoreCapacity
	}
	return o
}

// validate reports every problem with the options at once.
func (o Options) validate() error {
	var errs []error
	for _, missing := range []struct {
		name string
		nil  bool
	}{
		{"Profile", o.Profile == nil}, {"Store", o.Store == nil},
		{"Checkpointer", o.Checkpointer == nil}, {"Logger", o.Logger == nil},
	} {
		if missing.nil {
			errs = append(errs, fmt.Errorf("required Options.%s is missing", missing.name))
		}
	}
	cfg := o.Config
	if cfg.Name == "" {
		errs = append(errs, errors.New("Options.Config.Name is required"))
	}
	if err := cfg.Window.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("window: %w", err))
	}
	if cfg.Label.Enabled {
		if err := cfg.Label.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("label: %w", err))
		}
	}
	if err := cfg.Quality.Validate(cfg.Prediction.Kind); err != nil && len(cfg.Quality.Metrics) > 0 {
		errs = append(errs, fmt.Errorf("quality: %w", err))
	}
	if o.MaxOpenWindows < 1 {
		errs = append(errs, fmt.Errorf("Options.MaxOpenWindows must be at least 1, got %d", o.MaxOpenWindows))
	}
	if o.ScoreCapacity < 2 {
		errs = append(errs, fmt.Errorf("Options.ScoreCapacity must be at least 2, got %d", o.ScoreCapacity))
	}
	if o.Profile != nil {
		errs = append(errs, checkProfile(cfg, o.Profile)...)
	}
	return errors.Join(errs...)
}

// checkProfile reports features that the configuration and the profile
// disagree on.
func checkProfile(cfg collectors.ModelConfig, p *drift.Profile) []error {
	var errs []error
	if len(p.Features) != len(cfg.Features) {
		errs = append(errs, fmt.Errorf("the profile has %d features, the configuration %d", len(p.Features), len(cfg.Features)))
	}
	for _, f := range cfg.Features {
		fp, ok := p.Feature(f.Name)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("feature %q is not in the profile", f.Name))
		case fp.Type != f.Type:
			errs = append(errs, fmt.Errorf("feature %q is %s in the configuration but %s in the profile", f.Name, f.Type, fp.Type))
		}
	}
	if p.Prediction != nil && p.Prediction.Type != predictionType(cfg.Prediction.Kind) {
		errs = append(errs, fmt.Errorf("the profile's prediction is %s, but a %s model's is %s", p.Prediction.Type, cfg.Prediction.Kind, predictionType(cfg.Prediction.Kind)))
	}
	return errs
}

// predictionType is how a model's prediction is compared: a regression's
// as a number, a classifier's as a class.
func predictionType(k collectors.PredictionKind) drift.FeatureType {
	if k == collectors.Regression {
		return drift.Numeric
	}
	return drift.Categorical
}

// evaluateOptions translates the model's drift settings for the
// evaluator, where "auto" is the empty method and an unset threshold zero.
func evaluateOptions(cfg collectors.ModelConfig) drift.EvaluateOptions {
	o := drift.EvaluateOptions{
		NumericMethod:     autoMethod(cfg.Drift.NumericMethod),
		CategoricalMethod: autoMethod(cfg.Drift.CategoricalMethod),
		Thresholds:        cfg.Drift.Thresholds,
		Prediction:        featureOptions(cfg.Prediction.Drift),
		DriftShare:        cfg.Drift.DatasetShare,
		Correction:        cfg.Drift.Correction,
		PSIEpsilon:        cfg.Drift.PSIEpsilon,
		MinEvents:         int64(cfg.Window.MinEvents),
	}
	for _, f := range cfg.Features {
		if fo := featureOptions(f.Drift); fo != (drift.FeatureOptions{}) {
			if o.Features == nil {
				o.Features = map[string]drift.FeatureOptions{}
			}
			o.Features[f.Name] = fo
		}
	}
	return o
}

func featureOptions(c collectors.FeatureDriftConfig) drift.FeatureOptions {
	fo := drift.FeatureOptions{Method: autoMethod(c.Method), Disabled: c.Disabled}
	if c.Threshold != nil {
		fo.Threshold = *c.Threshold
	}
	return fo
}

func autoMethod(m drift.Method) drift.Method {
	if m == collectors.MethodAuto {
		return ""
	}
	return m
}
