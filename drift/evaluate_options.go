package drift

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
)

// This file holds the options of an Evaluator and resolves them, once per
// evaluator, into a plan for every column: the method (the column's own,
// else the model's for its type, else DefaultMethod by the reference's
// size) and the threshold (the column's own, else the method's override,
// else its default).

// EvaluateOptions configure an Evaluator. The zero value tests every
// feature and the prediction with DefaultMethod at the method's default
// threshold, applies no correction and judges every window.
type EvaluateOptions struct {
	// NumericMethod and CategoricalMethod are the methods for features of
	// each type, and for a prediction of that type. The empty Method (the
	// configuration's "auto") selects DefaultMethod by the number of
	// non-missing reference values, never by the window's size, so a large
	// window does not turn every feature into a hypothesis test.
	NumericMethod     Method
	CategoricalMethod Method
	// Thresholds replaces a method's DefaultThreshold wherever the method is
	// used without a threshold of its own. Its MethodMissingShare entry sets
	// the threshold of every missing-value test.
	Thresholds map[Method]float64
	// Features overrides the settings of the named features. Features not
	// named take the settings above.
	Features map[string]FeatureOptions
	// Prediction sets the test of the model's output, when the profile has
	// one.
	Prediction FeatureOptions
	// DriftShare is the share of drifted features at which the window
	// drifts; zero means DefaultDriftShare.
	DriftShare float64
	// Correction adjusts the p-values of the features' tests before they
	// are compared with their thresholds; empty means CorrectionNone.
	Correction Correction
	// PSIEpsilon is the share PSI gives an empty bin; zero means
	// DefaultPSIEpsilon.
	PSIEpsilon float64
	// MinEvents is the fewest events a window needs to be judged. Windows
	// with fewer events are reported as skipped.
	MinEvents int64
}

// FeatureOptions override the test of one feature or of the prediction.
type FeatureOptions struct {
	// Method replaces the method for the feature's type; empty keeps it.
	Method Method
	// Threshold replaces the method's threshold; zero keeps it.
	Threshold float64
	// Disabled leaves the feature out of the report, the correction and
	// the dataset share.
	Disabled bool
}

// featurePlan is the resolved test of one column.
type featurePlan struct {
	index     int // position in the profile's features; -1 for the prediction
	ref       *FeatureProfile
	method    Method
	threshold float64
	// scale is the divisor of the Wasserstein distance, the reference
	// sample's wassersteinScale, computed once; 0 for other methods.
	scale float64
}

func (o EvaluateOptions) withDefaults() EvaluateOptions {
	if o.DriftShare == 0 {
		o.DriftShare = DefaultDriftShare
	}
	if o.Correction == "" {
		o.Correction = CorrectionNone
	}
	if o.PSIEpsilon == 0 {
		o.PSIEpsilon = DefaultPSIEpsilon
	}
	return o
}

// problems checks the model-wide options.
func (o EvaluateOptions) problems() []error {
	var errs []error
	for _, c := range []struct {
		name string
		m    Method
		t    FeatureType
	}{{"numeric method", o.NumericMethod, Numeric}, {"categorical method", o.CategoricalMethod, Categorical}} {
		if err := checkMethod(c.m, c.t); c.m != "" && err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, err))
		}
	}
	for _, m := range slices.Sorted(maps.Keys(o.Thresholds)) {
		if err := checkThreshold(m, o.Thresholds[m]); err != nil {
			errs = append(errs, fmt.Errorf("thresholds[%s]: %w", m, err))
		}
	}
	if err := ValidateDriftShare(o.DriftShare); err != nil {
		errs = append(errs, err)
	}
	if err := o.Correction.Validate(); err != nil {
		errs = append(errs, err)
	}
	if !(o.PSIEpsilon > 0 && o.PSIEpsilon < 1) {
		errs = append(errs, fmt.Errorf("psi epsilon %g is outside (0, 1)", o.PSIEpsilon))
	}
	if o.MinEvents < 0 {
		errs = append(errs, fmt.Errorf("min events %d must not be negative", o.MinEvents))
	}
	return errs
}

// plan resolves the method and threshold of one column: the column's own
// method, else the model's method for its type, else DefaultMethod; the
// column's own threshold, else the method's override, else its default.
func (e *Evaluator) plan(index int, f *FeatureProfile, fo FeatureOptions) (featurePlan, error) {
	m := fo.Method
	if m == "" {
		m = e.opts.NumericMethod
		if f.Type == Categorical {
			m = e.opts.CategoricalMethod
		}
	}
	if m != "" {
		if err := m.Validate(); err != nil {
			return featurePlan{}, err
		}
	}
	var requested []Method
	if m != "" {
		requested = []Method{m}
	}
	refCount, buckets := referenceSize(f)
	m, err := SelectMethod(f.Name, requested, f.Type, refCount, buckets)
	if err != nil {
		var me *MethodError
		if errors.As(err, &me) {
			return featurePlan{}, errors.New(me.Msg)
		}
		return featurePlan{}, err
	}
	if fo.Threshold != 0 {
		if err := checkThreshold(m, fo.Threshold); err != nil {
			return featurePlan{}, fmt.Errorf("threshold: %w", err)
		}
	}
	plan := featurePlan{index: index, ref: f, method: m, threshold: e.thresholdFor(m, fo.Threshold)}
	if m == MethodWasserstein {
		plan.scale = wassersteinScale(f.Sample)
	}
	return plan, nil
}

func (e *Evaluator) thresholdFor(m Method, own float64) float64 {
	if own != 0 {
		return own
	}
	if th, ok := e.opts.Thresholds[m]; ok {
		return th
	}
	return m.DefaultThreshold()
}

// referenceSize returns a column's present reference values and, for a
// categorical column, its reference buckets: the categories plus other.
func referenceSize(f *FeatureProfile) (int64, int) {
	if f.Type == Numeric {
		return f.Finite(), 0
	}
	buckets := len(f.Categories)
	if f.Other > 0 {
		buckets++
	}
	return f.Count - f.Missing, buckets
}

func checkMethod(m Method, t FeatureType) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if !m.Supports(t) {
		return fmt.Errorf("method %s does not apply to %s features", m, t)
	}
	return nil
}

func checkThreshold(m Method, th float64) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if !(th > 0) || math.IsInf(th, 0) {
		return fmt.Errorf("threshold %g must be a positive number", th)
	}
	if m.UsesPValue() && th >= 1 {
		return fmt.Errorf("threshold %g of %s compares a p-value and must be below 1", th, m)
	}
	return nil
}
