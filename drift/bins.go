package drift

import (
	"math"
	"math/bits"
	"sort"
)

// Bins follow one convention everywhere in this package. A numeric feature
// with inner edges e[0] < e[1] < ... < e[m-1] has m+1 bins:
//
//	bin 0:   (-Inf, e[0]]
//	bin i:   (e[i-1], e[i]]
//	bin m:   (e[m-1], +Inf)
//
// Bins are closed on the right, like a cumulative distribution function
// F(x) = P(X <= x). A point mass at the smallest value (zero for counts and
// amounts, say) therefore gets a bin of its own instead of leaving bin 0
// empty. -Inf falls in bin 0 and +Inf in bin m. NaN has no bin.

// binIndex returns the bin that x falls in for the given inner edges: the
// number of edges strictly below x. x must not be NaN.
//
// It is a hand-written binary search because sort.SearchFloat64s goes
// through a closure, which costs more than the search itself on the hot path.
func binIndex(edges []float64, x float64) int {
	lo, hi := 0, len(edges)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if edges[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// quantileLinear returns the q-quantile of sorted with the definition numpy
// uses by default (np.quantile(x, q), method "linear", Hyndman and Fan type
// 7): with h = (n-1)q, the result interpolates linearly between
// sorted[floor(h)] and sorted[floor(h)+1]. It uses numpy's form of the
// interpolation so results agree to the last bit, except where the
// difference of the two neighbours overflows. sorted must be non-empty,
// sorted and free of NaN, and q must lie in [0, 1].
func quantileLinear(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 || q < 0 || q > 1 || math.IsNaN(q) {
		panic("drift: quantileLinear needs a non-empty sample and q in [0, 1]")
	}
	h := float64(n-1) * q
	lo := math.Floor(h)
	i := int(lo)
	if i >= n-1 {
		return sorted[n-1]
	}
	t := h - lo
	a, b := sorted[i], sorted[i+1]
	d := b - a
	if math.IsInf(d, 0) && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
		// b - a overflows for finite values near ±MaxFloat64, where numpy
		// returns ±Inf; the convex form stays finite.
		return a*(1-t) + b*t
	}
	if t >= 0.5 {
		return b - d*(1-t)
	}
	return a + d*t
}

// quantileEdges returns the inner edges of bins equal-frequency quantile bins
// over sorted: the quantiles at 1/bins, 2/bins, ..., (bins-1)/bins. Ties and
// point masses make neighbouring quantiles equal; such duplicates are
// collapsed into one edge, so the result may hold fewer than bins-1 edges
// and is strictly increasing. An empty sample has no edges: one bin covers
// the whole line.
func quantileEdges(sorted []float64, bins int) []float64 {
	if bins < 1 {
		panic("drift: quantileEdges needs at least one bin")
	}
	if len(sorted) == 0 {
		return nil
	}
	edges := make([]float64, 0, bins-1)
	for i := 1; i < bins; i++ {
		e := quantileLinear(sorted, float64(i)/float64(bins))
		if len(edges) > 0 && e <= edges[len(edges)-1] {
			continue
		}
		edges = append(edges, e)
	}
	return edges
}

// countSorted counts sorted finite values into the bins of edges.
func countSorted(sorted, edges []float64) []int64 {
	counts := make([]int64, len(edges)+1)
	for _, x := range sorted {
		counts[binIndex(edges, x)]++
	}
	return counts
}

// scaleCounts scales counts so that they sum to total, rounding with the
// largest-remainder method: every bin gets the floor of its exact share and
// the units left over go to the bins with the largest remainders, lower bins
// first on ties. The arithmetic is exact (128-bit products), so the result is
// deterministic and sums to total. counts must be non-negative.
func scaleCounts(counts []int64, total int64) []int64 {
	var sum uint64
	for _, c := range counts {
		sum += uint64(c)
	}
	out := make([]int64, len(counts))
	if sum == 0 || total <= 0 {
		return out
	}
	rems := make([]uint64, len(counts))
	order := make([]int, len(counts))
	var assigned int64
	for i, c := range counts {
		hi, lo := bits.Mul64(uint64(c), uint64(total))
		q, r := bits.Div64(hi, lo, sum) // c <= sum, so the quotient fits.
		out[i] = int64(q)
		rems[i] = r
		order[i] = i
		assigned += int64(q)
	}
	sort.SliceStable(order, func(a, b int) bool { return rems[order[a]] > rems[order[b]] })
	for k := 0; assigned < total; k++ {
		out[order[k]]++
		assigned++
	}
	return out
}
