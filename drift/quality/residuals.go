package quality

import (
	"fmt"
	"math"
)

// Residuals accumulates (true, predicted) regression pairs for the
// RegressionKind metrics in constant memory. Error sums are compensated, and
// the spread of the true values that R² needs is tracked with Welford's
// update (merged with Chan's formula) around a compensated running mean, so
// that true values far from zero relative to their spread (say 1e9 ± 1)
// lose no more precision than the two-pass batch formula does.
//
// A Residuals is not safe for concurrent use. The zero value is ready to use.
type Residuals struct {
	n                     int64
	absErr, sqErr, pctErr compensated
	mean                  compensated // running mean of the true values
	ssTot                 compensated // sum of squared deviations from the mean
}

// Add records one pair. Both values must be finite.
func (r *Residuals) Add(yTrue, yPred float64) error {
	if math.IsNaN(yTrue) || math.IsInf(yTrue, 0) || math.IsNaN(yPred) || math.IsInf(yPred, 0) {
		return fmt.Errorf("residuals: pair (%v, %v): values must be finite", yTrue, yPred)
	}
	r.n++
	r.absErr.add(math.Abs(yPred - yTrue))
	r.sqErr.add(squaredError(yTrue, yPred))
	r.pctErr.add(percentageError(yTrue, yPred))
	delta := r.deviation(yTrue)
	r.mean.add(delta / float64(r.n))
	r.ssTot.add(float64(delta * r.deviation(yTrue)))
	return nil
}

// Merge adds the pairs accumulated by o to r.
func (r *Residuals) Merge(o *Residuals) {
	if o.n == 0 {
		return
	}
	if r.n == 0 {
		*r = *o
		return
	}
	na, nb, n := float64(r.n), float64(o.n), float64(r.n+o.n)
	delta := (o.mean.sum - r.mean.sum) + (o.mean.c - r.mean.c)
	r.absErr.merge(o.absErr)
	r.sqErr.merge(o.sqErr)
	r.pctErr.merge(o.pctErr)
	r.ssTot.merge(o.ssTot)
	r.ssTot.add(float64(delta*delta) * float64(na*nb) / n)
	r.mean.add(delta * (nb / n))
	r.n += o.n
}

// deviation returns y minus the running mean. The difference with the
// mean's leading part is exact when y is near the mean, so the correction
// term keeps its precision.
func (r *Residuals) deviation(y float64) float64 {
	return (y - r.mean.sum) - r.mean.c
}

// Reset empties r for the next window.
func (r *Residuals) Reset() {
	*r = Residuals{}
}

// Count returns the number of pairs added since the last Reset.
func (r *Residuals) Count() int64 {
	return r.n
}

// Value returns metric m, which must be a RegressionKind metric, over the
// pairs added so far. No pairs, or fewer than two for r2, return an error
// wrapping ErrUndefined.
func (r *Residuals) Value(m Metric) (float64, error) {
	if err := checkKind(m, RegressionKind); err != nil {
		return 0, fmt.Errorf("residuals: %w", err)
	}
	if r.n == 0 {
		return 0, fmt.Errorf("%s: %w: no samples", m, ErrUndefined)
	}
	n := float64(r.n)
	switch m {
	case MAE:
		return finite(m, r.absErr.value()/n)
	case RMSE:
		return finite(m, math.Sqrt(r.sqErr.value()/n))
	case MAPE:
		return finite(m, r.pctErr.value()/n)
	default:
		if r.n < 2 {
			return 0, fmt.Errorf("%s: %w: %d sample, need at least 2", R2, ErrUndefined, r.n)
		}
		return finite(R2, r2(r.sqErr.value(), r.ssTot.value()))
	}
}
