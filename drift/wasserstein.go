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
	return Wasserstein(ref, cur) / max(populationStd(ref), minWassersteinScale)
}

// NormalizedWassersteinSorted is NormalizedWasserstein for sorted samples,
// as WassersteinSorted takes them.
func NormalizedWassersteinSorted(refSorted, curSorted []float64) float64 {
	return WassersteinSorted(refSorted, curSorted) / max(populationStd(refSorted), minWassersteinScale)
}

// populationStd returns the standard deviation of x with divisor n, computed
// as numpy.std does: a pairwise-summed mean, then the pairwise-summed squared
// deviations.
func populationStd(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	n := float64(len(x))
	mean := pairwiseSum(x) / n
	sq := make([]float64, len(x))
	for i, v := range x {
		d := v - mean
		sq[i] = d * d
	}
	return math.Sqrt(pairwiseSum(sq) / n)
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
