package quality

import (
	"fmt"
	"math"
)

// epsilon is numpy.finfo(numpy.float64).eps, the clipping margin of
// scikit-learn's log loss and the floor of the MAPE denominator.
const epsilon = 0x1p-52

// rowSumTolerance is how far a row of class probabilities may sum from 1:
// the atol + rtol (√ε = 2⁻²⁶) of the check scikit-learn warns on.
const rowSumTolerance = 1e-8 + 0x1p-26

// BinaryLogLoss returns the mean negative log-likelihood of the samples'
// classes under proba, the probability of the positive class, like
// sklearn.metrics.log_loss(y_true, proba, labels=[0, 1]). As in scikit-learn
// 1.9, the probabilities of both classes, proba and 1 - proba, are clipped to
// [ε, 1 - ε] with ε the float64 machine epsilon, so a confident wrong answer
// costs -ln ε ≈ 36.04 rather than infinity. A window holding one class is
// defined (scikit-learn needs labels=[0, 1] for that).
func BinaryLogLoss(positive []bool, proba []float64) (float64, error) {
	if err := checkBinaryProba(positive, proba); err != nil {
		return 0, fmt.Errorf("%s: %w", LogLoss, err)
	}
	var sum compensated
	for i, p := range proba {
		sum.add(logLossTerm(positive[i], p))
	}
	return sum.value() / float64(len(proba)), nil
}

// BrierScoreLoss returns the mean squared difference between proba, the
// probability of the positive class, and the outcome (1 for positive, 0
// otherwise), like sklearn.metrics.brier_score_loss(y_true, proba,
// pos_label=1). It ranges from 0 (perfect) to 1 (confidently wrong).
func BrierScoreLoss(positive []bool, proba []float64) (float64, error) {
	if err := checkBinaryProba(positive, proba); err != nil {
		return 0, fmt.Errorf("%s: %w", Brier, err)
	}
	var sum compensated
	for i, p := range proba {
		sum.add(brierTerm(positive[i], p))
	}
	return brierMean(sum.value(), len(proba)), nil
}

// MulticlassLogLoss returns the mean of -ln p over the samples, where p is
// the probability proba[i] gives to the true class yTrue[i], like
// sklearn.metrics.log_loss(y_true, proba, labels=range(k)) for k columns.
// Each row must hold k ≥ 2 probabilities that sum to 1 within
// 1e-8 + √ε; scikit-learn only warns about such rows, and neither
// renormalizes them. Probabilities are clipped as in BinaryLogLoss.
func MulticlassLogLoss(yTrue []int, proba [][]float64) (float64, error) {
	if err := checkPairs(len(yTrue), len(proba)); err != nil {
		return 0, fmt.Errorf("%s: %w", LogLoss, err)
	}
	classes := len(proba[0])
	if classes < 2 || classes > MaxClasses {
		return 0, fmt.Errorf("%s: %d probability columns is outside [2, %d]", LogLoss, classes, MaxClasses)
	}
	var sum compensated
	for i, row := range proba {
		if err := checkProbaRow(row, classes); err != nil {
			return 0, fmt.Errorf("%s: proba[%d]: %w", LogLoss, i, err)
		}
		if err := checkClass(yTrue[i], classes); err != nil {
			return 0, fmt.Errorf("%s: y_true[%d]: %w", LogLoss, i, err)
		}
		sum.add(-math.Log(clip(row[yTrue[i]])))
	}
	return sum.value() / float64(len(proba)), nil
}

// checkBinaryProba validates paired outcomes and positive-class
// probabilities.
func checkBinaryProba(positive []bool, proba []float64) error {
	if err := checkPairs(len(positive), len(proba)); err != nil {
		return err
	}
	for i, p := range proba {
		if err := checkProbability(p); err != nil {
			return fmt.Errorf("proba[%d]: %w", i, err)
		}
	}
	return nil
}

// checkProbaRow validates one row of class probabilities.
func checkProbaRow(row []float64, classes int) error {
	if len(row) != classes {
		return fmt.Errorf("%d columns, want %d", len(row), classes)
	}
	var sum compensated
	for j, p := range row {
		if err := checkProbability(p); err != nil {
			return fmt.Errorf("column %d: %w", j, err)
		}
		sum.add(p)
	}
	if math.Abs(sum.value()-1) > rowSumTolerance {
		return fmt.Errorf("probabilities sum to %v, not 1", sum.value())
	}
	return nil
}

// logLossTerm is one sample's log loss. Like scikit-learn it forms the
// negative class's probability as 1 - p before clipping.
func logLossTerm(positive bool, p float64) float64 {
	if positive {
		return -math.Log(clip(p))
	}
	return -math.Log(clip(1 - p))
}

// clip bounds a probability to [ε, 1 - ε].
func clip(p float64) float64 {
	return min(max(p, epsilon), 1-epsilon)
}

// brierTerm is one sample's squared error summed over both classes, in
// scikit-learn's order of operations: (y₀ - (1 - p))² + (y₁ - p)². The
// conversions keep the compiler from fusing the products, which would round
// differently from numpy.
func brierTerm(positive bool, p float64) float64 {
	y1 := 0.0
	if positive {
		y1 = 1
	}
	d0 := (1 - y1) - (1 - p)
	d1 := y1 - p
	return float64(d0*d0) + float64(d1*d1)
}

// brierMean turns a sum of brierTerm into the score: scikit-learn halves the
// two-class sum so that the binary score lies in [0, 1].
func brierMean(sum float64, n int) float64 {
	return sum / float64(n) * 0.5
}
