package drift

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// numericRef is a numeric reference with inner edges 1, 2, 4, so bins
// (-Inf, 1], (1, 2], (2, 4], (4, +Inf).
func numericRef() *FeatureProfile { return &validProfile().Features[0] }

func newNumeric(t testing.TB, sampleSize int, seed uint64) *NumericAccumulator {
	t.Helper()
	a, err := NewNumericAccumulator(numericRef(), sampleSize, seed)
	require.NoError(t, err)
	return a
}

func TestNumericAccumulatorCounts(t *testing.T) {
	a := newNumeric(t, 100, 1)
	for _, x := range []float64{math.Inf(-1), 0, 1, 1.5, 2, 3, 4, 5, math.Inf(1), math.NaN()} {
		a.Add(x)
	}
	a.AddMissing()

	want := AlignedCounts{Reference: []float64{2, 2, 2, 2}, Current: []float64{3, 2, 2, 2}}
	if diff := cmp.Diff(want, a.BinCounts()); diff != "" {
		t.Errorf("bin counts (-want +got):\n%s", diff)
	}
	stale := AlignedCounts{Reference: []float64{9, 9, 9, 9, 9, 9}, Current: []float64{9, 9, 9, 9, 9, 9}}
	reused := a.appendBinCounts(stale)
	if diff := cmp.Diff(want, reused); diff != "" {
		t.Errorf("bin counts into a used buffer (-want +got):\n%s", diff)
	}
	require.Zero(t, testing.AllocsPerRun(10, func() { reused = a.appendBinCounts(reused) }))
	got := []int64{a.Count(), a.Missing(), a.NaN(), a.PosInf(), a.NegInf(), a.Finite()}
	require.Equal(t, []int64{11, 1, 1, 1, 1, 7}, got, "count, missing, nan, +inf, -inf, finite")
	require.Equal(t, Proportion{ReferenceHits: 1, ReferenceTotal: 10, CurrentHits: 1, CurrentTotal: 11}, a.MissingCounts())
	require.Equal(t, Proportion{ReferenceHits: 1, ReferenceTotal: 10, CurrentHits: 1, CurrentTotal: 11}, a.NaNCounts())
	// np.mean and np.std of the finite values.
	require.InDelta(t, 2.357142857142857, a.Mean(), 1e-15)
	require.InDelta(t, 1.619397721250662, a.StdDev(), 1e-15)
	require.Equal(t, []float64{0, 1, 1.5, 2, 3, 4, 5}, a.SortedSample(nil))
	require.Equal(t, []float64{0.5, 1, 2, 3, 5}, a.ReferenceSample())
}

func TestNumericAccumulatorEmpty(t *testing.T) {
	a := newNumeric(t, 10, 1)
	a.AddMissing()
	require.True(t, math.IsNaN(a.Mean()))
	require.True(t, math.IsNaN(a.StdDev()))
	require.Empty(t, a.SortedSample(nil))
	require.Equal(t, []float64{0, 0, 0, 0}, a.BinCounts().Current)
}

func TestNumericAccumulatorSampleIsBoundedAndSorted(t *testing.T) {
	a := newNumeric(t, 100, 1)
	for i := range 100_000 {
		a.Add(float64((i * 7919) % 100_003))
	}
	buf := make([]float64, 0, 100)
	s := a.SortedSample(buf)
	require.Len(t, s, 100)
	require.Equal(t, 100, a.SampleLen())
	require.True(t, slices.IsSorted(s))
	require.Same(t, &buf[:1][0], &s[0], "SortedSample reuses dst")
	require.Zero(t, testing.AllocsPerRun(10, func() { s = a.SortedSample(s) }))
}

func TestNumericAccumulatorAddDoesNotAllocate(t *testing.T) {
	a := newNumeric(t, 64, 1)
	for i := range 64 {
		a.Add(float64(i))
	}
	x := 0.0
	allocs := testing.AllocsPerRun(1000, func() {
		x += 0.37
		a.Add(x)
		a.Add(math.NaN())
		a.AddMissing()
	})
	require.Zero(t, allocs)
}

func TestNumericAccumulatorMergeEqualsOneStream(t *testing.T) {
	values := make([]float64, 5000)
	for i := range values {
		values[i] = float64((i*7919)%5003)/1000 - 1
	}
	tests := []struct {
		name  string
		split int
	}{
		{"empty left", 0},
		{"empty right", len(values)},
		{"uneven", 700},
		{"halves", len(values) / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all, left, right := newNumeric(t, 50, 1), newNumeric(t, 50, 2), newNumeric(t, 50, 3)
			for i, x := range values {
				all.Add(x)
				if i < tt.split {
					left.Add(x)
				} else {
					right.Add(x)
				}
			}
			left.AddMissing()
			all.AddMissing()
			require.NoError(t, left.Merge(right))
			if diff := cmp.Diff(all.BinCounts(), left.BinCounts()); diff != "" {
				t.Errorf("bin counts (-one stream +merged):\n%s", diff)
			}
			require.Equal(t, all.Count(), left.Count())
			require.Equal(t, all.Missing(), left.Missing())
			require.Equal(t, all.Finite(), left.Finite())
			require.InDelta(t, all.Mean(), left.Mean(), 1e-12)
			require.InDelta(t, all.StdDev(), left.StdDev(), 1e-12)
			require.Equal(t, 50, left.SampleLen())
		})
	}
}

func TestNumericAccumulatorErrors(t *testing.T) {
	cat := &validProfile().Features[1]
	_, err := NewNumericAccumulator(cat, 10, 1)
	require.EqualError(t, err, `numeric accumulator for "city": feature type is "categorical"`)
	bad := numericRef()
	bad.Counts = bad.Counts[:2]
	_, err = NewNumericAccumulator(bad, 10, 1)
	require.EqualError(t, err, `numeric accumulator for "age": reference has 2 counts for 3 edges`)
	_, err = NewNumericAccumulator(numericRef(), 0, 1)
	require.EqualError(t, err, `numeric accumulator for "age": sample size 0 must be positive`)

	a := newNumeric(t, 10, 1)
	other := numericRef()
	other.Edges = []float64{1, 2, 5}
	b, err := NewNumericAccumulator(other, 10, 1)
	require.NoError(t, err)
	require.EqualError(t, a.Merge(b), `merge "age": accumulators come from different reference profiles ("age")`)
	require.EqualError(t, a.Merge(newNumeric(t, 11, 1)), `merge "age": merge reservoirs: capacities differ (10 and 11)`)
	require.NoError(t, a.Merge(newNumeric(t, 10, 2)), "a separate copy of the same reference merges")
}

func TestNumericAccumulatorReset(t *testing.T) {
	a := newNumeric(t, 20, 1)
	for i := range 100 {
		a.Add(float64(i))
	}
	a.AddMissing()
	require.Zero(t, testing.AllocsPerRun(10, a.Reset))
	fresh := newNumeric(t, 20, 1)
	require.Equal(t, fresh.BinCounts(), a.BinCounts())
	require.Equal(t, []int64{0, 0, 0, 0, 0, 0}, []int64{a.Count(), a.Missing(), a.NaN(), a.PosInf(), a.NegInf(), a.Finite()})
	require.Zero(t, a.SampleLen())
	a.Add(3)
	require.Equal(t, 3.0, a.Mean())
}

// FuzzNumericAccumulator feeds arbitrary values (9-byte records: a flag
// byte, where a multiple of 5 means missing, then the float64 bits) to one
// accumulator and, split at an arbitrary point, to two that are merged.
func FuzzNumericAccumulator(f *testing.F) {
	record := func(flag byte, x float64) []byte {
		return binary.LittleEndian.AppendUint64([]byte{flag}, math.Float64bits(x))
	}
	var seed []byte
	for i, x := range []float64{0, 1, math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 4, 4, 1e300, math.SmallestNonzeroFloat64} {
		seed = append(seed, record(byte(i+1), x)...)
	}
	seed = append(seed, record(5, 0)...)
	f.Add(seed, uint16(3))
	f.Add([]byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		const sampleSize = 8
		all, left, right := newNumeric(t, sampleSize, 1), newNumeric(t, sampleSize, 2), newNumeric(t, sampleSize, 3)
		n := len(data) / 9
		for i := range n {
			rec := data[9*i : 9*i+9]
			part := right
			if i < int(split)%(n+1) {
				part = left
			}
			if rec[0]%5 == 0 {
				all.AddMissing()
				part.AddMissing()
				continue
			}
			x := math.Float64frombits(binary.LittleEndian.Uint64(rec[1:]))
			all.Add(x)
			part.Add(x)
		}
		checkNumericInvariants(t, all, sampleSize)
		require.Equal(t, int64(n), all.Count())
		require.NoError(t, left.Merge(right))
		checkNumericInvariants(t, left, sampleSize)
		if diff := cmp.Diff(all.BinCounts(), left.BinCounts()); diff != "" {
			t.Fatalf("merge is not count-additive (-one stream +merged):\n%s", diff)
		}
		got := []int64{left.Count(), left.Missing(), left.NaN(), left.PosInf(), left.NegInf(), left.Finite()}
		want := []int64{all.Count(), all.Missing(), all.NaN(), all.PosInf(), all.NegInf(), all.Finite()}
		require.Equal(t, want, got)
	})
}

func checkNumericInvariants(t *testing.T, a *NumericAccumulator, sampleSize int) {
	t.Helper()
	binned := int64(sumFloat64(a.BinCounts().Current))
	require.Equal(t, a.Count()-a.Missing()-a.NaN(), binned, "bins hold every non-missing, non-NaN value")
	require.Equal(t, a.Count(), a.Missing()+a.NaN()+a.PosInf()+a.NegInf()+a.Finite())
	s := a.SortedSample(nil)
	require.Equal(t, int(min(a.Finite(), int64(sampleSize))), len(s))
	require.True(t, slices.IsSorted(s))
	for _, x := range s {
		require.False(t, math.IsNaN(x) || math.IsInf(x, 0), "sample holds finite values only")
	}
}
