package drift

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// ChiSquareHomogeneity runs Pearson's chi-square test of homogeneity on the
// 2xK contingency table whose rows are the reference and current category
// counts, and returns the statistic, its p-value and the degrees of freedom.
// It matches scipy.stats.chi2_contingency([ref, cur]) with its defaults
// after dropping the categories that are empty in both rows, so a category
// seen only in the current window (zero in the reference) is kept and counts
// as drift.
//
// With two categories left (one degree of freedom) Yates' continuity
// correction moves each count up to 0.5 towards its expected value. With one
// category left there are zero degrees of freedom and, as in scipy, the
// result is statistic 0 and p-value 1. Counts need not be integers.
//
// It returns an error when the rows differ in length, when a count is
// negative or not finite, or when either row sums to zero.
func ChiSquareHomogeneity(ref, cur []float64) (TestResult, int, error) {
	if len(ref) != len(cur) {
		return TestResult{}, 0, fmt.Errorf("chi-square: reference has %d categories, current has %d",
			len(ref), len(cur))
	}
	rows := [2][]float64{make([]float64, 0, len(ref)), make([]float64, 0, len(cur))}
	var totals [2]float64
	for i := range ref {
		if err := checkCount(ref[i], cur[i], i); err != nil {
			return TestResult{}, 0, fmt.Errorf("chi-square: %w", err)
		}
		if ref[i] == 0 && cur[i] == 0 {
			continue
		}
		rows[0] = append(rows[0], ref[i])
		rows[1] = append(rows[1], cur[i])
		totals[0] += ref[i]
		totals[1] += cur[i]
	}
	if totals[0] == 0 || totals[1] == 0 {
		return TestResult{}, 0, fmt.Errorf("chi-square: reference total %g and current total %g must both be positive",
			totals[0], totals[1])
	}
	dof := len(rows[0]) - 1
	if dof == 0 {
		return TestResult{Statistic: 0, PValue: 1}, 0, nil
	}
	stat := chiSquareStatistic(rows, totals, dof == 1)
	return TestResult{Statistic: stat, PValue: chiSquareSF(stat, dof)}, dof, nil
}

// checkCount reports whether the counts of category i are valid.
func checkCount(ref, cur float64, i int) error {
	for _, c := range [...]float64{ref, cur} {
		if c < 0 || math.IsNaN(c) || math.IsInf(c, 0) {
			return fmt.Errorf("category %d has invalid count %g", i, c)
		}
	}
	return nil
}

// chiSquareStatistic returns sum((observed - expected)^2 / expected) over
// the 2xK table, where expected = row total * column total / grand total,
// applying Yates' correction when asked. The terms are summed with NumPy's
// pairwise order so that the statistic matches scipy to the last bits.
func chiSquareStatistic(rows [2][]float64, totals [2]float64, yates bool) float64 {
	grand := totals[0] + totals[1]
	k := len(rows[0])
	terms := make([]float64, 0, 2*k)
	for r := range rows {
		for j := 0; j < k; j++ {
			col := rows[0][j] + rows[1][j]
			expected := totals[r] * col / grand
			observed := rows[r][j]
			if yates {
				diff := expected - observed
				observed += min(0.5, math.Abs(diff)) * numpySign(diff)
			}
			d := observed - expected
			terms = append(terms, d*d/expected)
		}
	}
	return pairwiseSum(terms)
}

// numpySign returns -1, 0 or 1 with the sign of x, like numpy.sign.
func numpySign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	default:
		return 0
	}
}

// chiSquareSF returns the chi-square survival function Q(dof/2, x/2), the
// regularised upper incomplete gamma function, as scipy's chdtrc does.
func chiSquareSF(x float64, dof int) float64 {
	return mathext.GammaIncRegComp(float64(dof)/2, x/2)
}

// pairwiseSum adds x in the order of NumPy's pairwise summation: blocks of
// at most 128 values are added with eight interleaved accumulators and larger
// inputs are split in halves. Matching the order keeps sums of terms that
// cancel identical to scipy's.
func pairwiseSum(x []float64) float64 {
	n := len(x)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range x {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], x[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += x[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += x[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(x[:n2]) + pairwiseSum(x[n2:])
	}
}
