package drift

import (
	"math"
)

// minWassersteinScale is the floor on the reference standard deviation that
// NormalizedWasserstein divides by, so a constant reference does not divide
// by zero. Evidently uses the same floor.
const minWassersteinScale = 0.001

// Wasserstein returns the first Wasserstein (earth mover's) distance between
// the empirical distributions of u and v, the integral of |F_u(x) - F_v(x)|
// over x, in the units of the data. It equals
// scipy.stats.wasserstein_distance(u, v).
//
// It sorts copies of its inputs. An empty sample, a NaN or an infinite value
// gives NaN.
func Wasserstein(u, v []float64) float64 {
	return WassersteinSorted(sortedCopy(u), sortedCopy(v))
}

// WassersteinSorted is Wasserstein for samples already sorted in ascending
// order with any NaN first, the order slices.Sort produces. It allocates
// nothing.
func WassersteinSorted(uSorted, vSorted []float64) float64 {
	if !finiteSorted(uSorted) || !finiteSorted(vSorted) {
		return math.NaN()
	}
	nu, nv := float64(len(uSorted)), float64(len(vSorted))
	var sum, comp float64
	i, j := 0, 0
	for i < len(uSorted) || j < len(vSorted) {
		x := smallestHead(uSorted, vSorted, i, j)
		for i < len(uSorted) && uSorted[i] == x {
			i++
		}
		for j < len(vSorted) && vSorted[j] == x {
			j++
		}
		if i == len(uSorted) && j == len(vSorted) {
			break
		}
		next := smallestHead(uSorted, vSorted, i, j)
		sum, comp = neumaierAdd(sum, comp, math.Abs(float64(i)/nu-float64(j)/nv)*(next-x))
	}
	return sum + comp
}

// NormalizedWasserstein returns Wasserstein(ref, cur) divided by the
// population standard deviation of ref, or by 0.001 if that is smaller. The
// result is unit-free, so one threshold suits every feature; 0.1 means the
// distributions are a tenth of a standard deviation apart. This is
// Evidently's "wasserstein" drift score.
func NormalizedWasserstein(ref, cur []float64) float64 {
	return Wasserstein(ref, cur) / wassersteinScale(ref)
}

// NormalizedWassersteinSorted is NormalizedWasserstein for sorted samples,
// as WassersteinSorted takes them. It allocates nothing.
func NormalizedWassersteinSorted(refSorted, curSorted []float64) float64 {
	return WassersteinSorted(refSorted, curSorted) / wassersteinScale(refSorted)
}

// wassersteinScale returns the divisor of NormalizedWasserstein for the
// reference values ref: their population standard deviation, or
// minWassersteinScale if that is smaller. Its rounding depends on the order
// of ref, so a value cached for later use must come from the slice that
// NormalizedWassersteinSorted would be given.
func wassersteinScale(ref []float64) float64 {
	return max(populationStd(ref), minWassersteinScale)
}

// populationStd returns the standard deviation of x with divisor n, computed
// as numpy.std does: a pairwise-summed mean, then the pairwise-summed squared
// deviations. It allocates nothing: the squared deviations are added as they
// are computed, in the order pairwiseSum adds a slice of them.
func populationStd(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	n := float64(len(x))
	mean := pairwiseSum(x) / n
	return math.Sqrt(pairwiseSquaredDeviations(x, mean) / n)
}

// pairwiseSquaredDeviations returns the sum of (v - mean)^2 over x. It adds
// the terms with pairwiseSum's blocks, accumulators and splits, so that it
// equals pairwiseSum over a slice of the squared deviations bit for bit.
func pairwiseSquaredDeviations(x []float64, mean float64) float64 {
	n := len(x)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range x {
			s += squaredDeviation(v, mean)
		}
		return s
	case n <= 128:
		var r [8]float64
		for j := range r {
			r[j] = squaredDeviation(x[j], mean)
		}
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += squaredDeviation(x[i+j], mean)
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += squaredDeviation(x[i], mean)
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSquaredDeviations(x[:n2], mean) + pairwiseSquaredDeviations(x[n2:], mean)
	}
}

// squaredDeviation returns (v - mean)^2 rounded to float64. The conversion
// keeps the compiler from fusing the square into the caller's addition,
// which platforms with a fused multiply-add would otherwise do, and which
// would make the sum differ from numpy's.
func squaredDeviation(v, mean float64) float64 {
	d := v - mean
	return float64(d * d)
}

// finiteSorted reports whether a sorted sample is non-empty and free of NaN
// and infinities, which sorting places at its ends.
func finiteSorted(x []float64) bool {
	if len(x) == 0 {
		return false
	}
	first, last := x[0], x[len(x)-1]
	return !math.IsNaN(first) && !math.IsInf(first, 0) && !math.IsInf(last, 0)
}

// neumaierAdd adds x to the compensated sum (sum, comp).
func neumaierAdd(sum, comp, x float64) (float64, float64) {
	t := sum + x
	if math.Abs(sum) >= math.Abs(x) {
		comp += (sum - t) + x
	} else {
		comp += (x - t) + sum
	}
	return t, comp
}
