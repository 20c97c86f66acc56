package drift

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// distances lists the count-vector distances with their names for tests that
// apply to all of them.
func distances() []struct {
	name string
	fn   func(ref, cur []float64) float64
} {
	return []struct {
		name string
		fn   func(ref, cur []float64) float64
	}{
		{"PSI", func(r, c []float64) float64 { return PSI(r, c, DefaultPSIEpsilon) }},
		{"JensenShannon", JensenShannon},
		{"Hellinger", Hellinger},
		{"LInfinity", LInfinity},
	}
}

// TestDistancesHandComputed checks each distance on shares small enough to
// work out by hand: p = (1/2, 1/2) against q = (1/4, 3/4), and p = (1, 0)
// against q = (1/2, 1/2).
func TestDistancesHandComputed(t *testing.T) {
	jsOneSided := func() float64 {
		// m = (3/4, 1/4); KL(p||m) = ln(4/3); KL(q||m) = (ln(2/3) + ln 2)/2.
		kl := math.Log(4.0/3) + (math.Log(2.0/3)+math.Log(2))/2
		return math.Sqrt(kl / 2 / math.Ln2)
	}
	tests := []struct {
		name     string
		fn       func(ref, cur []float64) float64
		ref, cur []float64
		want     float64
	}{
		{"PSI halves vs quarters", func(r, c []float64) float64 { return PSI(r, c, 1e-4) },
			[]float64{50, 50}, []float64{25, 75}, 0.25 * math.Log(3)},
		{"PSI empty reference bin uses eps", func(r, c []float64) float64 { return PSI(r, c, 1e-4) },
			[]float64{0, 100}, []float64{10, 90}, (0.1-1e-4)*math.Log(0.1/1e-4) + (0.9-1)*math.Log(0.9)},
		{"PSI empty current bin uses eps", func(r, c []float64) float64 { return PSI(r, c, 1e-3) },
			[]float64{10, 90}, []float64{0, 100}, (1e-3-0.1)*math.Log(1e-3/0.1) + (1-0.9)*math.Log(1/0.9)},
		{"JensenShannon one-sided", JensenShannon, []float64{2, 0}, []float64{1, 1}, jsOneSided()},
		{"Hellinger one-sided", Hellinger, []float64{2, 0}, []float64{1, 1}, math.Sqrt(1 - math.Sqrt(0.5))},
		{"Hellinger halves vs quarters", Hellinger, []float64{50, 50}, []float64{25, 75},
			math.Sqrt(1 - math.Sqrt(0.125) - math.Sqrt(0.375))},
		{"LInfinity halves vs quarters", LInfinity, []float64{50, 50}, []float64{25, 75}, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.InDelta(t, tt.want, tt.fn(tt.ref, tt.cur), 1e-15)
		})
	}
}

// TestDistancesProperties checks, for every distance, that identical shares
// give 0, disjoint supports give the maximum, the value does not depend on
// the scale of the counts, and swapping the vectors changes nothing.
func TestDistancesProperties(t *testing.T) {
	// Disjoint supports maximise JS and Hellinger; L-infinity is then the
	// largest single share, 7/8 here.
	disjointMax := map[string]float64{"JensenShannon": 1, "Hellinger": 1, "LInfinity": 7.0 / 8}
	rng := rand.New(rand.NewPCG(30, 31))
	for _, d := range distances() {
		t.Run(d.name, func(t *testing.T) {
			require.Zero(t, d.fn([]float64{1, 2, 3}, []float64{10, 20, 30}))
			if m, ok := disjointMax[d.name]; ok {
				require.InDelta(t, m, d.fn([]float64{1, 2, 0, 0}, []float64{0, 0, 7, 1}), 1e-15)
			}
			for range 50 {
				ref, cur := make([]float64, 12), make([]float64, 12)
				for i := range ref {
					ref[i], cur[i] = float64(rng.IntN(40)), float64(rng.IntN(40)+1)
				}
				scaled := make([]float64, len(cur))
				for i, c := range cur {
					scaled[i] = 8 * c
				}
				v := d.fn(ref, cur)
				require.GreaterOrEqual(t, v, 0.0)
				require.InDelta(t, v, d.fn(ref, scaled), 1e-14*v+1e-16, "scale")
				require.InDelta(t, v, d.fn(cur, ref), 1e-14*v+1e-16, "swap")
			}
		})
	}
}

// TestDistancesNearlyIdentical checks that shares differing in the sixth
// significant digit keep their relative precision. The references are the
// leading terms of each distance's Taylor expansion in the share
// differences, accurate to far better than the tolerance here.
func TestDistancesNearlyIdentical(t *testing.T) {
	ref := []float64{1000000, 2000000, 3000000}
	cur := []float64{1000001, 2000000, 2999999}
	const n = 6000000.0
	d := []float64{1 / n, 0, -1 / n}
	p := []float64{1.0 / 6, 2.0 / 6, 3.0 / 6}
	var chi2 float64
	for i := range d {
		chi2 += d[i] * d[i] / p[i]
	}
	require.InEpsilon(t, chi2, PSI(ref, cur, DefaultPSIEpsilon), 1e-5)
	require.InEpsilon(t, math.Sqrt(chi2/8/math.Ln2), JensenShannon(ref, cur), 1e-5)
	require.InEpsilon(t, math.Sqrt(chi2/8), Hellinger(ref, cur), 1e-5)
	require.InEpsilon(t, 1/n, LInfinity(ref, cur), 1e-12)
}

func TestDistancesInvalidInput(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []float64
	}{
		{name: "empty", ref: nil, cur: nil},
		{name: "zero reference total", ref: []float64{0, 0}, cur: []float64{1, 1}},
		{name: "zero current total", ref: []float64{1, 1}, cur: []float64{0, 0}},
		{name: "negative count", ref: []float64{1, -1, 3}, cur: []float64{1, 1, 1}},
		{name: "NaN count", ref: []float64{1, 1}, cur: []float64{math.NaN(), 1}},
		{name: "infinite count", ref: []float64{math.Inf(1), 1}, cur: []float64{1, 1}},
	}
	for _, d := range distances() {
		for _, tt := range tests {
			t.Run(d.name+" "+tt.name, func(t *testing.T) {
				require.True(t, math.IsNaN(d.fn(tt.ref, tt.cur)))
			})
		}
		t.Run(d.name+" length mismatch panics", func(t *testing.T) {
			require.Panics(t, func() { d.fn([]float64{1, 2}, []float64{1}) })
		})
	}
	require.Panics(t, func() { PSI([]float64{1}, []float64{1}, 0) })
	require.Panics(t, func() { PSI([]float64{1}, []float64{1}, math.NaN()) })
}

func benchmarkCounts(bins int) ([]float64, []float64) {
	rng := rand.New(rand.NewPCG(32, 33))
	ref, cur := make([]float64, bins), make([]float64, bins)
	for i := range ref {
		ref[i], cur[i] = float64(rng.IntN(1000)), float64(rng.IntN(1000))
	}
	return ref, cur
}

func BenchmarkPSI(b *testing.B) {
	ref, cur := benchmarkCounts(30)
	for b.Loop() {
		PSI(ref, cur, DefaultPSIEpsilon)
	}
}

func BenchmarkJensenShannon(b *testing.B) {
	ref, cur := benchmarkCounts(30)
	for b.Loop() {
		JensenShannon(ref, cur)
	}
}

func BenchmarkHellinger(b *testing.B) {
	ref, cur := benchmarkCounts(30)
	for b.Loop() {
		Hellinger(ref, cur)
	}
}

func BenchmarkChiSquare(b *testing.B) {
	ref, cur := benchmarkCounts(30)
	for b.Loop() {
		_, _, _ = ChiSquareHomogeneity(ref, cur)
	}
}
