package quality

import (
	"fmt"
	"math"
)

// MeanAbsoluteError returns the mean of |yPred - yTrue|, like
// sklearn.metrics.mean_absolute_error.
func MeanAbsoluteError(yTrue, yPred []float64) (float64, error) {
	return regressionScore(MAE, yTrue, yPred)
}

// RootMeanSquaredError returns the square root of the mean of
// (yTrue - yPred)², like sklearn.metrics.root_mean_squared_error.
func RootMeanSquaredError(yTrue, yPred []float64) (float64, error) {
	return regressionScore(RMSE, yTrue, yPred)
}

// MeanAbsolutePercentageError returns the mean of
// |yPred - yTrue| / max(|yTrue|, ε) with ε the float64 machine epsilon, like
// sklearn.metrics.mean_absolute_percentage_error. It is a fraction, not a
// percentage, and a true value of 0 makes it enormous (about 4.5e15 times the
// error) rather than infinite.
func MeanAbsolutePercentageError(yTrue, yPred []float64) (float64, error) {
	return regressionScore(MAPE, yTrue, yPred)
}

// R2Score returns the coefficient of determination 1 - SSres/SStot, like
// sklearn.metrics.r2_score with force_finite=True: a perfect prediction
// scores 1 even for constant yTrue, and an imperfect one for constant yTrue
// scores 0. yTrue counts as constant when all its values are equal;
// scikit-learn instead tests the computed SStot for 0, which rounding in
// the mean can miss (for six copies of 0.1 it scores about -5e31). Fewer
// than two samples return an error wrapping ErrUndefined, where
// scikit-learn warns and returns NaN.
func R2Score(yTrue, yPred []float64) (float64, error) {
	return regressionScore(R2, yTrue, yPred)
}

// regressionScore validates the pairs and evaluates m in two passes.
func regressionScore(m Metric, yTrue, yPred []float64) (float64, error) {
	if err := checkPairs(len(yTrue), len(yPred)); err != nil {
		return 0, fmt.Errorf("%s: %w", m, err)
	}
	if err := checkFinite("y_true", yTrue); err != nil {
		return 0, fmt.Errorf("%s: %w", m, err)
	}
	if err := checkFinite("y_pred", yPred); err != nil {
		return 0, fmt.Errorf("%s: %w", m, err)
	}
	n := float64(len(yTrue))
	var sum compensated
	switch m {
	case MAE:
		for i, y := range yTrue {
			sum.add(math.Abs(yPred[i] - y))
		}
		return finite(m, sum.value()/n)
	case RMSE:
		for i, y := range yTrue {
			sum.add(squaredError(y, yPred[i]))
		}
		return finite(m, math.Sqrt(sum.value()/n))
	case MAPE:
		for i, y := range yTrue {
			sum.add(percentageError(y, yPred[i]))
		}
		return finite(m, sum.value()/n)
	case R2:
		return r2Batch(yTrue, yPred)
	default:
		panic(fmt.Sprintf("quality: %q is not a regression metric", m))
	}
}

// r2Batch computes R² with the mean of yTrue taken first, as numpy does.
func r2Batch(yTrue, yPred []float64) (float64, error) {
	if len(yTrue) < 2 {
		return 0, fmt.Errorf("%s: %w: %d sample, need at least 2", R2, ErrUndefined, len(yTrue))
	}
	var sum, ssTot, ssRes compensated
	constant := true
	for _, y := range yTrue {
		sum.add(y)
		constant = constant && y == yTrue[0]
	}
	mean := sum.value() / float64(len(yTrue))
	for i, y := range yTrue {
		ssTot.add(squaredError(y, mean))
		ssRes.add(squaredError(y, yPred[i]))
	}
	if constant {
		return finite(R2, r2(ssRes.value(), 0))
	}
	return finite(R2, r2(ssRes.value(), ssTot.value()))
}

// r2 applies scikit-learn's force_finite convention to 1 - ssRes/ssTot.
func r2(ssRes, ssTot float64) float64 {
	switch {
	case ssRes == 0:
		return 1
	case ssTot == 0:
		return 0
	default:
		return 1 - ssRes/ssTot
	}
}

// squaredError returns (a - b)², rounded before any later addition.
func squaredError(a, b float64) float64 {
	d := a - b
	return float64(d * d)
}

// percentageError is one sample's MAPE term.
func percentageError(yTrue, yPred float64) float64 {
	return math.Abs(yPred-yTrue) / max(math.Abs(yTrue), epsilon)
}
