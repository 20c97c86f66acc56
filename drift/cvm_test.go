package drift

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestCramerVonMisesInvalidInput(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []float64
	}{
		{name: "empty reference", ref: nil, cur: []float64{1, 2, 3}},
		{name: "one reference value", ref: []float64{1}, cur: []float64{1, 2, 3}},
		{name: "one current value", ref: []float64{1, 2, 3}, cur: []float64{2}},
		{name: "NaN", ref: []float64{1, 2, 3}, cur: []float64{2, math.NaN(), 4}},
		{name: "NaN in large sample", ref: append(make([]float64, 30), math.NaN()), cur: make([]float64, 25)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CramerVonMises(tt.ref, tt.cur)
			require.True(t, math.IsNaN(got.Statistic))
			require.True(t, math.IsNaN(got.PValue))
		})
	}
}

// TestCramerVonMisesHandComputed checks T and the exact p-value for two
// samples of two. With ranks (a, b) for x and (c, d) for y,
// U = 2[(a-1)^2 + (b-2)^2] + 2[(c-1)^2 + (d-2)^2]; the six arrangements give
// U = 16 for the two separated ones and U = 12 for the other four, and
// T = U/16 - 15/24.
func TestCramerVonMisesHandComputed(t *testing.T) {
	tests := []struct {
		name         string
		ref, cur     []float64
		wantT, wantP float64
	}{
		{name: "separated", ref: []float64{1, 2}, cur: []float64{3, 4}, wantT: 16.0/16 - 15.0/24, wantP: 2.0 / 6},
		{name: "interleaved", ref: []float64{1, 3}, cur: []float64{2, 4}, wantT: 12.0/16 - 15.0/24, wantP: 1},
		{name: "reversed separated", ref: []float64{30, 40}, cur: []float64{-1, -2}, wantT: 16.0/16 - 15.0/24, wantP: 2.0 / 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CramerVonMises(tt.ref, tt.cur)
			require.InDelta(t, tt.wantT, got.Statistic, 1e-15)
			require.InDelta(t, tt.wantP, got.PValue, 1e-15)
		})
	}
}

// TestCramerVonMisesMidranks checks the tie handling: all values equal gives
// every observation the same midrank, (N+1)/2.
func TestCramerVonMisesMidranks(t *testing.T) {
	x, y := []float64{5, 5, 5}, []float64{5, 5}
	// Midrank 3 for everyone: U = 3*(4+1+0) + 2*(4+1) = 25, k = 6, N = 5.
	want := 25.0/30 - 23.0/30
	require.InDelta(t, want, CramerVonMises(x, y).Statistic, 1e-15)
	require.InDelta(t, 25.0, cvmU(x, y), 0)
}

func TestCramerVonMisesSymmetricAndUntouched(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for _, n := range [][2]int{{7, 9}, {15, 20}, {60, 45}} {
		ref, cur := normalSample(rng, n[0], 0, 1), normalSample(rng, n[1], 0.5, 1)
		refCopy, curCopy := slices.Clone(ref), slices.Clone(cur)
		a, b := CramerVonMises(ref, cur), CramerVonMises(cur, ref)
		require.InDelta(t, a.Statistic, b.Statistic, 1e-14*a.Statistic, "sizes %v", n)
		require.InDelta(t, a.PValue, b.PValue, 1e-14, "sizes %v", n)
		require.Empty(t, cmp.Diff(refCopy, ref))
		require.Empty(t, cmp.Diff(curCopy, cur))
		require.Empty(t, cmp.Diff(a, CramerVonMisesSorted(sortedCopy(ref), sortedCopy(cur))))
	}
}

// TestCramerVonMisesNullCalibration checks that the asymptotic p-value rejects
// about 5% of samples drawn from one distribution at the 0.05 level, and that
// the exact p-value (a discrete, conservative test) rejects at most that.
func TestCramerVonMisesNullCalibration(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 23))
	tests := []struct {
		name         string
		n1, n2       int
		trials       int
		minHits, max int
	}{
		// Binomial(1000, 0.05): mean 50, standard deviation 6.9.
		{name: "asymptotic 40 vs 60", n1: 40, n2: 60, trials: 1000, minHits: 22, max: 78},
		{name: "exact 8 vs 10", n1: 8, n2: 10, trials: 300, minHits: 3, max: 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := 0
			for range tt.trials {
				p := CramerVonMises(normalSample(rng, tt.n1, 0, 1), normalSample(rng, tt.n2, 0, 1)).PValue
				require.True(t, p >= 0 && p <= 1)
				if p < 0.05 {
					hits++
				}
			}
			require.GreaterOrEqual(t, hits, tt.minHits)
			require.LessOrEqual(t, hits, tt.max)
		})
	}
}

// TestCramerVonMisesExactAgreesWithAsymptotic checks the two p-value methods
// against each other at the largest exact size, where scipy's documentation
// notes they are already close.
func TestCramerVonMisesExactAgreesWithAsymptotic(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 25))
	for range 10 {
		x, y := sortedCopy(normalSample(rng, 20, 0, 1)), sortedCopy(normalSample(rng, 18, 0.3, 1))
		exact := cvmTest(x, y, cvmExactPValue)
		asymp := cvmTest(x, y, cvmAsymptoticPValue)
		require.InDelta(t, exact.PValue, asymp.PValue, 0.03)
	}
}

// TestCramerVonMisesLargeSamples checks T at sizes where nx*ny*(nx+ny)
// exceeds the largest int64, which it does from about 1.66 million values
// per sample, against cvmReferenceT. At these sizes the float64 sums of
// squared rank differences round, and T, the difference of two terms near
// N/6, magnifies that rounding: the measured error is 3.8e-6 relative for
// samples from one distribution (T near 1/6) and 7e-8 for shifted ones. The
// tolerance of 2e-5 allows for that; the overflow was off by a factor of
// millions.
func TestCramerVonMisesLargeSamples(t *testing.T) {
	if testing.Short() {
		t.Skip("samples of 1.7 million values")
	}
	tests := []struct {
		name   string
		nx, ny int
		shift  float64 // of the second sample, in standard deviations
		grid   float64 // rounds values to multiples of grid, making ties; 0 for none
	}{
		{name: "one distribution", nx: 1_700_000, ny: 1_750_000},
		{name: "shifted, with ties", nx: 1_750_000, ny: 1_700_000, shift: 0.01, grid: 1.0 / 1024},
	}
	rng := rand.New(rand.NewPCG(28, 29))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Greater(t, float64(tt.nx)*float64(tt.ny)*float64(tt.nx+tt.ny), float64(math.MaxInt64), "k*N must not fit in an int64")
			x, y := normalSample(rng, tt.nx, 0, 1), normalSample(rng, tt.ny, tt.shift, 1)
			if tt.grid > 0 {
				for _, s := range [][]float64{x, y} {
					for i, v := range s {
						s[i] = math.Round(v/tt.grid) * tt.grid
					}
				}
			}
			got := CramerVonMises(x, y)
			want := cvmReferenceT(x, y)
			require.InEpsilon(t, want, got.Statistic, 2e-5)
			require.True(t, got.PValue >= 0 && got.PValue <= 1, "p = %v", got.PValue)
		})
	}
}

// cvmReferenceT computes T independently of cvmTest: it sorts the pooled
// sample with each value's origin, gives tied blocks their midrank, sums the
// squared rank differences as integers (twice a midrank is an integer) and
// evaluates T = U/(kN) - (4k-1)/(6N) in rational arithmetic, rounding once.
func cvmReferenceT(x, y []float64) float64 {
	type obs struct {
		v     float64
		fromX bool
	}
	pooled := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		pooled = append(pooled, obs{v, true})
	}
	for _, v := range y {
		pooled = append(pooled, obs{v, false})
	}
	slices.SortFunc(pooled, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	sx, sy, term := new(big.Int), new(big.Int), new(big.Int)
	var ix, iy int64 // values of x and of y ranked so far
	for lo := 0; lo < len(pooled); {
		hi := lo
		for hi < len(pooled) && pooled[hi].v == pooled[lo].v {
			hi++
		}
		twiceMid := int64(lo + 1 + hi) // ranks lo+1 .. hi
		for _, o := range pooled[lo:hi] {
			if o.fromX {
				ix++
				d := twiceMid - 2*ix
				sx.Add(sx, term.SetInt64(d*d))
			} else {
				iy++
				d := twiceMid - 2*iy
				sy.Add(sy, term.SetInt64(d*d))
			}
		}
		lo = hi
	}
	nx, ny := big.NewInt(int64(len(x))), big.NewInt(int64(len(y)))
	// 4U = nx*sx + ny*sy, since sx and sy sum (2d)^2.
	u4 := new(big.Int).Add(new(big.Int).Mul(nx, sx), new(big.Int).Mul(ny, sy))
	k := new(big.Int).Mul(nx, ny)
	n := new(big.Int).Add(nx, ny)
	first := new(big.Rat).SetFrac(u4, new(big.Int).Mul(big.NewInt(4), new(big.Int).Mul(k, n)))
	second := new(big.Rat).SetFrac(new(big.Int).Sub(new(big.Int).Mul(big.NewInt(4), k), big.NewInt(1)), new(big.Int).Mul(big.NewInt(6), n))
	tt, _ := new(big.Rat).Sub(first, second).Float64()
	return tt
}

func TestPyFloorDiv(t *testing.T) {
	tests := []struct{ a, b, want float64 }{
		{7, 2, 3}, {-7, 2, -4}, {7, -2, -4}, {-7, -2, 3}, {6, 3, 2}, {0, 5, 0}, {1e300, 1e-10, math.Inf(1)},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, pyFloorDiv(tt.a, tt.b), "%v // %v", tt.a, tt.b)
	}
}

func FuzzCramerVonMises(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6}, uint8(3))
	f.Add([]byte{0, 0, 0, 0, 0}, uint8(2))
	f.Add([]byte{9, 200, 13, 77, 64, 64, 3, 1, 250, 128, 17, 90, 33, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55}, uint8(11))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		ref, cur := fuzzSamples(data, split)
		res := CramerVonMises(ref, cur)
		if len(ref) < 2 || len(cur) < 2 {
			require.True(t, math.IsNaN(res.PValue))
			return
		}
		require.True(t, res.Statistic >= 0 && !math.IsInf(res.Statistic, 0), "T = %v", res.Statistic)
		require.True(t, res.PValue >= 0 && res.PValue <= 1, "p = %v", res.PValue)
	})
}

func BenchmarkCvM(b *testing.B) {
	rng := rand.New(rand.NewPCG(26, 27))
	ref, cur := normalSample(rng, 10000, 0, 1), normalSample(rng, 10000, 0.02, 1)
	refSorted, curSorted := sortedCopy(ref), sortedCopy(cur)
	b.Run("10k unsorted", func(b *testing.B) {
		for b.Loop() {
			CramerVonMises(ref, cur)
		}
	})
	b.Run("10k sorted", func(b *testing.B) {
		for b.Loop() {
			CramerVonMisesSorted(refSorted, curSorted)
		}
	})
	small, smallCur := sortedCopy(ref[:20]), sortedCopy(cur[:20])
	b.Run("exact 20 vs 20", func(b *testing.B) {
		for b.Loop() {
			CramerVonMisesSorted(small, smallCur)
		}
	})
}
