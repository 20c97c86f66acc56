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
// every feature's method and threshold once, with what the method needs
// from the reference alone (the Wasserstein scale), and reuses its scratch
// space for samples and counts, so that an evaluation allocates only the
// report and the corrected p-values, plus the working space that some
// statistics need (chi-square's terms, the exact KS p-value of samples of
// unequal sizes).
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
	counts  AlignedCounts
	order   []int
	pvalues []float64
	drifted []bool
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

	r, err := e.statistic(p, num, cat, res.Missing.TestResult)
	if err != nil {
		return fmt.Errorf("feature %q: %w", f.Name, err)
	}
	res.Statistic, res.PValue = r.Statistic, r.PValue
	return nil
}

// statistic runs the method of plan p on one column; missing is the
// column's missing-value test, which MethodMissingShare reports as it is.
// Counts and the window's sample go to the evaluator's scratch space, and
// Wasserstein divides by the scale the plan cached instead of recomputing
// the reference's standard deviation on every window.
func (e *Evaluator) statistic(p *featurePlan, num *NumericAccumulator, cat *CategoricalAccumulator, missing TestResult) (TestResult, error) {
	m := p.method
	switch {
	case m == MethodMissingShare:
		return missing, nil
	case num != nil && binned(m):
		e.counts = num.appendBinCounts(e.counts)
		if r, ok := e.customPSI(m, e.counts); ok {
			return r, nil
		}
		return ScoreNumeric(m, nil, nil, e.counts)
	case num != nil:
		e.sample = e.sorter.sort(e.sample, num.sample.Values())
		if m == MethodWasserstein {
			return scoreWasserstein(num.ReferenceSample(), e.sample, p.scale), nil
		}
		return ScoreNumeric(m, num.ReferenceSample(), e.sample, AlignedCounts{})
	default:
		e.counts, e.order = cat.appendCounts(e.counts, e.order)
		if r, ok := e.customPSI(m, e.counts); ok {
			return r, nil
		}
		return ScoreCategorical(m, e.counts)
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
