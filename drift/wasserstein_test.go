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
