// Package quality measures how well a model predicts, from pairs of a
// prediction and the label that later arrived for it.
//
// It holds the numerics only: batch evaluators over slices, and per-window
// accumulators that take one pair at a time, merge, and reset. Its values
// match scikit-learn 1.9.1 on the same inputs, which the oracle tests check
// to 1e-12 relative (or 1e-14 absolute) against fixtures written by
// testdata/oracles/gen_quality.py. It performs no I/O and does not know about
// models or windows: consuming and joining events, cutting windows, choosing
// which metrics a model gets, exporting them and alerting are left to the
// collectors and triggers, which hand this package plain values.
//
// # Inputs
//
// Classes are dense indices in [0, MaxClasses). A LabelSet maps a model's
// labels, JSON strings or numbers in their literal text, to indices in
// declared order. Binary score metrics take whether each sample is of the
// positive class and a float64 score for that class; log loss and the Brier
// score need that score to be a probability. Regression metrics take float64
// true and predicted values. Empty inputs, mismatched lengths, NaN or
// infinite values, out-of-range classes and probabilities are errors, never a
// default value; a metric that is undefined on its samples returns an error
// wrapping ErrUndefined.
//
// # Metrics
//
//	metric           kind        definition (n samples)                  better
//	accuracy         labels      correct / n                              higher
//	precision        labels      tp / (tp + fp), one class vs the rest    higher
//	recall           labels      tp / (tp + fn)                           higher
//	f1               labels      2tp / (2tp + fp + fn)                    higher
//	precision_macro  labels      mean precision over present classes      higher
//	recall_macro     labels      mean recall over present classes         higher
//	f1_macro         labels      mean F1 over present classes             higher
//	roc_auc          scores      area under the ROC curve, ties count 1/2 higher
//	log_loss         scores      mean -ln p(true class), p clipped        lower
//	brier            scores      mean (p - y)²                            lower
//	mae              regression  mean |ŷ - y|                             lower
//	rmse             regression  √(mean (ŷ - y)²)                         lower
//	mape             regression  mean |ŷ - y| / max(|y|, ε)               lower
//	r2               regression  1 - Σ(y - ŷ)² / Σ(y - ȳ)²                higher
//
// # Conventions
//
//   - Zero division: a precision, recall or F1 whose denominator is 0 is 0,
//     scikit-learn's value for its default zero_division="warn".
//   - Macro averages run over the classes that occur in the true or the
//     predicted labels, as scikit-learn does when labels are not given.
//   - Precision, recall and F1 score the positive class against all others,
//     which is scikit-learn's average="binary" for two classes and
//     labels=[positive] for more.
//   - Log loss clips each class probability to [ε, 1 - ε], where ε = 2⁻⁵² is
//     the float64 machine epsilon, and does not renormalize rows (as in
//     scikit-learn 1.9), so a certain wrong answer costs -ln ε ≈ 36.04.
//   - MAPE is a fraction, not a percentage, and divides by ε for a zero true
//     value.
//   - R² follows force_finite=True: 1 for a perfect prediction, 0 for an
//     imperfect one when the true values are all equal; it needs two samples.
//   - ROC AUC is undefined with a single class present (scikit-learn warns
//     and returns NaN).
//
// # Accumulators
//
// Confusion (labels) holds a classes² count matrix. Residuals (regression)
// holds compensated sums and a Welford spread. Scores (binary scores) holds
// compensated sums for log loss and Brier, and keeps at most a fixed number
// of (score, outcome) pairs for ROC AUC: past that bound it keeps a seeded
// uniform sample and ROC AUC becomes an estimate, which Scores.Exact
// reports. All three merge, so windows can be filled in parallel or combined.
package quality
