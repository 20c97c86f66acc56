package drift

import (
	"math"
)

// DefaultPSIEpsilon is the share PSI gives an empty bin or category, so that
// its logarithm stays finite.
const DefaultPSIEpsilon = 1e-4

// The distances below compare two aligned count vectors: entry i of ref and
// cur counts the same bin or category. Counts need not be integers. Each
// vector is turned into shares by dividing by its total. A vector that is
// empty, sums to zero, or holds a negative or non-finite count makes the
// distance NaN. Vectors of different lengths are a programming error and
// panic.
//
// The functions compute each share difference p-q from the counts with a
// fused multiply-add, so nearly identical distributions keep full relative
// precision instead of cancelling.

// PSI returns the population stability index sum((q - p) * ln(q/p)) over the
// shares p of ref and q of cur. A share of exactly zero is replaced by eps
// and the shares are not renormalised afterwards, which is Evidently's
// convention (Evidently picks eps itself; PSI takes it from the caller, see
// DefaultPSIEpsilon). Every term is non-negative, and so is the sum. PSI
// panics if eps is not positive.
func PSI(ref, cur []float64, eps float64) float64 {
	if !(eps > 0) {
		panic("drift: PSI: eps must be positive")
	}
	rt, ct, ok := countTotals("PSI", ref, cur)
	if !ok {
		return math.NaN()
	}
	sum := 0.0
	for i := range ref {
		p, q, d := ref[i]/rt, cur[i]/ct, shareDiff(cur[i], ct, ref[i], rt)
		switch {
		case ref[i] == 0 && cur[i] == 0:
			continue
		case ref[i] == 0:
			p, d = eps, q-eps
		case cur[i] == 0:
			q, d = eps, eps-p
		}
		sum += d * logRatio(q, p, d)
	}
	return sum
}

// logRatio returns ln(q/p) given d = q - p, using log1p when q and p are
// close so that the logarithm keeps its relative precision.
func logRatio(q, p, d float64) float64 {
	if math.Abs(d) < 0.5*p {
		return math.Log1p(d / p)
	}
	return math.Log(q / p)
}

// JensenShannon returns the Jensen-Shannon distance in base 2, the square
// root of the Jensen-Shannon divergence, between the shares of ref and cur.
// It equals scipy.spatial.distance.jensenshannon(ref, cur, base=2) and lies
// in [0, 1]. Bins empty in one vector need no smoothing. Each bin contributes
// m*g(d) with m = (p+q)/2, d = (p-q)/(p+q) and
// g(d) = (1+d)ln(1+d) + (1-d)ln(1-d) >= 0, evaluated by its power series for
// small |d|, so the sum never cancels.
func JensenShannon(ref, cur []float64) float64 {
	rt, ct, ok := countTotals("JensenShannon", ref, cur)
	if !ok {
		return math.NaN()
	}
	sum := 0.0
	for i := range ref {
		p, q := ref[i]/rt, cur[i]/ct
		if p == 0 && q == 0 {
			continue
		}
		s := p + q
		if p == 0 || q == 0 {
			// One-sided bin: d = ±1 and g(d) = 2 ln 2.
			sum += s * math.Ln2
			continue
		}
		d := shareDiff(ref[i], rt, cur[i], ct) / s
		sum += s / 2 * jsBinTerm(d)
	}
	return math.Sqrt(sum / math.Ln2 / 2)
}

// jsBinTerm returns (1+d)ln(1+d) + (1-d)ln(1-d) for d in [-1, 1]; rounding
// that pushes |d| past 1 is clamped.
func jsBinTerm(d float64) float64 {
	ad := min(math.Abs(d), 1)
	if ad == 1 {
		return 2 * math.Ln2
	}
	if ad >= 0.25 {
		return (1+ad)*math.Log1p(ad) + (1-ad)*math.Log1p(-ad)
	}
	// sum over k >= 1 of d^(2k) / (k (2k-1)); the ratio of terms is below d^2.
	d2 := d * d
	pow, sum := d2, 0.0
	for k := 1.0; ; k++ {
		term := pow / (k * (2*k - 1))
		sum += term
		if term <= 1e-17*sum {
			return sum
		}
		pow *= d2
	}
}

// Hellinger returns the Hellinger distance sqrt(1 - sum(sqrt(p*q))) between
// the shares of ref and cur, which lies in [0, 1] (Evidently's and
// NannyML's scaling). It evaluates the equal form
// sqrt(sum((sqrt(p) - sqrt(q))^2) / 2), which cannot go negative.
func Hellinger(ref, cur []float64) float64 {
	rt, ct, ok := countTotals("Hellinger", ref, cur)
	if !ok {
		return math.NaN()
	}
	sum := 0.0
	for i := range ref {
		p, q := ref[i]/rt, cur[i]/ct
		if p == 0 && q == 0 {
			continue
		}
		d := shareDiff(ref[i], rt, cur[i], ct) / (math.Sqrt(p) + math.Sqrt(q))
		sum += d * d
	}
	return math.Sqrt(sum / 2)
}

// LInfinity returns the largest absolute difference between the shares of
// ref and cur, NannyML's L-infinity distance, in [0, 1].
func LInfinity(ref, cur []float64) float64 {
	rt, ct, ok := countTotals("LInfinity", ref, cur)
	if !ok {
		return math.NaN()
	}
	m := 0.0
	for i := range ref {
		m = max(m, math.Abs(shareDiff(ref[i], rt, cur[i], ct)))
	}
	return m
}

// countTotals returns the totals of two aligned count vectors and whether
// both are usable: non-empty, positive in total, with every count finite and
// non-negative. It panics when the lengths differ.
func countTotals(name string, ref, cur []float64) (float64, float64, bool) {
	if len(ref) != len(cur) {
		panic("drift: " + name + ": count vectors differ in length")
	}
	var rt, ct float64
	for i := range ref {
		if checkCount(ref[i], cur[i], i) != nil {
			return 0, 0, false
		}
		rt += ref[i]
		ct += cur[i]
	}
	return rt, ct, rt > 0 && ct > 0
}

// shareDiff returns a/at - b/bt. It forms the cross products a*bt and b*at
// exactly (with their rounding errors from a fused multiply-add), so the
// difference of two nearly equal shares is accurate to a few units in the
// last place.
func shareDiff(a, at, b, bt float64) float64 {
	x := float64(a * bt)
	ex := math.FMA(a, bt, -x)
	y := float64(b * at)
	ey := math.FMA(b, at, -y)
	return ((x - y) + (ex - ey)) / at / bt
}
