package drift

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// This file compares whole data sets feature by feature: every value of the
// reference against every value of the current data, with no profile or
// sampling in between. ScoreNumeric and ScoreCategorical (score.go) hold the
// per-method arithmetic, which a window compared with a profile shares;
// Compare adds method selection (SelectMethod), missing-value accounting and
// the dataset verdict.

// Sample is one side of a feature's comparison: all of its rows.
type Sample struct {
	// Values holds a numeric feature's rows. NaN and ±Inf count as missing:
	// they are left out of the test and counted in the missing share, as
	// Evidently does, because no distance is defined on them.
	Values []float64
	// Categories are a categorical feature's distinct values and Counts how
	// often each occurs; the two are aligned.
	Categories []string
	Counts     []int64
	// Missing counts a categorical feature's missing rows.
	Missing int64
}

// FeatureData is the reference and current data of one feature.
type FeatureData struct {
	Name      string
	Type      FeatureType
	Reference Sample
	Current   Sample
}

// CompareOptions configure Compare. The zero value selects every default.
type CompareOptions struct {
	// Methods lists the methods to use. Each feature gets the first one
	// that applies to it (see SelectMethod); empty means DefaultMethod.
	Methods []Method
	// Threshold is every feature's drift threshold; zero means the
	// method's DefaultThreshold.
	Threshold float64
	// DriftShare is the share of drifted features at which the dataset
	// drifts; zero means DefaultDriftShare.
	DriftShare float64
	// Bins is the number of reference quantile bins for PSI,
	// Jensen-Shannon and Hellinger on numeric features; zero means
	// DefaultBins.
	Bins int
	// Workers bounds the features compared in parallel; zero means
	// runtime.GOMAXPROCS(0).
	Workers int
}

// FeatureResult is the outcome of one feature's comparison.
type FeatureResult struct {
	Feature string
	Type    FeatureType
	Method  Method
	// Statistic is the test statistic or the distance. It is NaN when
	// either side has no values to compare.
	Statistic float64
	// PValue is the test's p-value, and NaN for distances, which have none.
	PValue    float64
	Threshold float64
	Drift     bool
	// ReferenceCount and CurrentCount are the values compared: the rows
	// that are not missing.
	ReferenceCount int64
	CurrentCount   int64
	// MissingShareReference and MissingShareCurrent are the shares of rows
	// that are missing, 0 for an empty sample.
	MissingShareReference float64
	MissingShareCurrent   float64
}

// Comparison is the outcome of Compare: one result per feature, in input
// order, and the dataset verdict over them.
type Comparison struct {
	Features []FeatureResult
	Dataset  DatasetVerdict
}

// Validate reports problems with the options, all at once.
func (o CompareOptions) Validate() error {
	var errs []error
	for _, m := range o.Methods {
		if err := m.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Threshold < 0 || math.IsNaN(o.Threshold) || math.IsInf(o.Threshold, 0) {
		errs = append(errs, fmt.Errorf("threshold %g must be a positive number", o.Threshold))
	}
	if o.DriftShare != 0 {
		if err := ValidateDriftShare(o.DriftShare); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Bins < 0 || o.Bins > MaxBins {
		errs = append(errs, fmt.Errorf("bins %d is out of range [1, %d]", o.Bins, MaxBins))
	}
	if o.Workers < 0 {
		errs = append(errs, fmt.Errorf("workers %d must not be negative", o.Workers))
	}
	return errors.Join(errs...)
}

// Compare compares every feature's reference and current data and returns
// the per-feature results and the dataset verdict. It selects every
// feature's method before comparing any, so that a *MethodError, returned
// when no requested method applies to a feature, comes without delay. It
// returns other errors for invalid options or data. Features are compared
// in parallel.
func Compare(features []FeatureData, opts CompareOptions) (Comparison, error) {
	if err := opts.Validate(); err != nil {
		return Comparison{}, fmt.Errorf("compare: %w", err)
	}
	methods := make([]Method, len(features))
	var errs []error
	for i := range features {
		m, err := selectFor(&features[i], opts.Methods)
		methods[i] = m
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return Comparison{}, err
	}
	results := make([]FeatureResult, len(features))
	errs = make([]error, len(features))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(cmp.Or(opts.Workers, runtime.GOMAXPROCS(0)), max(len(features), 1)) {
		wg.Go(func() {
			for i := range next {
				results[i], errs[i] = compareFeature(&features[i], methods[i], opts)
			}
		})
	}
	for i := range features {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Comparison{}, err
	}
	drifted := make([]bool, len(results))
	for i, r := range results {
		drifted[i] = r.Drift
	}
	return Comparison{Features: results, Dataset: Verdict(drifted, cmp.Or(opts.DriftShare, DefaultDriftShare))}, nil
}

// selectFor selects a feature's method from the counts SelectMethod needs.
func selectFor(f *FeatureData, requested []Method) (Method, error) {
	switch f.Type {
	case Numeric:
		return SelectMethod(f.Name, requested, Numeric, countFinite(f.Reference.Values), 0)
	case Categorical:
		if err := checkAligned(f); err != nil {
			return "", err
		}
		counts := alignCategories(&f.Reference, &f.Current)
		return SelectMethod(f.Name, requested, Categorical, sumCounts(counts.Reference), len(counts.Reference))
	default:
		return "", fmt.Errorf("feature %q: %w", f.Name, f.Type.Validate())
	}
}

// compareFeature compares one feature with method m.
func compareFeature(f *FeatureData, m Method, opts CompareOptions) (FeatureResult, error) {
	res := FeatureResult{Feature: f.Name, Type: f.Type, Method: m}
	var err error
	if f.Type == Numeric {
		err = compareNumeric(f, opts, &res)
	} else {
		err = compareCategorical(f, &res)
	}
	if err != nil {
		return res, err
	}
	res.Threshold = opts.Threshold
	if res.Threshold == 0 {
		res.Threshold = m.DefaultThreshold()
	}
	res.Drift = Drifted(m, res.Statistic, res.PValue, res.Threshold)
	return res, nil
}

// compareNumeric compares the finite values of a numeric feature.
func compareNumeric(f *FeatureData, opts CompareOptions, res *FeatureResult) error {
	refRows, curRows := len(f.Reference.Values), len(f.Current.Values)
	if res.Method == MethodMissingShare {
		res.ReferenceCount, res.CurrentCount = countFinite(f.Reference.Values), countFinite(f.Current.Values)
		res.MissingShareReference = share(int64(refRows)-res.ReferenceCount, int64(refRows))
		res.MissingShareCurrent = share(int64(curRows)-res.CurrentCount, int64(curRows))
		res.Statistic, res.PValue = scoreMissing(res, int64(refRows), int64(curRows))
		return nil
	}
	ref, cur := sortedFinite(f.Reference.Values), sortedFinite(f.Current.Values)
	res.ReferenceCount, res.CurrentCount = int64(len(ref)), int64(len(cur))
	res.MissingShareReference = share(int64(refRows)-res.ReferenceCount, int64(refRows))
	res.MissingShareCurrent = share(int64(curRows)-res.CurrentCount, int64(curRows))
	var bins AlignedCounts
	if binned(res.Method) {
		edges := quantileEdges(ref, cmp.Or(opts.Bins, DefaultBins))
		bins = AlignedCounts{
			Reference: toFloat64(countSorted(ref, edges)),
			Current:   toFloat64(countSorted(cur, edges)),
		}
	}
	r, err := ScoreNumeric(res.Method, ref, cur, bins)
	if err != nil {
		return fmt.Errorf("feature %q: %w", f.Name, err)
	}
	res.Statistic, res.PValue = r.Statistic, r.PValue
	return nil
}

// compareCategorical compares a categorical feature's counts over the
// union of both sides' categories.
func compareCategorical(f *FeatureData, res *FeatureResult) error {
	ref, cur := &f.Reference, &f.Current
	counts := alignCategories(ref, cur)
	res.ReferenceCount, res.CurrentCount = sumCounts(counts.Reference), sumCounts(counts.Current)
	refRows, curRows := res.ReferenceCount+ref.Missing, res.CurrentCount+cur.Missing
	res.MissingShareReference = share(ref.Missing, refRows)
	res.MissingShareCurrent = share(cur.Missing, curRows)
	if res.Method == MethodMissingShare {
		res.Statistic, res.PValue = scoreMissing(res, refRows, curRows)
		return nil
	}
	r, err := ScoreCategorical(res.Method, counts)
	if err != nil {
		return fmt.Errorf("feature %q: %w", f.Name, err)
	}
	res.Statistic, res.PValue = r.Statistic, r.PValue
	return nil
}

// checkAligned reports a categorical feature whose categories and counts
// differ in length.
func checkAligned(f *FeatureData) error {
	if len(f.Reference.Categories) != len(f.Reference.Counts) || len(f.Current.Categories) != len(f.Current.Counts) {
		return fmt.Errorf("feature %q: categories and counts differ in length", f.Name)
	}
	return nil
}

// scoreMissing tests the missing shares of a feature.
func scoreMissing(res *FeatureResult, refRows, curRows int64) (float64, float64) {
	r := MissingShare(float64(refRows-res.ReferenceCount), float64(refRows),
		float64(curRows-res.CurrentCount), float64(curRows))
	return r.Statistic, r.PValue
}

// countFinite returns the number of values of x that are neither NaN nor
// infinite.
func countFinite(x []float64) int64 {
	var n int64
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			n++
		}
	}
	return n
}

// sortedFinite returns the finite values of x in ascending order, in a new
// slice. Sorting puts NaN and -Inf first and +Inf last, so they are cut off
// the ends.
func sortedFinite(x []float64) []float64 {
	s := sortedCopy(x)
	lo, hi := 0, len(s)
	for lo < hi && (math.IsNaN(s[lo]) || math.IsInf(s[lo], -1)) {
		lo++
	}
	for hi > lo && math.IsInf(s[hi-1], 1) {
		hi--
	}
	return s[lo:hi]
}

// alignCategories returns both sides' counts over the union of their
// categories in ascending byte order, so results do not depend on the
// order values first appeared in.
func alignCategories(ref, cur *Sample) AlignedCounts {
	counts := make(map[string][2]int64, len(ref.Categories)+len(cur.Categories))
	for i, c := range ref.Categories {
		v := counts[c]
		v[0] += ref.Counts[i]
		counts[c] = v
	}
	for i, c := range cur.Categories {
		v := counts[c]
		v[1] += cur.Counts[i]
		counts[c] = v
	}
	keys := make([]string, 0, len(counts))
	for k, v := range counts {
		if v[0] > 0 || v[1] > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	out := AlignedCounts{Reference: make([]float64, len(keys)), Current: make([]float64, len(keys))}
	for i, k := range keys {
		out.Reference[i], out.Current[i] = float64(counts[k][0]), float64(counts[k][1])
	}
	return out
}

func sumCounts(c []float64) int64 { return int64(floatSum(c)) }

func floatSum(c []float64) float64 {
	s := 0.0
	for _, v := range c {
		s += v
	}
	return s
}

// share returns part/total, or 0 when total is 0.
func share(part, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(part) / float64(total)
}
