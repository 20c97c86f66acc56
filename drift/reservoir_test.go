package drift

import (
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

// cmpEmpty treats nil and empty slices as equal.
var cmpEmpty = cmpopts.EquateEmpty()

func TestReservoirKeepsEverythingBelowCapacity(t *testing.T) {
	tests := []struct {
		name string
		k, n int
	}{
		{"empty", 5, 0},
		{"one", 5, 1},
		{"below capacity", 100, 99},
		{"exactly capacity", 100, 100},
		{"beyond the first growth step", 1000, 700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReservoir(tt.k, 1)
			want := make([]float64, tt.n)
			for i := range want {
				want[i] = float64(i) * 1.5
				r.Add(want[i])
			}
			require.Equal(t, int64(tt.n), r.Seen())
			require.Equal(t, tt.n, r.Len())
			require.LessOrEqual(t, cap(r.Values()), tt.k, "memory never exceeds the capacity")
			if diff := cmp.Diff(want, r.Values(), cmpEmpty); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestReservoirIsBoundedAndDeterministic(t *testing.T) {
	run := func(seed uint64) []float64 {
		r := NewReservoir(50, seed)
		for i := range 100_000 {
			r.Add(float64(i))
		}
		require.Equal(t, 50, r.Len())
		require.Equal(t, 50, cap(r.Values()))
		return slices.Sorted(slices.Values(r.Values()))
	}
	first := run(7)
	if diff := cmp.Diff(first, run(7)); diff != "" {
		t.Errorf("same seed, different samples (-first +second):\n%s", diff)
	}
	require.NotEqual(t, first, run(8), "different seeds should give different samples")
	for i := 1; i < len(first); i++ {
		require.NotEqual(t, first[i-1], first[i], "a value is sampled at most once")
	}
}

// inclusionScenario streams values 0, 1, ..., into reservoirs: first
// into A and B, which are then merged into A when B saw any, then more into
// A. Every value should end up in the sample with probability k/total.
type inclusionScenario struct {
	name            string
	k               int
	inA, inB, after int
}

func (s inclusionScenario) total() int { return s.inA + s.inB + s.after }

// run returns how often each value was in the final sample over runs
// seeded runs, and the mean number of final values that came from A.
func (s inclusionScenario) run(t *testing.T, runs int) ([]int, float64) {
	t.Helper()
	hits := make([]int, s.total())
	fromA := 0
	for run := range runs {
		a := NewReservoir(s.k, uint64(run))
		b := NewReservoir(s.k, uint64(run)+1<<32)
		v := 0
		for ; v < s.inA; v++ {
			a.Add(float64(v))
		}
		for ; v < s.inA+s.inB; v++ {
			b.Add(float64(v))
		}
		require.NoError(t, a.Merge(b))
		for ; v < s.total(); v++ {
			a.Add(float64(v))
		}
		require.Equal(t, min(s.k, s.total()), a.Len())
		for _, x := range a.Values() {
			hits[int(x)]++
			if int(x) < s.inA {
				fromA++
			}
		}
	}
	return hits, float64(fromA) / float64(runs)
}

// TestReservoirInclusionIsUniform checks, over many seeded runs, that every
// value of the stream is kept with probability k/n, within five binomial
// standard deviations, with and without merges. With a family of a few
// thousand checks a false failure has probability below 1e-3, and the
// seeds are fixed, so the test is deterministic.
func TestReservoirInclusionIsUniform(t *testing.T) {
	const runs = 20_000
	tests := []inclusionScenario{
		{name: "single stream, large n/k", k: 5, inA: 1000},
		{name: "single stream", k: 10, inA: 100},
		{name: "merge two full reservoirs of unequal streams", k: 20, inA: 300, inB: 100},
		{name: "merge then keep adding", k: 10, inA: 150, inB: 50, after: 200},
		{name: "merge two partial reservoirs past capacity", k: 10, inA: 5, inB: 8},
		{name: "merge into an empty reservoir", k: 10, inB: 60, after: 40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits, meanFromA := tt.run(t, runs)
			p := float64(tt.k) / float64(tt.total())
			sigma := math.Sqrt(runs * p * (1 - p))
			for v, h := range hits {
				require.InDelta(t, runs*p, float64(h), 5*sigma, "value %d", v)
			}
			// The number of values kept from A's stream is hypergeometric;
			// its variance is at most the binomial k*pA*(1-pA).
			pA := float64(tt.inA) / float64(tt.total())
			k := float64(min(tt.k, tt.total()))
			tol := 5*math.Sqrt(k*pA*(1-pA)/runs) + 1e-9
			require.InDelta(t, k*pA, meanFromA, tol)
		})
	}
}

func TestReservoirMergeKeepsEverythingWhenItFits(t *testing.T) {
	a, b := NewReservoir(10, 1), NewReservoir(10, 2)
	for _, x := range []float64{1, 2, 3} {
		a.Add(x)
	}
	for _, x := range []float64{4, 5} {
		b.Add(x)
	}
	require.NoError(t, a.Merge(b))
	require.Equal(t, int64(5), a.Seen())
	if diff := cmp.Diff([]float64{1, 2, 3, 4, 5}, slices.Sorted(slices.Values(a.Values()))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	require.Equal(t, []float64{4, 5}, b.Values(), "the merged-in reservoir is unchanged")

	// Filling up to exactly the capacity afterwards switches to sampling.
	for x := 6.0; x <= 20; x++ {
		a.Add(x)
	}
	require.Equal(t, 10, a.Len())
	require.Equal(t, int64(20), a.Seen())
}

func TestReservoirMergeIsDeterministic(t *testing.T) {
	merged := func() []float64 {
		a, b := NewReservoir(30, 11), NewReservoir(30, 12)
		for i := range 1000 {
			a.Add(float64(i))
			b.Add(float64(-i))
		}
		require.NoError(t, a.Merge(b))
		return slices.Clone(a.Values())
	}
	if diff := cmp.Diff(merged(), merged()); diff != "" {
		t.Errorf("(-first +second):\n%s", diff)
	}
}

func TestReservoirMergeErrors(t *testing.T) {
	a := NewReservoir(10, 1)
	a.Add(1)
	require.EqualError(t, a.Merge(NewReservoir(11, 1)), "merge reservoirs: capacities differ (10 and 11)")
	require.EqualError(t, a.Merge(a), "merge reservoirs: cannot merge a reservoir into itself")
	require.NoError(t, a.Merge(NewReservoir(10, 3)), "merging an empty reservoir is a no-op")
	require.Equal(t, []float64{1}, a.Values())
}

func TestReservoirReset(t *testing.T) {
	r := NewReservoir(100, 5)
	for i := range 1000 {
		r.Add(float64(i))
	}
	allocs := testing.AllocsPerRun(100, r.Reset)
	require.Zero(t, allocs)
	require.Zero(t, r.Len())
	require.Zero(t, r.Seen())
	for i := range 10 {
		r.Add(float64(i))
	}
	require.Equal(t, []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, r.Values())
	fill := func() {
		r.Reset()
		for i := range 1000 {
			r.Add(float64(i))
		}
	}
	require.Zero(t, testing.AllocsPerRun(10, fill), "a reset reservoir reuses its memory")
}

func TestNewReservoirPanicsOnZeroCapacity(t *testing.T) {
	require.Panics(t, func() { NewReservoir(0, 1) })
}
