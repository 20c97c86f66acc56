package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestWassersteinHandComputed(t *testing.T) {
	tests := []struct {
		name string
		u, v []float64
		want float64
	}{
		{name: "shift by five", u: []float64{0, 1, 3}, v: []float64{8, 5, 6}, want: 5},
		{name: "single points", u: []float64{-1}, v: []float64{2.5}, want: 3.5},
		{name: "identical", u: []float64{3, 1, 2}, v: []float64{1, 2, 3}, want: 0},
		// F_u - F_v is 1/2 on [0, 1) and 0 elsewhere.
		{name: "half the mass moves", u: []float64{0, 5}, v: []float64{1, 5}, want: 0.5},
		// u = {0, 0, 1}, v = {1}: |2/3 - 0| on [0, 1).
		{name: "ties and unequal sizes", u: []float64{0, 0, 1}, v: []float64{1}, want: 2.0 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.InDelta(t, tt.want, Wasserstein(tt.u, tt.v), 1e-15)
			require.InDelta(t, tt.want, Wasserstein(tt.v, tt.u), 1e-15)
		})
	}
}

// TestWassersteinShift checks that translating a sample by c moves it by
// exactly |c| in W1, for samples of different sizes too.
func TestWassersteinShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 41))
	u := normalSample(rng, 700, 0, 3)
	for _, c := range []float64{0.25, -2, 10} {
		v := make([]float64, len(u))
		for i, x := range u {
			v[i] = x + c
		}
		require.InDelta(t, math.Abs(c), Wasserstein(u, v), 1e-12)
	}
}

func TestWassersteinInvalidInput(t *testing.T) {
	tests := []struct {
		name string
		u, v []float64
	}{
		{name: "empty", u: nil, v: []float64{1}},
		{name: "NaN", u: []float64{1, math.NaN()}, v: []float64{1}},
		{name: "positive infinity", u: []float64{1, math.Inf(1)}, v: []float64{1}},
		{name: "negative infinity", u: []float64{1}, v: []float64{math.Inf(-1), 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.True(t, math.IsNaN(Wasserstein(tt.u, tt.v)))
			require.True(t, math.IsNaN(NormalizedWasserstein(tt.u, tt.v)))
		})
	}
}

func TestWassersteinSortedAndUntouched(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 43))
	u, v := normalSample(rng, 1000, 0, 1), normalSample(rng, 800, 0.3, 2)
	uCopy, vCopy := slices.Clone(u), slices.Clone(v)
	want := Wasserstein(u, v)
	require.Empty(t, cmp.Diff(uCopy, u))
	require.Empty(t, cmp.Diff(vCopy, v))
	require.Equal(t, want, WassersteinSorted(sortedCopy(u), sortedCopy(v)))
	require.InDelta(t, NormalizedWasserstein(u, v), NormalizedWassersteinSorted(sortedCopy(u), sortedCopy(v)), 1e-15)
}

func TestNormalizedWasserstein(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []float64
		want     float64
	}{
		// Population variance of {1, 2, 3, 4} is 1.25.
		{name: "divides by population std", ref: []float64{1, 2, 3, 4}, cur: []float64{2, 3, 4, 5}, want: 1 / math.Sqrt(1.25)},
		{name: "constant reference uses the floor", ref: []float64{3, 3, 3}, cur: []float64{3.002, 3.002}, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.InDelta(t, tt.want, NormalizedWasserstein(tt.ref, tt.cur), 1e-12)
		})
	}
}

// TestPopulationStdMatchesBufferedSum checks that adding the squared
// deviations as they are computed gives what numpy.std gives, bit for bit:
// the pairwise sum of a slice of them. The sizes cover every branch of the
// pairwise order: short, one block, a block with a remainder and splits.
func TestPopulationStdMatchesBufferedSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(46, 47))
	tests := []struct {
		name       string
		n          int
		loc, scale float64
	}{
		{name: "one value", n: 1, loc: 3, scale: 1},
		{name: "shorter than a block", n: 7, loc: 0, scale: 1},
		{name: "one block of eight", n: 8, loc: 0, scale: 1},
		{name: "block with a remainder", n: 13, loc: 0, scale: 1},
		{name: "largest unsplit block", n: 128, loc: 0, scale: 1},
		{name: "first split", n: 129, loc: 0, scale: 1},
		{name: "sample size", n: 10_000, loc: 5, scale: 2},
		{name: "large offset, small spread", n: 20_001, loc: 1e6, scale: 1e-3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := sortedCopy(normalSample(rng, tt.n, tt.loc, tt.scale))
			n := float64(len(x))
			mean := pairwiseSum(x) / n
			sq := make([]float64, len(x))
			for i, v := range x {
				d := v - mean
				sq[i] = d * d
			}
			want := math.Sqrt(pairwiseSum(sq) / n)
			require.Equal(t, want, populationStd(x))
			require.Zero(t, testing.AllocsPerRun(10, func() { populationStd(x) }))
		})
	}
	require.True(t, math.IsNaN(populationStd(nil)))
}

func TestNormalizedWassersteinSortedDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(48, 49))
	ref, cur := sortedCopy(normalSample(rng, 10_000, 0, 1)), sortedCopy(normalSample(rng, 9_000, 0.1, 1))
	require.Zero(t, testing.AllocsPerRun(10, func() { NormalizedWassersteinSorted(ref, cur) }))
}

func BenchmarkWasserstein(b *testing.B) {
	rng := rand.New(rand.NewPCG(44, 45))
	u, v := normalSample(rng, 10000, 0, 1), normalSample(rng, 10000, 0.1, 1)
	uSorted, vSorted := sortedCopy(u), sortedCopy(v)
	b.Run("10k unsorted", func(b *testing.B) {
		for b.Loop() {
			Wasserstein(u, v)
		}
	})
	b.Run("10k sorted", func(b *testing.B) {
		for b.Loop() {
			WassersteinSorted(uSorted, vSorted)
		}
	})
}
