package demo

import (
	"fmt"

	"github.com/driftwatch/driftwatch/drift/quality"
)

// Metrics scores m on examples with package drift/quality, the evaluators
// driftwatch's monitor uses: roc_auc and log_loss and brier on the scores,
// accuracy on the classes at the model's threshold. It fails rather than
// return an undefined metric, such as roc_auc on examples of one class.
func Metrics(m *Model, examples []Example) (map[quality.Metric]float64, error) {
	positive := make([]bool, len(examples))
	scores := make([]float64, len(examples))
	yTrue := make([]int, len(examples))
	yPred := make([]int, len(examples))
	for i, e := range examples {
		positive[i] = e.Default
		scores[i] = m.Predict(e.Row)
		if e.Default {
			yTrue[i] = 1
		}
		if m.Class(scores[i]) == positiveClass {
			yPred[i] = 1
		}
	}
	out := make(map[quality.Metric]float64, 4)
	var err error
	if out[quality.ROCAUC], err = quality.ROCAUCScore(positive, scores); err != nil {
		return nil, fmt.Errorf("metrics of %s: %w", m.Version, err)
	}
	if out[quality.Accuracy], err = quality.AccuracyScore(yTrue, yPred); err != nil {
		return nil, fmt.Errorf("metrics of %s: %w", m.Version, err)
	}
	if out[quality.LogLoss], err = quality.BinaryLogLoss(positive, scores); err != nil {
		return nil, fmt.Errorf("metrics of %s: %w", m.Version, err)
	}
	if out[quality.Brier], err = quality.BrierScoreLoss(positive, scores); err != nil {
		return nil, fmt.Errorf("metrics of %s: %w", m.Version, err)
	}
	return out, nil
}
