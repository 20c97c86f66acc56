package drift

import (
	"errors"
	"fmt"
	"math"
)

// problemList collects validation problems, each prefixed with the path
// of the field it concerns.
type problemList []error

func (l *problemList) add(path, format string, args ...any) {
	*l = append(*l, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

// Validate reports every problem with p at once, each prefixed with its
// field path, for example "features[3].edges: not strictly increasing at
// index 4".
func (p *Profile) Validate() error {
	var l problemList
	if p.Version != ProfileVersion {
		l.add("version", "%d is not supported (supported: %d)", p.Version, ProfileVersion)
	}
	if p.Model == "" {
		l.add("model", "is required")
	}
	if p.CreatedAt.IsZero() {
		l.add("created_at", "is required")
	}
	if p.Rows < 0 {
		l.add("rows", "%d must not be negative", p.Rows)
	}
	l = append(l, p.Options.problems("options")...)
	if len(p.Features) == 0 {
		l.add("features", "at least one feature is required")
	}
	seen := make(map[string]int, len(p.Features))
	for i := range p.Features {
		path := fmt.Sprintf("features[%d]", i)
		f := &p.Features[i]
		if j, dup := seen[f.Name]; dup && f.Name != "" {
			l.add(path+".name", "duplicate feature name %q (also features[%d])", f.Name, j)
		} else {
			seen[f.Name] = i
		}
		l.checkFeature(path, f, p)
	}
	if f := p.Prediction; f != nil {
		if j, dup := seen[f.Name]; dup && f.Name != "" {
			l.add("prediction.name", "%q is also the name of features[%d]", f.Name, j)
		}
		l.checkFeature("prediction", f, p)
	}
	return errors.Join(l...)
}

// checkFeature checks one column against itself and against the profile's
// row count and options.
func (l *problemList) checkFeature(path string, f *FeatureProfile, p *Profile) {
	if f.Name == "" {
		l.add(path+".name", "is required")
	}
	if f.Count != p.Rows {
		l.add(path+".count", "%d does not equal rows (%d)", f.Count, p.Rows)
	}
	if f.Missing < 0 || f.Missing > f.Count {
		l.add(path+".missing", "%d is out of range [0, count=%d]", f.Missing, f.Count)
	}
	if err := f.Type.Validate(); err != nil {
		l.add(path+".type", "%v", err)
		return
	}
	switch f.Type {
	case Numeric:
		l.checkNumeric(path, f, p.Options)
	case Categorical:
		l.checkCategorical(path, f, p.Options)
	}
}

func (l *problemList) checkNumeric(path string, f *FeatureProfile, o ProfileOptions) {
	if len(f.Categories) > 0 || f.Other != 0 {
		l.add(path, "categories and other must be empty for a numeric feature")
	}
	l.nonNegative(path+".nan", f.NaN)
	l.nonNegative(path+".pos_inf", f.PosInf)
	l.nonNegative(path+".neg_inf", f.NegInf)
	finite := int64(-1) // unknown until the parts are known to add up
	if special, ok := checkedSum(f.Missing, f.NaN, f.PosInf, f.NegInf); !ok || special > f.Count {
		l.add(path, "missing + nan + pos_inf + neg_inf exceeds count (%d)", f.Count)
	} else {
		finite = f.Count - special
	}
	if math.IsNaN(f.Mean) || math.IsInf(f.Mean, 0) {
		l.add(path+".mean", "must be finite")
	}
	if !(f.Std >= 0) || math.IsInf(f.Std, 0) {
		l.add(path+".std", "must be finite and non-negative")
	}
	l.checkEdges(path+".edges", f.Edges, o.Bins)
	l.checkBinCounts(path, f)
	l.checkSample(path+".sample", f.Sample, finite, o.SampleSize)
}

func (l *problemList) checkEdges(path string, edges []float64, bins int) {
	if len(edges) > bins-1 && bins >= 1 {
		l.add(path, "has %d edges, more than options.bins-1 (%d)", len(edges), bins-1)
	}
	for i, e := range edges {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			l.add(path, "not finite at index %d", i)
			return
		}
		if i > 0 && e <= edges[i-1] {
			l.add(path, "not strictly increasing at index %d", i)
			return
		}
	}
}

func (l *problemList) checkBinCounts(path string, f *FeatureProfile) {
	if len(f.Counts) != len(f.Edges)+1 {
		l.add(path+".counts", "has %d entries, want %d (one more than edges)", len(f.Counts), len(f.Edges)+1)
		return
	}
	if !l.countsNonNegative(path+".counts", f.Counts) {
		return
	}
	if sum, ok := checkedSum(f.Counts...); !ok {
		l.add(path+".counts", "sum overflows int64")
	} else if want := f.Count - f.Missing - f.NaN; sum != want {
		l.add(path+".counts", "sum %d does not equal count - missing - nan (%d)", sum, want)
	}
	if f.Counts[0] < f.NegInf {
		l.add(path+".counts", "first bin (%d) holds fewer values than neg_inf (%d)", f.Counts[0], f.NegInf)
	}
	if last := f.Counts[len(f.Counts)-1]; last < f.PosInf {
		l.add(path+".counts", "last bin (%d) holds fewer values than pos_inf (%d)", last, f.PosInf)
	}
}

func (l *problemList) checkSample(path string, sample []float64, finite int64, size int) {
	if want := min(finite, int64(size)); finite >= 0 && int64(len(sample)) != want {
		l.add(path, "has %d values, want %d (the smaller of the finite values and options.sample_size)", len(sample), want)
	}
	for i, x := range sample {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			l.add(path, "not finite at index %d", i)
			return
		}
		if i > 0 && x < sample[i-1] {
			l.add(path, "not sorted at index %d", i)
			return
		}
	}
}

func (l *problemList) checkCategorical(path string, f *FeatureProfile, o ProfileOptions) {
	if f.NaN != 0 || f.PosInf != 0 || f.NegInf != 0 || f.Mean != 0 || f.Std != 0 || len(f.Edges) > 0 || len(f.Sample) > 0 {
		l.add(path, "nan, pos_inf, neg_inf, mean, std, edges and sample must be empty for a categorical feature")
	}
	if len(f.Categories) > o.TopK && o.TopK >= 1 {
		l.add(path+".categories", "has %d entries, more than options.top_k (%d)", len(f.Categories), o.TopK)
	}
	seen := make(map[string]int, len(f.Categories))
	for i, c := range f.Categories {
		if c == "" {
			l.add(path+".categories", "empty value at index %d (empty values are missing)", i)
		}
		if j, dup := seen[c]; dup {
			l.add(path+".categories", "duplicate value %q at index %d (also at index %d)", c, i, j)
		} else {
			seen[c] = i
		}
	}
	l.nonNegative(path+".other", f.Other)
	if len(f.Counts) != len(f.Categories) {
		l.add(path+".counts", "has %d entries, want %d (one per category)", len(f.Counts), len(f.Categories))
		return
	}
	for i, c := range f.Counts {
		if c <= 0 {
			l.add(path+".counts", "must be positive at index %d, got %d", i, c)
			return
		}
	}
	sum, ok := checkedSum(f.Counts...)
	if total, okTotal := checkedSum(sum, f.Other); !ok || !okTotal {
		l.add(path+".counts", "sum plus other overflows int64")
	} else if want := f.Count - f.Missing; total != want {
		l.add(path+".counts", "sum %d plus other (%d) does not equal count - missing (%d)", sum, f.Other, want)
	}
}

func (l *problemList) nonNegative(path string, v int64) {
	if v < 0 {
		l.add(path, "%d must not be negative", v)
	}
}

func (l *problemList) countsNonNegative(path string, counts []int64) bool {
	for i, c := range counts {
		if c < 0 {
			l.add(path, "negative at index %d (%d)", i, c)
			return false
		}
	}
	return true
}

// checkedSum adds non-negative numbers and reports false on a negative
// term or on overflow, where a plain sum would wrap around and could make
// inconsistent counts look consistent.
func checkedSum(xs ...int64) (int64, bool) {
	var s int64
	for _, x := range xs {
		if x < 0 || s > math.MaxInt64-x {
			return 0, false
		}
		s += x
	}
	return s, true
}

func sumInt64(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}
