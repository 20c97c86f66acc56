package quality

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Metric names a model-quality metric as it appears in configuration.
type Metric string

// The metrics this package evaluates. Their definitions follow
// scikit-learn 1.9.1; see the package documentation.
const (
	Accuracy       Metric = "accuracy"
	Precision      Metric = "precision"
	Recall         Metric = "recall"
	F1             Metric = "f1"
	PrecisionMacro Metric = "precision_macro"
	RecallMacro    Metric = "recall_macro"
	F1Macro        Metric = "f1_macro"
	ROCAUC         Metric = "roc_auc"
	LogLoss        Metric = "log_loss"
	Brier          Metric = "brier"
	MAE            Metric = "mae"
	RMSE           Metric = "rmse"
	MAPE           Metric = "mape"
	R2             Metric = "r2"
)

// Kind says which pairs a metric is computed from, and so which accumulator
// a collector feeds for it.
type Kind string

// The kinds of input a metric may need.
const (
	// LabelKind metrics compare a predicted class with the true class.
	LabelKind Kind = "labels"
	// ScoreKind metrics compare a score for the positive class (a
	// probability for log_loss and brier) with whether the sample is
	// positive.
	ScoreKind Kind = "scores"
	// RegressionKind metrics compare a predicted number with the true one.
	RegressionKind Kind = "regression"
)

// ErrUndefined marks a metric that is not defined on the given samples: no
// samples at all, a single class for roc_auc, or fewer than two samples for
// r2. Callers test for it with errors.Is and usually skip the window rather
// than treat it as a failure.
var ErrUndefined = errors.New("metric undefined")

// Metrics returns every known metric in documentation order.
func Metrics() []Metric {
	return []Metric{
		Accuracy, Precision, Recall, F1, PrecisionMacro, RecallMacro, F1Macro,
		ROCAUC, LogLoss, Brier, MAE, RMSE, MAPE, R2,
	}
}

// Validate reports whether m is one of the known metrics.
func (m Metric) Validate() error {
	if m.Kind() != "" {
		return nil
	}
	names := make([]string, 0, len(Metrics()))
	for _, known := range Metrics() {
		names = append(names, string(known))
	}
	want := strings.Join(names, ", ")
	if m == "" {
		return fmt.Errorf("metric is required (want one of %s)", want)
	}
	return fmt.Errorf("unknown metric %q (want one of %s)", string(m), want)
}

// Kind returns the input m is computed from, or "" for an unknown metric.
func (m Metric) Kind() Kind {
	switch m {
	case Accuracy, Precision, Recall, F1, PrecisionMacro, RecallMacro, F1Macro:
		return LabelKind
	case ROCAUC, LogLoss, Brier:
		return ScoreKind
	case MAE, RMSE, MAPE, R2:
		return RegressionKind
	default:
		return ""
	}
}

// Classification reports whether k is computed from class labels.
func (k Kind) Classification() bool {
	return k == LabelKind || k == ScoreKind
}

// HigherIsBetter reports whether larger values of m mean a better model.
// Scores (accuracy, precision, recall, F1, ROC AUC, R²) are; losses and
// errors (log loss, Brier, MAE, RMSE, MAPE) are not. It returns false for an
// unknown metric, so call Validate first.
func (m Metric) HigherIsBetter() bool {
	switch m {
	case Accuracy, Precision, Recall, F1, PrecisionMacro, RecallMacro, F1Macro, ROCAUC, R2:
		return true
	default:
		return false
	}
}

// Breaches reports whether value is worse than threshold: below it for a
// metric where higher is better, above it otherwise. A value equal to the
// threshold does not breach. A NaN value always breaches, so a broken
// evaluation is never mistaken for a healthy model.
func (m Metric) Breaches(value, threshold float64) bool {
	if math.IsNaN(value) {
		return true
	}
	if m.HigherIsBetter() {
		return value < threshold
	}
	return value > threshold
}

// Bounds returns the closed range of values m can take; an infinite end
// means the metric is unbounded on that side.
func (m Metric) Bounds() (lo, hi float64) {
	switch m {
	case LogLoss, MAE, RMSE, MAPE:
		return 0, math.Inf(1)
	case R2:
		return math.Inf(-1), 1
	default:
		return 0, 1
	}
}

// ValidateThreshold reports whether t is a usable alert threshold for m: a
// known metric and a finite number inside Bounds.
func (m Metric) ValidateThreshold(t float64) error {
	if err := m.Validate(); err != nil {
		return err
	}
	lo, hi := m.Bounds()
	if math.IsNaN(t) || math.IsInf(t, 0) || t < lo || t > hi {
		return fmt.Errorf("threshold %v for %s is outside [%v, %v]", t, m, lo, hi)
	}
	return nil
}
