package drift

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// FeatureSpec declares one column of the training data.
type FeatureSpec struct {
	Name string
	Type FeatureType
}

// ProfileBuilder builds a Profile from a stream of training rows. For each
// row the caller passes every feature (and the prediction, if declared) one
// observation: a value or a missing marker. Memory is bounded by the
// options, not by the number of rows; docs/profiles.md gives the numbers.
//
// A ProfileBuilder is not safe for concurrent use.
type ProfileBuilder struct {
	opts       ProfileOptions
	features   []*ColumnBuilder
	prediction *ColumnBuilder
}

// NewProfileBuilder returns a builder for the given features, in the
// model's order. Zero options take their defaults.
func NewProfileBuilder(specs []FeatureSpec, opts ProfileOptions) (*ProfileBuilder, error) {
	opts = opts.WithDefaults()
	errs := opts.problems("options")
	if len(specs) == 0 {
		errs = append(errs, errors.New("specs: at least one feature is required"))
	}
	seen := make(map[string]int, len(specs))
	for i, s := range specs {
		path := fmt.Sprintf("specs[%d]", i)
		if err := s.validate(path); err != nil {
			errs = append(errs, err)
		}
		if j, dup := seen[s.Name]; dup && s.Name != "" {
			errs = append(errs, fmt.Errorf("%s.name: duplicate feature name %q (also specs[%d])", path, s.Name, j))
		} else {
			seen[s.Name] = i
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("new profile builder: %w", err)
	}
	b := &ProfileBuilder{opts: opts, features: make([]*ColumnBuilder, len(specs))}
	for i, s := range specs {
		b.features[i] = newColumnBuilder(s, opts, streamSeed(opts.Seed, i))
	}
	return b, nil
}

func (s FeatureSpec) validate(path string) error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, fmt.Errorf("%s.name: is required", path))
	}
	if err := s.Type.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%s.type: %w", path, err))
	}
	return errors.Join(errs...)
}

// SetPrediction declares the model's output column, to be profiled like a
// feature: a numeric score or a categorical class. Call it at most once,
// before the first row.
func (b *ProfileBuilder) SetPrediction(spec FeatureSpec) error {
	if b.prediction != nil {
		return fmt.Errorf("set prediction: already set to %q", b.prediction.spec.Name)
	}
	if err := spec.validate("prediction"); err != nil {
		return fmt.Errorf("set prediction: %w", err)
	}
	for i, c := range b.features {
		if c.spec.Name == spec.Name {
			return fmt.Errorf("set prediction: name %q is also the name of specs[%d]", spec.Name, i)
		}
	}
	b.prediction = newColumnBuilder(spec, b.opts, streamSeed(b.opts.Seed, len(b.features)))
	return nil
}

// Feature returns the builder of feature i, in the order of the specs. It
// panics if i is out of range.
func (b *ProfileBuilder) Feature(i int) *ColumnBuilder { return b.features[i] }

// Prediction returns the builder of the prediction column, or nil if none
// was declared.
func (b *ProfileBuilder) Prediction() *ColumnBuilder { return b.prediction }

// Build returns the profile of everything observed so far. Every column
// must have seen the same number of observations, one per row. The builder
// stays usable; a later Build includes later rows.
func (b *ProfileBuilder) Build(model string, createdAt time.Time) (*Profile, error) {
	rows := b.features[0].count
	var errs []error
	for _, c := range b.columns() {
		if c.count != rows {
			errs = append(errs, fmt.Errorf("column %q has %d observations, want %d like %q (one per row)", c.spec.Name, c.count, rows, b.features[0].spec.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("build profile: %w", err)
	}
	p := &Profile{
		Version:   ProfileVersion,
		Model:     model,
		CreatedAt: createdAt.UTC(),
		Rows:      rows,
		Options:   b.opts,
		Features:  make([]FeatureProfile, len(b.features)),
	}
	for i, c := range b.features {
		p.Features[i] = c.profile(b.opts)
	}
	if b.prediction != nil {
		f := b.prediction.profile(b.opts)
		p.Prediction = &f
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("build profile: %w", err)
	}
	return p, nil
}

// columns returns the features followed by the prediction, if any.
func (b *ProfileBuilder) columns() []*ColumnBuilder {
	if b.prediction == nil {
		return b.features
	}
	return append(slices.Clip(b.features), b.prediction)
}

// ColumnBuilder accumulates the observations of one column. Numeric columns
// keep up to Options.QuantileSampleSize finite values (all of them up to
// that bound) in a seeded reservoir; categorical columns count up to
// Options.MaxDistinct distinct values exactly.
type ColumnBuilder struct {
	spec                                FeatureSpec
	seed                                uint64
	count, missing, nan, posInf, negInf int64

	// Numeric.
	finite   int64
	mean, m2 float64 // Welford's running mean and sum of squared deviations
	values   *Reservoir

	// Categorical.
	maxDistinct int
	categories  map[string]int64
	overflow    int64 // values first seen after maxDistinct distinct ones
}

func newColumnBuilder(spec FeatureSpec, opts ProfileOptions, seed uint64) *ColumnBuilder {
	c := &ColumnBuilder{spec: spec, seed: seed, maxDistinct: opts.MaxDistinct}
	switch spec.Type {
	case Numeric:
		c.values = NewReservoir(opts.QuantileSampleSize, seed)
	case Categorical:
		c.categories = make(map[string]int64)
	}
	return c
}

// AddNumeric observes a value of a numeric column. NaN and ±Inf are
// counted; only finite values enter the mean, deviation, edges and sample.
// It panics if the column is categorical.
func (c *ColumnBuilder) AddNumeric(x float64) {
	if c.values == nil {
		panic(fmt.Sprintf("drift: AddNumeric on categorical column %q", c.spec.Name))
	}
	c.count++
	switch {
	case math.IsNaN(x):
		c.nan++
	case math.IsInf(x, 1):
		c.posInf++
	case math.IsInf(x, -1):
		c.negInf++
	default:
		c.finite++
		d := x - c.mean
		c.mean += d / float64(c.finite)
		c.m2 += d * (x - c.mean)
		c.values.Add(x)
	}
}

// AddCategory observes a value of a categorical column. The empty string
// counts as missing. It panics if the column is numeric.
func (c *ColumnBuilder) AddCategory(v string) {
	if c.categories == nil {
		panic(fmt.Sprintf("drift: AddCategory on numeric column %q", c.spec.Name))
	}
	if v == "" {
		c.AddMissing()
		return
	}
	c.count++
	if n, ok := c.categories[v]; ok {
		c.categories[v] = n + 1
		return
	}
	if len(c.categories) < c.maxDistinct {
		// Copy the key so that a value sliced from a large input line does
		// not keep the line alive.
		c.categories[strings.Clone(v)] = 1
		return
	}
	c.overflow++
}

// AddMissing observes an absent or empty value.
func (c *ColumnBuilder) AddMissing() {
	c.count++
	c.missing++
}

// profile summarises the column.
func (c *ColumnBuilder) profile(opts ProfileOptions) FeatureProfile {
	f := FeatureProfile{Name: c.spec.Name, Type: c.spec.Type, Count: c.count, Missing: c.missing}
	if c.spec.Type == Numeric {
		c.numericProfile(&f, opts)
	} else {
		c.categoricalProfile(&f, opts)
	}
	return f
}

func (c *ColumnBuilder) numericProfile(f *FeatureProfile, opts ProfileOptions) {
	f.NaN, f.PosInf, f.NegInf = c.nan, c.posInf, c.negInf
	if c.finite > 0 {
		f.Mean = c.mean
		f.Std = math.Sqrt(c.m2 / float64(c.finite))
	}
	sorted := slices.Clone(c.values.Values())
	slices.Sort(sorted)
	f.Approximate = c.finite > int64(len(sorted))
	f.Edges = quantileEdges(sorted, opts.Bins)
	f.Counts = countSorted(sorted, f.Edges)
	if f.Approximate {
		f.Counts = scaleCounts(f.Counts, c.finite)
	}
	f.Counts[0] += c.negInf
	f.Counts[len(f.Counts)-1] += c.posInf
	rng := rand.New(rand.NewPCG(splitmix64(c.seed), c.seed))
	f.Sample = subsampleSorted(sorted, opts.SampleSize, rng)
}

// subsampleSorted returns a uniform random subset of k values of sorted,
// still sorted, or a copy of sorted if it has at most k values. Selection
// sampling visits the values in order, so the subset comes out sorted.
func subsampleSorted(sorted []float64, k int, rng *rand.Rand) []float64 {
	if len(sorted) <= k {
		return slices.Clone(sorted)
	}
	out := make([]float64, 0, k)
	for i, x := range sorted {
		if rng.IntN(len(sorted)-i) < k-len(out) {
			out = append(out, x)
		}
	}
	return out
}

func (c *ColumnBuilder) categoricalProfile(f *FeatureProfile, opts ProfileOptions) {
	type entry struct {
		value string
		count int64
	}
	entries := make([]entry, 0, len(c.categories))
	for v, n := range c.categories {
		entries = append(entries, entry{v, n})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if a.count != b.count {
			return cmp.Compare(b.count, a.count)
		}
		return cmp.Compare(a.value, b.value)
	})
	keep := min(len(entries), opts.TopK)
	f.Categories = make([]string, keep)
	f.Counts = make([]int64, keep)
	for i, e := range entries[:keep] {
		f.Categories[i], f.Counts[i] = e.value, e.count
	}
	f.Other = c.overflow
	for _, e := range entries[keep:] {
		f.Other += e.count
	}
	f.Approximate = c.overflow > 0
}
