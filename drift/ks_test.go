package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestKSModeValidate(t *testing.T) {
	for _, m := range []KSMode{KSAuto, KSExact, KSAsymptotic} {
		require.NoError(t, m.Validate())
	}
	require.EqualError(t, KSMode("approx").Validate(), `unknown KS mode "approx" (want auto, exact or asymp)`)
	require.Panics(t, func() { KolmogorovSmirnov([]float64{1}, []float64{2}, "approx") })
}

func TestKolmogorovSmirnovInvalidInput(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []float64
	}{
		{name: "empty reference", ref: nil, cur: []float64{1, 2}},
		{name: "empty current", ref: []float64{1, 2}, cur: []float64{}},
		{name: "NaN in reference", ref: []float64{1, math.NaN(), 3}, cur: []float64{1, 2}},
		{name: "NaN in current", ref: []float64{1, 2}, cur: []float64{2, 1, math.NaN()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []KSMode{KSAuto, KSExact, KSAsymptotic} {
				got := KolmogorovSmirnov(tt.ref, tt.cur, mode)
				require.True(t, math.IsNaN(got.Statistic), "statistic %v", got.Statistic)
				require.True(t, math.IsNaN(got.PValue), "p-value %v", got.PValue)
			}
		})
	}
}

// TestKolmogorovSmirnovHandComputed checks D and the exact p-value against
// values derived by hand from the definition: for two samples of size n the
// exact two-sided p-value is P(D >= h/n) from the reflection principle.
func TestKolmogorovSmirnovHandComputed(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []float64
		wantD    float64
		wantP    float64
	}{
		// Disjoint samples of 3: only the two fully separated arrangements of
		// C(6, 3) = 20 reach D = 1.
		{name: "disjoint 3 vs 3", ref: []float64{1, 2, 3}, cur: []float64{4, 5, 6}, wantD: 1, wantP: 2.0 / 20},
		// Identical samples never differ.
		{name: "identical", ref: []float64{1, 2, 3}, cur: []float64{3, 2, 1}, wantD: 0, wantP: 1},
		// One value each: D = 1 always, so the p-value is 1.
		{name: "single values", ref: []float64{0}, cur: []float64{1}, wantD: 1, wantP: 1},
		// Interleaved 1,2 | 3,4: D = 1 at value 2; 2 of C(4, 2) = 6 arrangements.
		{name: "disjoint 2 vs 2", ref: []float64{2, 1}, cur: []float64{4, 3}, wantD: 1, wantP: 2.0 / 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := KolmogorovSmirnov(tt.ref, tt.cur, KSExact)
			require.InDelta(t, tt.wantD, got.Statistic, 1e-15)
			require.InDelta(t, tt.wantP, got.PValue, 1e-15)
		})
	}
}

func TestKolmogorovSmirnovLeavesInputUntouched(t *testing.T) {
	ref := []float64{3, 1, 2, 5, 4}
	cur := []float64{9, 7, 8}
	refCopy, curCopy := slices.Clone(ref), slices.Clone(cur)
	KolmogorovSmirnov(ref, cur, KSAuto)
	require.Empty(t, cmp.Diff(refCopy, ref))
	require.Empty(t, cmp.Diff(curCopy, cur))
}

func TestKolmogorovSmirnovSortedMatchesUnsorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ref, cur := normalSample(rng, 300, 0, 1), normalSample(rng, 250, 0.2, 1)
	for _, mode := range []KSMode{KSAuto, KSExact, KSAsymptotic} {
		want := KolmogorovSmirnov(ref, cur, mode)
		got := KolmogorovSmirnovSorted(sortedCopy(ref), sortedCopy(cur), mode)
		require.Empty(t, cmp.Diff(want, got), "mode %s", mode)
	}
}

// TestKolmogorovSmirnovSymmetricAndRankInvariant checks two properties of the
// two-sided test: swapping the samples changes nothing, and neither does a
// strictly increasing transformation of all values, such as exp, or moving
// the overall maximum to +Inf and the minimum to -Inf.
func TestKolmogorovSmirnovSymmetricAndRankInvariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ref, cur := normalSample(rng, 80, 0, 1), normalSample(rng, 120, 0.4, 1)
	exp := func(x []float64) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = math.Exp(v)
		}
		return out
	}
	extremes := func(x []float64, lo, hi float64) []float64 {
		out := slices.Clone(x)
		for i, v := range out {
			switch v {
			case lo:
				out[i] = math.Inf(-1)
			case hi:
				out[i] = math.Inf(1)
			}
		}
		return out
	}
	lo := min(slices.Min(ref), slices.Min(cur))
	hi := max(slices.Max(ref), slices.Max(cur))
	for _, mode := range []KSMode{KSAuto, KSAsymptotic} {
		want := KolmogorovSmirnov(ref, cur, mode)
		require.Empty(t, cmp.Diff(want, KolmogorovSmirnov(cur, ref, mode)), "swapped, mode %s", mode)
		require.Empty(t, cmp.Diff(want, KolmogorovSmirnov(exp(ref), exp(cur), mode)), "exp, mode %s", mode)
		got := KolmogorovSmirnov(extremes(ref, lo, hi), extremes(cur, lo, hi), mode)
		require.Empty(t, cmp.Diff(want, got), "infinite extremes, mode %s", mode)
	}
}

// TestKolmogorovSmirnovAsymptoticSingleValues covers the one place where
// driftwatch deliberately differs from scipy: with one value per sample the
// effective size round(1/2) is 0 and scipy's p-value is NaN; driftwatch
// evaluates the distribution at n = 1 instead.
func TestKolmogorovSmirnovAsymptoticSingleValues(t *testing.T) {
	require.Equal(t, TestResult{Statistic: 0, PValue: 1}, KolmogorovSmirnov([]float64{1}, []float64{1}, KSAsymptotic))
	require.Equal(t, TestResult{Statistic: 1, PValue: 0}, KolmogorovSmirnov([]float64{1}, []float64{2}, KSAsymptotic))
}

// TestKolmogorovSmirnovModes checks the exact/asymptotic switch: auto is
// exact up to 10000 values per sample, and exact falls back to asymptotic
// when lcm(n1, n2) is too large for path counting.
func TestKolmogorovSmirnovModes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name       string
		n1, n2     int
		mode       KSMode
		wantSameAs KSMode
	}{
		{name: "auto at 10000 is exact", n1: 10000, n2: 10000, mode: KSAuto, wantSameAs: KSExact},
		{name: "auto at 10001 is asymptotic", n1: 10001, n2: 300, mode: KSAuto, wantSameAs: KSAsymptotic},
		{name: "exact with huge lcm is asymptotic", n1: 50000, n2: 49999, mode: KSExact, wantSameAs: KSAsymptotic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref, cur := normalSample(rng, tt.n1, 0, 1), normalSample(rng, tt.n2, 0.03, 1)
			got := KolmogorovSmirnov(ref, cur, tt.mode)
			require.Empty(t, cmp.Diff(KolmogorovSmirnov(ref, cur, tt.wantSameAs), got))
		})
	}
}

// TestKolmogorovSmirnovNullCalibration draws both samples from the same
// distribution: the exact p-value of a continuous test is super-uniform, so
// the rejection rate at 0.05 must stay near or below 0.05.
func TestKolmogorovSmirnovNullCalibration(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const trials = 2000
	rejected := 0
	for range trials {
		res := KolmogorovSmirnov(normalSample(rng, 40, 0, 1), normalSample(rng, 60, 0, 1), KSAuto)
		require.True(t, res.PValue >= 0 && res.PValue <= 1)
		if res.PValue < 0.05 {
			rejected++
		}
	}
	// Binomial(2000, 0.05) has standard deviation 9.7; allow four of them.
	require.LessOrEqual(t, rejected, 139)
	require.GreaterOrEqual(t, rejected, 40, "a test that never rejects is broken too")
}

// TestKolmogorovExactAgreesWithAsymptotic checks the two p-value methods
// against each other for moderately large samples, where they must agree to
// the accuracy of the asymptotic approximation.
func TestKolmogorovExactAgreesWithAsymptotic(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for range 20 {
		ref, cur := normalSample(rng, 2000, 0, 1), normalSample(rng, 1500, 0.05, 1)
		exact := KolmogorovSmirnov(ref, cur, KSExact)
		asymp := KolmogorovSmirnov(ref, cur, KSAsymptotic)
		require.InDelta(t, exact.PValue, asymp.PValue, 0.02)
	}
}

// TestKolmogorovDistributionClosedForms checks the one- and two-sided
// distributions against formulas derived by hand. For n = 1,
// P(D_1 >= x) = 2(1-x) when x > 1/2. For n = 3 and 1/2 <= x < 2/3 the
// Birnbaum-Tingey sum has two terms,
// P(D+_3 >= x) = (1-x)^3 + 3x(2/3-x)^2, and the two-sided tail is twice it
// because the one-sided events are disjoint for x >= 1/2.
func TestKolmogorovDistributionClosedForms(t *testing.T) {
	for _, x := range []float64{0.55, 0.7, 0.9} {
		require.InDelta(t, 2*(1-x), kolmogorovSF(1, x), 1e-15, "n=1, x=%v", x)
	}
	for _, x := range []float64{0.5, 0.55, 0.6, 0.66} {
		want := math.Pow(1-x, 3) + 3*x*math.Pow(2.0/3-x, 2)
		require.InDelta(t, want, smirnovSF(3, x), 1e-15, "smirnov n=3, x=%v", x)
		require.InDelta(t, 2*want, kolmogorovSF(3, x), 1e-15, "kstwo n=3, x=%v", x)
	}
	require.Equal(t, 1.0, kolmogorovSF(10, 0.05))
	require.Equal(t, 0.0, kolmogorovSF(10, 1))
	require.True(t, math.IsNaN(kolmogorovSF(0, 0.5)))
	require.True(t, math.IsNaN(smirnovSF(5, 1.5)))
}

// TestSortedCopyMatchesSlicesSort checks the radix sort against slices.Sort
// on samples with duplicates, infinities, signed zeros and NaN.
func TestSortedCopyMatchesSlicesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{0, 1, 511, 512, 5000} {
		x := normalSample(rng, n, 0, 1e6)
		for i := range x {
			switch rng.IntN(20) {
			case 0:
				x[i] = math.Inf(1)
			case 1:
				x[i] = math.Inf(-1)
			case 2:
				x[i] = math.Copysign(0, -1)
			case 3:
				x[i] = 0
			case 4:
				x[i] = math.Round(x[i] / 1e6)
			case 5:
				x[i] = math.NaN()
			}
		}
		orig := slices.Clone(x)
		want := slices.Clone(x)
		slices.Sort(want)
		got := sortedCopy(x)
		require.Len(t, got, n)
		for i := range want {
			// slices.Sort keeps -0 and +0 in input order; compare as numbers.
			same := want[i] == got[i] || (math.IsNaN(want[i]) && math.IsNaN(got[i]))
			require.Truef(t, same, "n=%d index %d: want %v, got %v", n, i, want[i], got[i])
		}
		require.True(t, slices.EqualFunc(orig, x, func(a, b float64) bool {
			return math.Float64bits(a) == math.Float64bits(b)
		}), "input modified")
	}
}

func FuzzKolmogorovSmirnov(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(3), uint8(0))
	f.Add([]byte{0, 0, 0, 0}, uint8(2), uint8(1))
	f.Add([]byte{255, 1, 128, 7, 7, 7, 9}, uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, split uint8, mode uint8) {
		ref, cur := fuzzSamples(data, split)
		m := []KSMode{KSAuto, KSExact, KSAsymptotic}[int(mode)%3]
		res := KolmogorovSmirnov(ref, cur, m)
		if len(ref) == 0 || len(cur) == 0 {
			require.True(t, math.IsNaN(res.PValue))
			return
		}
		require.True(t, res.Statistic >= 0 && res.Statistic <= 1, "D = %v", res.Statistic)
		require.True(t, res.PValue >= 0 && res.PValue <= 1, "p = %v", res.PValue)
	})
}

// fuzzSamples splits bytes into two samples of small integers (many ties)
// scaled by a few magnitudes.
func fuzzSamples(data []byte, split uint8) ([]float64, []float64) {
	k := 0
	if len(data) > 0 {
		k = int(split) % (len(data) + 1)
	}
	conv := func(b []byte) []float64 {
		out := make([]float64, len(b))
		for i, v := range b {
			out[i] = float64(v%64) * math.Pow(10, float64(v/64)-2)
		}
		return out
	}
	return conv(data[:k]), conv(data[k:])
}

// normalSample draws n values from a normal distribution.
func normalSample(rng *rand.Rand, n int, mean, sd float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = mean + sd*rng.NormFloat64()
	}
	return out
}

func BenchmarkKS10k(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	ref, cur := normalSample(rng, 10000, 0, 1), normalSample(rng, 10000, 0.02, 1)
	refSorted, curSorted := sortedCopy(ref), sortedCopy(cur)
	b.Run("unsorted", func(b *testing.B) {
		for b.Loop() {
			KolmogorovSmirnov(ref, cur, KSAuto)
		}
	})
	b.Run("sorted", func(b *testing.B) {
		for b.Loop() {
			KolmogorovSmirnovSorted(refSorted, curSorted, KSAuto)
		}
	})
	b.Run("sorted unequal sizes", func(b *testing.B) {
		cur := curSorted[:9999]
		for b.Loop() {
			KolmogorovSmirnovSorted(refSorted, cur, KSAuto)
		}
	})
}

// BenchmarkKSAsymptotic times samples too large for the exact p-value. Small
// D is cheap; once n*D^2 >= 2.2 (p below about 0.03) the p-value comes from
// the double-double Smirnov sum, whose cost grows with n.
func BenchmarkKSAsymptotic(b *testing.B) {
	rng := rand.New(rand.NewPCG(13, 14))
	ref := sortedCopy(normalSample(rng, 50000, 0, 1))
	for _, bc := range []struct {
		name  string
		shift float64
	}{{"50k vs 60k no drift", 0}, {"50k vs 60k drift", 0.05}} {
		cur := sortedCopy(normalSample(rng, 60000, bc.shift, 1))
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				KolmogorovSmirnovSorted(ref, cur, KSAuto)
			}
		})
	}
}
