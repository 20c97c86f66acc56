package drift

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// This file judges one window against its reference profile: it picks each
// feature's method and threshold once, scores every enabled feature with
// the arithmetic Compare uses (ScoreNumeric and ScoreCategorical), applies
// the multiple-testing correction and returns the dataset verdict.

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

// Report is the outcome of one window's evaluation.
type Report struct {
	// Model is the profile's model.
	Model string
	// Start and End bound the window; Events counts its events.
	Start, End time.Time
	Events     int64
	// Skipped reports that the window had fewer than MinEvents events and
	// was not judged: Features, Prediction and Dataset are then empty.
	Skipped bool
	// Correction is the correction applied to the features' p-values.
	Correction Correction
	// Features holds one result per enabled feature, in profile order.
	Features []FeatureReport
	// Prediction is the result of the model's output, or nil when the
	// profile has no prediction or its test is disabled.
	Prediction *FeatureReport
	// Dataset is the verdict over Features. The prediction does not count
	// towards the share: it is the model's output, not one of its inputs,
	// and an output shift that the inputs explain would be counted twice.
	Dataset DatasetVerdict
}

// FeatureReport is the result of one feature (or the prediction) in one
// window.
//
// The embedded FeatureResult reads as Compare's results do, with these
// window-specific meanings: PValue is the raw p-value; Drift compares
// AdjustedPValue (tests) or Statistic (distances) with Threshold.
// ReferenceCount and CurrentCount count the present values: finite values
// of a numeric feature, non-empty values of a categorical one. The missing
// shares count every other observation (absent, NaN and, for numeric
// features, ±Inf), as Compare does. KS, Cramér-von Mises and Wasserstein
// compare the reference's and the window's samples (at most the sample
// size each), so their p-values reflect the sample sizes, not the counts.
type FeatureReport struct {
	FeatureResult
	// AdjustedPValue is PValue after the report's correction, NaN for a
	// distance. The prediction is tested on its own, so its adjusted
	// p-value equals its raw one.
	AdjustedPValue float64
	// Missing tests whether the share of missing observations moved.
	Missing MissingTest
}

// MissingTest is the missing-value test of one feature: MissingShare on
// the counts behind the report's missing shares. The missing-value tests
// of all features form their own family for the correction, and they do
// not count towards the dataset share.
type MissingTest struct {
	TestResult
	AdjustedPValue float64
	Threshold      float64
	Drift          bool
}

// Evaluator judges windows of one profile with fixed options. It resolves
// every feature's method and threshold once and reuses its scratch space,
// so an evaluation allocates only the report and small count vectors.
//
// An Evaluator is not safe for concurrent use.
type Evaluator struct {
	profile    *Profile
	fp         uint64
	opts       EvaluateOptions
	features   []featurePlan // enabled features, in profile order
	prediction *featurePlan
	missingThr float64

	// Scratch space reused across evaluations.
	sample  []float64
	sorter  radixSorter
	pvalues []float64
	drifted []bool
}

// featurePlan is the resolved test of one column.
type featurePlan struct {
	index     int // position in the profile's features; -1 for the prediction
	ref       *FeatureProfile
	method    Method
	threshold float64
}

// NewEvaluator returns an evaluator for windows built on p, which must be
// valid and must not change afterwards. It reports every problem with opts
// at once, including a method that does not apply to a feature.
func NewEvaluator(p *Profile, opts EvaluateOptions) (*Evaluator, error) {
	opts = opts.withDefaults()
	errs := opts.problems()
	e := &Evaluator{profile: p, fp: p.fingerprint(), opts: opts}
	e.missingThr = e.thresholdFor(MethodMissingShare, 0)
	for _, name := range slices.Sorted(maps.Keys(opts.Features)) {
		if _, ok := p.FeatureIndex(name); !ok {
			errs = append(errs, fmt.Errorf("features[%q]: the profile of model %q has no such feature", name, p.Model))
		}
	}
	for i := range p.Features {
		f := &p.Features[i]
		fo := opts.Features[f.Name]
		if fo.Disabled {
			continue
		}
		plan, err := e.plan(i, f, fo)
		if err != nil {
			errs = append(errs, fmt.Errorf("features[%q]: %w", f.Name, err))
			continue
		}
		e.features = append(e.features, plan)
	}
	if p.Prediction != nil && !opts.Prediction.Disabled {
		plan, err := e.plan(-1, p.Prediction, opts.Prediction)
		if err != nil {
			errs = append(errs, fmt.Errorf("prediction: %w", err))
		}
		e.prediction = &plan
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new evaluator: %w", err)
	}
	e.pvalues = make([]float64, 0, len(e.features))
	e.drifted = make([]bool, 0, len(e.features))
	return e, nil
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
	return featurePlan{index: index, ref: f, method: m, threshold: e.thresholdFor(m, fo.Threshold)}, nil
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

// Profile returns the profile the evaluator judges windows against.
func (e *Evaluator) Profile() *Profile { return e.profile }

// Evaluate judges w, which must have been built on the evaluator's profile
// (or a separately decoded copy of it). The report is new on every call and
// shares no memory with the evaluator, so it may be kept as a snapshot.
func (e *Evaluator) Evaluate(w *Window) (Report, error) {
	if w.fp != e.fp {
		return Report{}, fmt.Errorf("evaluate window: the window of model %q was built on another profile than the evaluator's (model %q)", w.profile.Model, e.profile.Model)
	}
	r := Report{Model: e.profile.Model, Start: w.Start, End: w.End, Events: w.Events(), Correction: e.opts.Correction}
	if r.Events < e.opts.MinEvents {
		r.Skipped = true
		return r, nil
	}
	r.Features = make([]FeatureReport, len(e.features))
	for i := range e.features {
		p := &e.features[i]
		if err := e.score(p, w.Numeric(p.index), w.Categorical(p.index), &r.Features[i]); err != nil {
			return Report{}, fmt.Errorf("evaluate window: %w", err)
		}
	}
	e.correctAndDecide(r.Features)
	if e.prediction != nil {
		r.Prediction = &FeatureReport{}
		if err := e.score(e.prediction, w.PredictionNumeric(), w.PredictionCategorical(), r.Prediction); err != nil {
			return Report{}, fmt.Errorf("evaluate window: %w", err)
		}
		decide(r.Prediction)
	}
	e.drifted = e.drifted[:0]
	for i := range r.Features {
		e.drifted = append(e.drifted, r.Features[i].Drift)
	}
	r.Dataset = Verdict(e.drifted, e.opts.DriftShare)
	return r, nil
}

// score fills everything of res but the adjusted p-values and the drift
// flags. Exactly one of num and cat is non-nil, matching the column's type.
func (e *Evaluator) score(p *featurePlan, num *NumericAccumulator, cat *CategoricalAccumulator, res *FeatureReport) error {
	f := p.ref
	res.Feature, res.Type, res.Method, res.Threshold = f.Name, f.Type, p.method, p.threshold
	res.Missing.Threshold = e.missingThr
	var refMissing, curMissing, curRows int64
	if num != nil {
		res.ReferenceCount, res.CurrentCount = f.Finite(), num.Finite()
		refMissing, curMissing, curRows = f.Count-f.Finite(), num.Count()-num.Finite(), num.Count()
	} else {
		res.ReferenceCount, res.CurrentCount = f.Count-f.Missing, cat.Count()-cat.Missing()
		refMissing, curMissing, curRows = f.Missing, cat.Missing(), cat.Count()
	}
	res.MissingShareReference = share(refMissing, f.Count)
	res.MissingShareCurrent = share(curMissing, curRows)
	res.Missing.TestResult = MissingShare(float64(refMissing), float64(f.Count), float64(curMissing), float64(curRows))

	r, err := e.statistic(p.method, num, cat, res.Missing.TestResult)
	if err != nil {
		return fmt.Errorf("feature %q: %w", f.Name, err)
	}
	res.Statistic, res.PValue = r.Statistic, r.PValue
	return nil
}

// statistic runs method m on one column; missing is the column's
// missing-value test, which MethodMissingShare reports as it is.
func (e *Evaluator) statistic(m Method, num *NumericAccumulator, cat *CategoricalAccumulator, missing TestResult) (TestResult, error) {
	switch {
	case m == MethodMissingShare:
		return missing, nil
	case num != nil && binned(m):
		bins := num.BinCounts()
		if r, ok := e.customPSI(m, bins); ok {
			return r, nil
		}
		return ScoreNumeric(m, nil, nil, bins)
	case num != nil:
		e.sample = e.sorter.sort(e.sample, num.sample.Values())
		return ScoreNumeric(m, num.ReferenceSample(), e.sample, AlignedCounts{})
	default:
		counts := cat.CategoryCounts().AlignedCounts
		if r, ok := e.customPSI(m, counts); ok {
			return r, nil
		}
		return ScoreCategorical(m, counts)
	}
}

// customPSI computes PSI when the options set an epsilon other than
// DefaultPSIEpsilon, which the shared scoring functions always use.
func (e *Evaluator) customPSI(m Method, c AlignedCounts) (TestResult, bool) {
	if m != MethodPSI || e.opts.PSIEpsilon == DefaultPSIEpsilon {
		return TestResult{}, false
	}
	return distance(PSI(c.Reference, c.Current, e.opts.PSIEpsilon)), true
}

// correctAndDecide adjusts the p-values of the features' tests, and
// separately those of their missing-value tests, then sets every drift
// flag.
func (e *Evaluator) correctAndDecide(rs []FeatureReport) {
	e.pvalues = e.pvalues[:0]
	for i := range rs {
		if rs[i].Method.UsesPValue() {
			e.pvalues = append(e.pvalues, rs[i].PValue)
		}
	}
	adjusted := e.opts.Correction.Apply(e.pvalues)
	j := 0
	for i := range rs {
		rs[i].AdjustedPValue = math.NaN()
		if rs[i].Method.UsesPValue() {
			rs[i].AdjustedPValue = adjusted[j]
			j++
		}
	}
	e.pvalues = e.pvalues[:0]
	for i := range rs {
		e.pvalues = append(e.pvalues, rs[i].Missing.PValue)
	}
	adjusted = e.opts.Correction.Apply(e.pvalues)
	for i := range rs {
		rs[i].Missing.AdjustedPValue = adjusted[i]
		rs[i].Drift = Drifted(rs[i].Method, rs[i].Statistic, rs[i].AdjustedPValue, rs[i].Threshold)
		rs[i].Missing.Drift = Drifted(MethodMissingShare, rs[i].Missing.Statistic, rs[i].Missing.AdjustedPValue, rs[i].Missing.Threshold)
	}
}

// decide sets the drift flags of a result tested on its own.
func decide(r *FeatureReport) {
	r.AdjustedPValue = r.PValue
	r.Missing.AdjustedPValue = r.Missing.PValue
	r.Drift = Drifted(r.Method, r.Statistic, r.PValue, r.Threshold)
	r.Missing.Drift = Drifted(MethodMissingShare, r.Missing.Statistic, r.Missing.PValue, r.Missing.Threshold)
}
