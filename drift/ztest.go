package drift

import (
	"math"
)

// TwoProportionZTest compares the shares k1/n1 and k2/n2 of two independent
// samples with the pooled two-proportion z-test: z = (p1 - p2) / se with
// se = sqrt(P(1-P)(1/n1 + 1/n2)) and P = (k1+k2)/(n1+n2). The p-value is
// two-sided, 2*(1 - Phi(|z|)), computed from the upper tail so that it stays
// accurate far below 1e-16. This is the test of statsmodels'
// proportions_ztest and Evidently's "z" test.
//
// When both samples are all zeros or all ones, the pooled variance is zero
// and the shares are equal: the result is statistic 0 and p-value 1. Counts
// need not be integers. A non-positive or non-finite size, or a count outside
// [0, n], gives NaN for both fields.
func TwoProportionZTest(k1, n1, k2, n2 float64) TestResult {
	if !validProportion(k1, n1) || !validProportion(k2, n2) {
		return TestResult{Statistic: math.NaN(), PValue: math.NaN()}
	}
	pooled := (k1 + k2) / (n1 + n2)
	variance := pooled * (1 - pooled) * (1/n1 + 1/n2)
	if variance == 0 {
		return TestResult{Statistic: 0, PValue: 1}
	}
	z := shareDiff(k1, n1, k2, n2) / math.Sqrt(variance)
	return TestResult{Statistic: z, PValue: 2 * normalSF(math.Abs(z))}
}

// MissingShare tests whether the share of missing values moved between the
// reference and the current window, with the two-sided pooled two-proportion
// z-test on the missing counts. The statistic is positive when the current
// window has the larger missing share. A rise and a fall both count as drift.
func MissingShare(refMissing, refRows, curMissing, curRows float64) TestResult {
	return TwoProportionZTest(curMissing, curRows, refMissing, refRows)
}

// validProportion reports whether k successes out of n is a usable sample.
func validProportion(k, n float64) bool {
	return n > 0 && !math.IsInf(n, 0) && k >= 0 && k <= n
}

// normalSF returns 1 - Phi(z) for the standard normal distribution, computed
// as scipy's ndtr(-z): from erf near zero and from erfc in the tail.
func normalSF(z float64) float64 {
	x := -z * (1 / math.Sqrt2)
	if math.Abs(x) < 1/math.Sqrt2 {
		return 0.5 + 0.5*math.Erf(x)
	}
	y := 0.5 * math.Erfc(math.Abs(x))
	if x > 0 {
		return 1 - y
	}
	return y
}
