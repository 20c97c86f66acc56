package drift

import (
	"fmt"
	"math"
)

// NumericAccumulator gathers one window of a numeric feature against its
// reference profile. Its memory is fixed by the reference's bins and the
// sample size, whatever the number of values.
//
// Finite values and ±Inf are counted in the reference's bins (-Inf in the
// first, +Inf in the last). NaN and missing values are counted on their own
// and enter no bin. The mean, standard deviation and sample cover finite
// values only.
//
// A NumericAccumulator is not safe for concurrent use.
type NumericAccumulator struct {
	ref    *FeatureProfile
	fp     uint64
	edges  []float64 // the reference's inner edges, shared read-only
	counts []int64   // one per bin

	count, missing, nan, posInf, negInf, finite int64

	mean, m2 float64 // Welford's running mean and sum of squared deviations
	sample   *Reservoir
}

// NewNumericAccumulator returns an empty accumulator over the bins of ref,
// which must be a numeric feature profile and must not change afterwards.
// It keeps a reservoir sample of at most sampleSize finite values, seeded
// with seed.
func NewNumericAccumulator(ref *FeatureProfile, sampleSize int, seed uint64) (*NumericAccumulator, error) {
	if ref.Type != Numeric {
		return nil, fmt.Errorf("numeric accumulator for %q: feature type is %q", ref.Name, ref.Type)
	}
	if len(ref.Counts) != len(ref.Edges)+1 {
		return nil, fmt.Errorf("numeric accumulator for %q: reference has %d counts for %d edges", ref.Name, len(ref.Counts), len(ref.Edges))
	}
	if sampleSize < 1 {
		return nil, fmt.Errorf("numeric accumulator for %q: sample size %d must be positive", ref.Name, sampleSize)
	}
	return &NumericAccumulator{
		ref:    ref,
		fp:     ref.fingerprint(),
		edges:  ref.Edges,
		counts: make([]int64, len(ref.Edges)+1),
		sample: NewReservoir(sampleSize, seed),
	}, nil
}

// Add observes x. It does not allocate once the sample is full.
func (a *NumericAccumulator) Add(x float64) {
	a.count++
	if x != x { // NaN
		a.nan++
		return
	}
	a.counts[binIndex(a.edges, x)]++
	if math.IsInf(x, 0) {
		if x > 0 {
			a.posInf++
		} else {
			a.negInf++
		}
		return
	}
	a.finite++
	d := x - a.mean
	a.mean += d / float64(a.finite)
	a.m2 += d * (x - a.mean)
	a.sample.Add(x)
}

// AddMissing observes an absent or empty value.
func (a *NumericAccumulator) AddMissing() {
	a.count++
	a.missing++
}

// Reference returns the feature profile the accumulator compares with.
func (a *NumericAccumulator) Reference() *FeatureProfile { return a.ref }

// Count returns the number of observations, including missing ones.
func (a *NumericAccumulator) Count() int64 { return a.count }

// Missing returns the number of missing observations.
func (a *NumericAccumulator) Missing() int64 { return a.missing }

// NaN returns the number of NaN values.
func (a *NumericAccumulator) NaN() int64 { return a.nan }

// PosInf returns the number of +Inf values.
func (a *NumericAccumulator) PosInf() int64 { return a.posInf }

// NegInf returns the number of -Inf values.
func (a *NumericAccumulator) NegInf() int64 { return a.negInf }

// Finite returns the number of finite values.
func (a *NumericAccumulator) Finite() int64 { return a.finite }

// Mean returns the mean of the finite values, or NaN if there are none.
func (a *NumericAccumulator) Mean() float64 {
	if a.finite == 0 {
		return math.NaN()
	}
	return a.mean
}

// StdDev returns the population standard deviation of the finite values,
// or NaN if there are none.
func (a *NumericAccumulator) StdDev() float64 {
	if a.finite == 0 {
		return math.NaN()
	}
	return math.Sqrt(a.m2 / float64(a.finite))
}

// BinCounts returns the reference's and the window's counts over the
// reference's bins. The two vectors have the same length and cover finite
// values and ±Inf; NaN and missing values are in MissingCounts and
// NaNCounts.
func (a *NumericAccumulator) BinCounts() AlignedCounts {
	return AlignedCounts{Reference: toFloat64(a.ref.Counts), Current: toFloat64(a.counts)}
}

// appendBinCounts is BinCounts written into dst's vectors from length
// zero, so that an evaluator reusing dst does not allocate.
func (a *NumericAccumulator) appendBinCounts(dst AlignedCounts) AlignedCounts {
	return AlignedCounts{
		Reference: appendFloat64(dst.Reference[:0], a.ref.Counts),
		Current:   appendFloat64(dst.Current[:0], a.counts),
	}
}

// MissingCounts compares the share of missing observations.
func (a *NumericAccumulator) MissingCounts() Proportion {
	return Proportion{
		ReferenceHits: a.ref.Missing, ReferenceTotal: a.ref.Count,
		CurrentHits: a.missing, CurrentTotal: a.count,
	}
}

// NaNCounts compares the share of NaN among observations.
func (a *NumericAccumulator) NaNCounts() Proportion {
	return Proportion{
		ReferenceHits: a.ref.NaN, ReferenceTotal: a.ref.Count,
		CurrentHits: a.nan, CurrentTotal: a.count,
	}
}

// ReferenceSample returns the reference's sorted sample. It is shared with
// the profile and must not be modified.
func (a *NumericAccumulator) ReferenceSample() []float64 { return a.ref.Sample }

// SortedSample appends the window's sample of finite values to dst[:0],
// sorts it and returns it. With enough capacity in dst it does not
// allocate.
func (a *NumericAccumulator) SortedSample(dst []float64) []float64 {
	var s radixSorter
	return s.sort(dst, a.sample.Values())
}

// SampleLen returns the number of values in the window's sample.
func (a *NumericAccumulator) SampleLen() int { return a.sample.Len() }

// Merge adds o's observations to a, as if a had seen them too; o is not
// modified. Both must come from the same reference feature and have the
// same sample size.
func (a *NumericAccumulator) Merge(o *NumericAccumulator) error {
	if a.fp != o.fp {
		return fmt.Errorf("merge %q: accumulators come from different reference profiles (%q)", a.ref.Name, o.ref.Name)
	}
	if err := a.sample.Merge(o.sample); err != nil {
		return fmt.Errorf("merge %q: %w", a.ref.Name, err)
	}
	for i, c := range o.counts {
		a.counts[i] += c
	}
	a.count += o.count
	a.missing += o.missing
	a.nan += o.nan
	a.posInf += o.posInf
	a.negInf += o.negInf
	a.mergeMoments(o)
	return nil
}

// mergeMoments combines the running means and squared deviations of two
// groups (Chan, Golub and LeVeque's parallel update).
func (a *NumericAccumulator) mergeMoments(o *NumericAccumulator) {
	if o.finite == 0 {
		return
	}
	n := a.finite + o.finite
	d := o.mean - a.mean
	wo := float64(o.finite) / float64(n)
	a.mean += d * wo
	a.m2 += o.m2 + d*d*float64(a.finite)*wo
	a.finite = n
}

// Reset empties the accumulator for the next window, keeping its memory.
// It does not allocate.
func (a *NumericAccumulator) Reset() {
	clear(a.counts)
	a.count, a.missing, a.nan, a.posInf, a.negInf, a.finite = 0, 0, 0, 0, 0, 0
	a.mean, a.m2 = 0, 0
	a.sample.Reset()
}

func toFloat64(xs []int64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// appendFloat64 appends xs, converted to float64, to dst.
func appendFloat64(dst []float64, xs []int64) []float64 {
	for _, x := range xs {
		dst = append(dst, float64(x))
	}
	return dst
}
