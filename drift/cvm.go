package drift

import (
	"math"
	"math/big"
)

// cvmMaxExactN is the largest sample size for which CramerVonMises computes
// the exact p-value, as scipy's method="auto" does.
const cvmMaxExactN = 20

// CramerVonMises runs the two-sample Cramér-von Mises test and returns the
// statistic T (Anderson 1962) with its p-value. It matches
// scipy.stats.cramervonmises_2samp(ref, cur, method="auto"): ties get
// midranks, samples of at most 20 values each get the exact p-value, and
// larger samples the asymptotic one (Csörgő and Faraway 1996).
//
// It sorts copies of its inputs. Fewer than two values in either sample, or
// a NaN value, gives NaN for both fields.
func CramerVonMises(ref, cur []float64) TestResult {
	return CramerVonMisesSorted(sortedCopy(ref), sortedCopy(cur))
}

// CramerVonMisesSorted is CramerVonMises for samples already sorted in
// ascending order with any NaN first, the order slices.Sort produces.
func CramerVonMisesSorted(refSorted, curSorted []float64) TestResult {
	if max(len(refSorted), len(curSorted)) > cvmMaxExactN {
		return cvmTest(refSorted, curSorted, cvmAsymptoticPValue)
	}
	return cvmTest(refSorted, curSorted, cvmExactPValue)
}

// cvmPValue computes a p-value from U (Anderson's rank statistic), T and the
// sample sizes.
type cvmPValue func(u, t float64, nx, ny int) float64

// cvmTest computes U and T from two sorted samples and hands them to pvalue.
func cvmTest(x, y []float64, pvalue cvmPValue) TestResult {
	nx, ny := len(x), len(y)
	if nx < 2 || ny < 2 || math.IsNaN(x[0]) || math.IsNaN(y[0]) {
		return TestResult{Statistic: math.NaN(), PValue: math.NaN()}
	}
	u := cvmU(x, y)
	// k*N exceeds the largest int64 once both samples reach about 1.66
	// million values, so the sizes are multiplied in float64. While 4k stays
	// below 2^53 (up to about 47 million values per sample), k, N and 4k-1
	// are exact and each quotient is rounded once, as scipy's quotients of
	// Python integers are.
	k, n := float64(nx)*float64(ny), float64(nx+ny)
	t := u/(k*n) - (4*k-1)/(6*n)
	return TestResult{Statistic: t, PValue: pvalue(u, t, nx, ny)}
}

// cvmU returns U = nx*sum((r_i - i)^2) + ny*sum((s_j - j)^2), where r_i and
// s_j are the midranks of the sorted samples in the pooled sample. Midranks
// are half-integers, so every term is a multiple of 1/4, and the sums are
// exact while they stay below 2^51; U then rounds as scipy's does and
// matches it bit for bit. For samples from one distribution that holds up
// to roughly 200,000 values each, for samples far apart to fewer. Beyond
// that the float64 sums round, in another order than scipy's pairwise sums,
// and T, the difference of two terms near N/6, magnifies the rounding: T
// is good to about 1e-6 relative at a million values per sample.
func cvmU(x, y []float64) float64 {
	var sx, sy float64
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		v := smallestHead(x, y, i, j)
		i0, j0 := i, j
		for i < len(x) && x[i] == v {
			i++
		}
		for j < len(y) && y[j] == v {
			j++
		}
		// The tied block occupies pooled positions i0+j0+1 .. i+j.
		mid := float64(i0+j0+1+i+j) / 2
		for r := i0; r < i; r++ {
			d := mid - float64(r+1)
			sx += d * d
		}
		for r := j0; r < j; r++ {
			d := mid - float64(r+1)
			sy += d * d
		}
	}
	return float64(len(x))*sx + float64(len(y))*sy
}

// smallestHead returns the smallest of x[i] and y[j] that exists.
func smallestHead(x, y []float64, i, j int) float64 {
	switch {
	case i == len(x):
		return y[j]
	case j == len(y):
		return x[i]
	default:
		return min(x[i], y[j])
	}
}

// cvmAsymptoticPValue standardises T with its exact mean and variance
// (Anderson 1962, eqs. 11, 14 and 15) and evaluates the limiting one-sample
// distribution, as scipy's _pval_cvm_2samp_asymptotic does.
func cvmAsymptoticPValue(_, t float64, nx, ny int) float64 {
	n := nx + ny
	et := (1 + 1/float64(n)) / 6
	tn := 1.0/6 + (t-et)/math.Sqrt(45*cvmVarianceT(nx, ny))
	if tn < 0.003 {
		return 1
	}
	return max(1-cvmLimitCDF(tn), 0)
}

// cvmVarianceT returns Var(T) = (N+1)(4kN - 3(nx^2+ny^2) - 2k) / (180 N^2 k),
// with k = nx*ny and N = nx+ny, rounded once from the exact fraction as
// Python's integer division does.
func cvmVarianceT(nx, ny int) float64 {
	bx, by := big.NewInt(int64(nx)), big.NewInt(int64(ny))
	k := new(big.Int).Mul(bx, by)
	n := new(big.Int).Add(bx, by)
	num := new(big.Int).Mul(big.NewInt(4), k)
	num.Mul(num, n)
	sq := new(big.Int).Add(new(big.Int).Mul(bx, bx), new(big.Int).Mul(by, by))
	num.Sub(num, sq.Mul(sq, big.NewInt(3)))
	num.Sub(num, new(big.Int).Mul(big.NewInt(2), k))
	num.Mul(num, new(big.Int).Add(n, big.NewInt(1)))
	den := new(big.Int).Mul(n, n)
	den.Mul(den, k)
	den.Mul(den, big.NewInt(180))
	v, _ := new(big.Rat).SetFrac(num, den).Float64()
	return v
}

// cvmLimitCDF returns the CDF of the limiting distribution of the one-sample
// Cramér-von Mises statistic (Csörgő and Faraway 1996, eq. 1.3), summing
// terms until one falls below 1e-7 as scipy's _cdf_cvm_inf does.
func cvmLimitCDF(x float64) float64 {
	sum := 0.0
	for k := 0; ; k++ {
		fk := float64(k)
		lg1, _ := math.Lgamma(fk + 0.5)
		lg2, _ := math.Lgamma(fk + 1)
		u := math.Exp(lg1-lg2) / (math.Pow(math.Pi, 1.5) * math.Sqrt(x))
		y := 4*fk + 1
		q := y * y / (16 * x)
		z := u * math.Sqrt(y) * math.Exp(-2*q) * besselKQuarterScaled(q)
		sum += z
		if math.Abs(z) < 1e-7 {
			return sum
		}
	}
}

// besselKQuarterScaled returns exp(q) * K_{1/4}(q), the scaled modified
// Bessel function of the second kind of order 1/4, from the integral
// exp(q) K_v(q) = int_0^inf exp(-q (cosh t - 1)) cosh(v t) dt. The integrand
// is analytic in the strip |Im t| < pi/2, so the trapezoidal rule converges
// geometrically: a step of at most 0.1 keeps the strip error below 1e-40, and
// at most 0.5/sqrt(q) resolves the peak of width 1/sqrt(q) that the integrand
// has for large q. The sum stops once terms fall below 1e-18 of the first.
func besselKQuarterScaled(q float64) float64 {
	step := min(0.1, 0.5/math.Sqrt(q))
	sum := 0.5
	for i := 1; ; i++ {
		t := float64(i) * step
		s := math.Sinh(t / 2)
		e := q * 2 * s * s
		term := math.Exp(-e) * math.Cosh(t/4)
		sum += term
		if e-t/4 > 42 {
			return sum * step
		}
	}
}

// cvmExactPValue returns P(U >= u) under the null hypothesis by building the
// exact distribution of U over all C(nx+ny, nx) rank arrangements with the
// recursion of Xiao, Gordon and Yakovlev (2006), as scipy's
// _pval_cvm_2samp_exact does.
func cvmExactPValue(u, _ float64, nx, ny int) float64 {
	m, n := nx, ny
	lcm := m / gcd(m, n) * n
	a, b := int64(lcm/m), int64(lcm/n)
	mn := m * n
	// zeta is u on the integer scale of the recursion (Xiao et al. eq. 2 with
	// Anderson eq. 9), floored in floating point exactly as scipy does.
	scale := float64(int64(lcm) * int64(lcm) * int64(m+n))
	zeta := pyFloorDiv(scale*(6*u-float64(mn*(4*mn-1))), float64(6*mn*mn))

	// gs[v] is the frequency table of g_{u,v} for the current u.
	gs := make([]freqTable, m+1)
	gs[0] = freqTable{{value: 0, count: 1}}
	for ui := 0; ui <= n; ui++ {
		next := make([]freqTable, m+1)
		var acc freqTable
		for v, g := range gs {
			acc = acc.merge(g)
			shift := a*int64(v) - b*int64(ui)
			acc.shift(shift * shift)
			next[v] = acc
		}
		gs = next
	}
	var hits int64
	for _, e := range gs[m] {
		if float64(e.value) >= zeta {
			hits += e.count
		}
	}
	return float64(hits) / float64(binomialCoeff(m+n, m))
}

// freqEntry is one value of a frequency table with its multiplicity.
type freqEntry struct{ value, count int64 }

// freqTable is a frequency table sorted by value.
type freqTable []freqEntry

// merge returns a new table holding the entries of t and o, adding the counts
// of equal values.
func (t freqTable) merge(o freqTable) freqTable {
	out := make(freqTable, 0, len(t)+len(o))
	i, j := 0, 0
	for i < len(t) && j < len(o) {
		switch {
		case t[i].value < o[j].value:
			out = append(out, t[i])
			i++
		case t[i].value > o[j].value:
			out = append(out, o[j])
			j++
		default:
			out = append(out, freqEntry{value: t[i].value, count: t[i].count + o[j].count})
			i++
			j++
		}
	}
	out = append(out, t[i:]...)
	return append(out, o[j:]...)
}

// shift adds d to every value of t in place.
func (t freqTable) shift(d int64) {
	for i := range t {
		t[i].value += d
	}
}

// binomialCoeff returns C(n, k), exactly while the result fits in an int64,
// which holds for the exact Cramér-von Mises sizes.
func binomialCoeff(n, k int) int64 {
	r := int64(1)
	for i := 1; i <= k; i++ {
		r = r * int64(n-k+i) / int64(i)
	}
	return r
}

// pyFloorDiv returns floor(a/b) computed the way Python and NumPy compute
// float floor division, so that boundary cases round identically.
func pyFloorDiv(a, b float64) float64 {
	mod := math.Mod(a, b)
	div := (a - mod) / b
	if mod != 0 && (b < 0) != (mod < 0) {
		div--
	}
	if div == 0 {
		return math.Copysign(0, a/b)
	}
	floor := math.Floor(div)
	if div-floor > 0.5 {
		floor++
	}
	return floor
}
