package quality

import "fmt"

// AccuracyScore returns the fraction of samples whose predicted class equals
// the true class, like sklearn.metrics.accuracy_score. Classes are indices
// in [0, MaxClasses).
func AccuracyScore(yTrue, yPred []int) (float64, error) {
	return labelScore(Accuracy, yTrue, yPred, 0)
}

// PrecisionScore returns tp / (tp + fp) for class positive against all other
// classes, like sklearn.metrics.precision_score with average="binary" and
// pos_label=positive (with labels=[positive] when more than two classes are
// present). With no predicted positives it returns 0, scikit-learn's value
// for zero_division="warn". A positive class absent from both slices scores
// 0 where scikit-learn would raise if two other classes are present.
func PrecisionScore(yTrue, yPred []int, positive int) (float64, error) {
	return labelScore(Precision, yTrue, yPred, positive)
}

// RecallScore returns tp / (tp + fn) for class positive against all other
// classes, like sklearn.metrics.recall_score; see PrecisionScore for the
// conventions. With no true positives it returns 0.
func RecallScore(yTrue, yPred []int, positive int) (float64, error) {
	return labelScore(Recall, yTrue, yPred, positive)
}

// F1Score returns 2·tp / (2·tp + fp + fn) for class positive against all
// other classes, like sklearn.metrics.f1_score; see PrecisionScore for the
// conventions. When the class is neither true nor predicted it returns 0.
func F1Score(yTrue, yPred []int, positive int) (float64, error) {
	return labelScore(F1, yTrue, yPred, positive)
}

// MacroPrecisionScore returns the unweighted mean of per-class precision over
// the classes present in yTrue or yPred, like sklearn.metrics.precision_score
// with average="macro". A class never predicted contributes 0.
func MacroPrecisionScore(yTrue, yPred []int) (float64, error) {
	return labelScore(PrecisionMacro, yTrue, yPred, 0)
}

// MacroRecallScore returns the unweighted mean of per-class recall over the
// classes present in yTrue or yPred, like sklearn.metrics.recall_score with
// average="macro". A class that is only predicted contributes 0.
func MacroRecallScore(yTrue, yPred []int) (float64, error) {
	return labelScore(RecallMacro, yTrue, yPred, 0)
}

// MacroF1Score returns the unweighted mean of per-class F1 over the classes
// present in yTrue or yPred, like sklearn.metrics.f1_score with
// average="macro".
func MacroF1Score(yTrue, yPred []int) (float64, error) {
	return labelScore(F1Macro, yTrue, yPred, 0)
}

// labelScore counts the pairs and evaluates m on the counts.
func labelScore(m Metric, yTrue, yPred []int, positive int) (float64, error) {
	if err := checkClass(positive, MaxClasses); err != nil {
		return 0, fmt.Errorf("%s: positive %w", m, err)
	}
	t, err := countLabels(yTrue, yPred)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", m, err)
	}
	return t.value(m, positive), nil
}

// countLabels tallies paired class indices.
func countLabels(yTrue, yPred []int) (tally, error) {
	if err := checkPairs(len(yTrue), len(yPred)); err != nil {
		return tally{}, err
	}
	classes := 0
	for i := range yTrue {
		if err := checkClass(yTrue[i], MaxClasses); err != nil {
			return tally{}, fmt.Errorf("y_true[%d]: %w", i, err)
		}
		if err := checkClass(yPred[i], MaxClasses); err != nil {
			return tally{}, fmt.Errorf("y_pred[%d]: %w", i, err)
		}
		classes = max(classes, yTrue[i]+1, yPred[i]+1)
	}
	t := newTally(classes)
	for i := range yTrue {
		t.add(yTrue[i], yPred[i], 1)
	}
	return t, nil
}

// tally holds the per-class counts that accuracy, precision, recall and F1
// are computed from.
type tally struct {
	tp, pred, truth []int64
	n               int64
}

func newTally(classes int) tally {
	return tally{
		tp:    make([]int64, classes),
		pred:  make([]int64, classes),
		truth: make([]int64, classes),
	}
}

// add records count samples of class trueClass predicted as predClass.
func (t *tally) add(trueClass, predClass int, count int64) {
	t.truth[trueClass] += count
	t.pred[predClass] += count
	if trueClass == predClass {
		t.tp[trueClass] += count
	}
	t.n += count
}

// value evaluates a LabelKind metric; the caller ensures t.n > 0.
func (t tally) value(m Metric, positive int) float64 {
	switch m {
	case Accuracy:
		var correct int64
		for _, tp := range t.tp {
			correct += tp
		}
		return float64(correct) / float64(t.n)
	case Precision:
		return t.precision(positive)
	case Recall:
		return t.recall(positive)
	case F1:
		return t.f1(positive)
	case PrecisionMacro:
		return t.macro(t.precision)
	case RecallMacro:
		return t.macro(t.recall)
	case F1Macro:
		return t.macro(t.f1)
	default:
		panic(fmt.Sprintf("quality: %q is not a label metric", m))
	}
}

func (t tally) precision(c int) float64 {
	if c >= len(t.tp) {
		return 0
	}
	return ratio(t.tp[c], t.pred[c])
}

func (t tally) recall(c int) float64 {
	if c >= len(t.tp) {
		return 0
	}
	return ratio(t.tp[c], t.truth[c])
}

func (t tally) f1(c int) float64 {
	if c >= len(t.tp) {
		return 0
	}
	return ratio(2*t.tp[c], t.truth[c]+t.pred[c])
}

// macro averages score over the classes that are true or predicted at least
// once, as scikit-learn does when labels are not given.
func (t tally) macro(score func(int) float64) float64 {
	var sum compensated
	present := 0
	for c := range t.tp {
		if t.truth[c]+t.pred[c] == 0 {
			continue
		}
		sum.add(score(c))
		present++
	}
	return sum.value() / float64(present)
}

// ratio divides counts, returning 0 for a zero denominator like
// scikit-learn's zero_division="warn".
func ratio(num, den int64) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}
