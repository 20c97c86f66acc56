package quality

import (
	"fmt"
	"slices"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/stat"
)

// ROCAUCScore returns the area under the ROC curve of scores for the samples
// marked positive, like sklearn.metrics.roc_auc_score on binary targets.
// Scores may be any finite numbers (probabilities, logits, margins); only
// their order matters.
//
// Tied scores form one threshold, so a tie between a positive and a negative
// sample counts one half, as in scikit-learn. The curve comes from gonum's
// stat.ROC, which takes every distinct score as a cutoff and so groups ties
// the same way, and the area from integrate.Trapezoidal.
//
// The area is undefined when only one class is present: scikit-learn then
// warns and returns NaN, while ROCAUCScore returns an error wrapping
// ErrUndefined.
func ROCAUCScore(positive []bool, scores []float64) (float64, error) {
	if err := checkPairs(len(positive), len(scores)); err != nil {
		return 0, fmt.Errorf("%s: %w", ROCAUC, err)
	}
	if err := checkFinite("scores", scores); err != nil {
		return 0, fmt.Errorf("%s: %w", ROCAUC, err)
	}
	auc, err := rocAUC(positive, scores)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", ROCAUC, err)
	}
	return auc, nil
}

// rocAUC computes the area on validated, non-empty inputs. It sorts copies,
// leaving the caller's slices alone.
func rocAUC(positive []bool, scores []float64) (float64, error) {
	nPos := 0
	for _, p := range positive {
		if p {
			nPos++
		}
	}
	if nPos == 0 || nPos == len(positive) {
		return 0, fmt.Errorf("%w: only one class present (%d positive of %d)", ErrUndefined, nPos, len(positive))
	}
	y := slices.Clone(scores)
	classes := slices.Clone(positive)
	stat.SortWeightedLabeled(y, classes, nil)
	tpr, fpr, _ := stat.ROC(nil, y, classes, nil)
	return integrate.Trapezoidal(fpr, tpr), nil
}
