package drift

import (
	"fmt"
	"math"
)

// This file holds the per-method arithmetic that Compare and an Evaluator
// share: ScoreNumeric runs a method on sorted samples or binned counts,
// ScoreCategorical on aligned category counts.

// ScoreNumeric runs method m on a numeric feature. refSorted and curSorted
// hold the finite values of each side in ascending order; KS, Cramér-von
// Mises and Wasserstein use them. bins holds both sides' counts over the
// reference's bins; PSI, Jensen-Shannon and Hellinger use them. Distances
// return a NaN p-value. Either side being empty gives NaN for both fields.
// It returns an error for a method that does not support numeric features.
func ScoreNumeric(m Method, refSorted, curSorted []float64, bins AlignedCounts) (TestResult, error) {
	nan := TestResult{Statistic: math.NaN(), PValue: math.NaN()}
	switch m {
	case MethodKS:
		return KolmogorovSmirnovSorted(refSorted, curSorted, KSAuto), nil
	case MethodCramerVonMises:
		return CramerVonMisesSorted(refSorted, curSorted), nil
	case MethodWasserstein:
		return scoreWasserstein(refSorted, curSorted, wassersteinScale(refSorted)), nil
	case MethodPSI, MethodJensenShannon, MethodHellinger:
		return scoreCounts(m, bins), nil
	}
	return nan, fmt.Errorf("method %s does not apply to a numeric feature", m)
}

// ScoreCategorical runs method m on aligned category counts. The z-test
// compares the share of every bucket but the first, so with buckets in
// ascending order of category it matches Evidently's z-test statistic;
// callers check that there are at most two buckets. An empty side gives NaN
// for both fields. It returns an error for a method that does not support
// categorical features.
func ScoreCategorical(m Method, counts AlignedCounts) (TestResult, error) {
	nan := TestResult{Statistic: math.NaN(), PValue: math.NaN()}
	switch m {
	case MethodChiSquare:
		r, _, err := ChiSquareHomogeneity(counts.Reference, counts.Current)
		if err != nil {
			return nan, nil // An empty side; the counts themselves are valid.
		}
		return r, nil
	case MethodZTest:
		if len(counts.Reference) == 0 {
			return nan, nil
		}
		rt, ct := floatSum(counts.Reference), floatSum(counts.Current)
		return TwoProportionZTest(rt-counts.Reference[0], rt, ct-counts.Current[0], ct), nil
	case MethodPSI, MethodJensenShannon, MethodHellinger, MethodLInfinity:
		return scoreCounts(m, counts), nil
	}
	return nan, fmt.Errorf("method %s does not apply to a categorical feature", m)
}

// scoreWasserstein returns the Wasserstein distance of two sorted samples
// divided by scale, which is wassersteinScale(refSorted) whether computed
// now or cached, so the result equals NormalizedWassersteinSorted. Either
// side being empty gives NaN for both fields.
func scoreWasserstein(refSorted, curSorted []float64, scale float64) TestResult {
	if len(refSorted) == 0 || len(curSorted) == 0 {
		return TestResult{Statistic: math.NaN(), PValue: math.NaN()}
	}
	return distance(WassersteinSorted(refSorted, curSorted) / scale)
}

// scoreCounts evaluates a distance over aligned counts.
func scoreCounts(m Method, c AlignedCounts) TestResult {
	switch m {
	case MethodPSI:
		return distance(PSI(c.Reference, c.Current, DefaultPSIEpsilon))
	case MethodJensenShannon:
		return distance(JensenShannon(c.Reference, c.Current))
	case MethodHellinger:
		return distance(Hellinger(c.Reference, c.Current))
	default:
		return distance(LInfinity(c.Reference, c.Current))
	}
}

func distance(d float64) TestResult { return TestResult{Statistic: d, PValue: math.NaN()} }

// binned reports whether m compares numeric features over bins.
func binned(m Method) bool {
	return m == MethodPSI || m == MethodJensenShannon || m == MethodHellinger
}
