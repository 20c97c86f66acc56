#!/usr/bin/env python3
"""Write quality_cases.json: reference values for drift/quality.

Every case is computed with scikit-learn at the versions pinned in
requirements.txt. The inputs come from seeded numpy generators, so running
this script again reproduces quality_cases.json byte for byte:

    python3 testdata/oracles/gen_quality.py

Each case is one input set with the value of every metric defined on it:
{"name", "y_true", then "y_pred" (class indices or regression values),
"scores" (binary, positive class 1) or "proba" (one column per class), an
optional "positive" class for one-vs-rest scores, and "want" mapping a
metric name to scikit-learn's value.

Conventions shared with the Go evaluators:

* Hard-label and score cases carry class indices in y_true (and y_pred).
  Binary score cases use 1 for the positive class.
* Binary precision, recall and F1 are one-vs-rest for class "positive":
  scikit-learn's average="binary" when at most two classes are present, and
  labels=[positive] otherwise (the same counts).
* Macro averages take the labels present in y_true or y_pred.
* Binary log loss and the Brier score pass labels=[0, 1] / pos_label=1, so a
  window holding a single class is still defined.
* Multiclass log loss passes labels=range(k) for k probability columns.
"""

import json
import os
import sys
import warnings

import numpy as np
import scipy
import sklearn
from sklearn import metrics
from sklearn.exceptions import UndefinedMetricWarning

PINS = {"numpy": "2.4.6", "scipy": "1.17.1", "scikit-learn": "1.9.1"}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quality_cases.json")


def check_pins():
    got = {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}
    if got != PINS:
        sys.exit(f"gen_quality.py: want {PINS}, have {got}")


def floats(xs, decimals=None):
    """Converts to Python floats, optionally rounded to keep large cases small."""
    xs = np.asarray(xs, dtype=np.float64)
    if decimals is not None:
        xs = np.round(xs, decimals)
    return [float(x) for x in xs]


def ints(xs):
    return [int(x) for x in xs]


class Cases:
    """Collects cases: one input set each, with every metric defined on it."""

    def __init__(self):
        self.cases = []
        self.names = set()

    def add(self, name, want, **inputs):
        if name in self.names:
            raise ValueError(f"duplicate case {name}")
        for metric, value in want.items():
            if not np.isfinite(value):
                raise ValueError(f"case {name}: scikit-learn returned {value} for {metric}")
        self.names.add(name)
        case = {"name": name}
        case.update(inputs)
        case["want"] = {metric: float(value) for metric, value in want.items()}
        self.cases.append(case)

    def labels(self, name, y_true, y_pred, positive=1):
        """Adds a hard-label case with accuracy, one-vs-rest and macro scores."""
        y_true, y_pred = ints(y_true), ints(y_pred)
        if len(set(y_true) | set(y_pred)) <= 2:
            binary = {"average": "binary", "pos_label": positive}
        else:
            binary = {"average": "macro", "labels": [positive]}
        want = {
            "accuracy": metrics.accuracy_score(y_true, y_pred),
            "precision": metrics.precision_score(y_true, y_pred, zero_division="warn", **binary),
            "recall": metrics.recall_score(y_true, y_pred, zero_division="warn", **binary),
            "f1": metrics.f1_score(y_true, y_pred, zero_division="warn", **binary),
            "precision_macro": metrics.precision_score(y_true, y_pred, average="macro", zero_division="warn"),
            "recall_macro": metrics.recall_score(y_true, y_pred, average="macro", zero_division="warn"),
            "f1_macro": metrics.f1_score(y_true, y_pred, average="macro", zero_division="warn"),
        }
        self.add(name, want, y_true=y_true, y_pred=y_pred, positive=positive)

    def scores(self, name, y_true, scores, decimals=None):
        """Adds a binary score case: roc_auc when both classes are present,
        log_loss and brier when the scores are probabilities."""
        y_true, scores = ints(y_true), floats(scores, decimals)
        want = {}
        if len(set(y_true)) == 2:
            want["roc_auc"] = metrics.roc_auc_score(y_true, scores)
        if min(scores) >= 0 and max(scores) <= 1:
            want["log_loss"] = metrics.log_loss(y_true, scores, labels=[0, 1])
            want["brier"] = metrics.brier_score_loss(y_true, scores, pos_label=1)
        self.add(name, want, y_true=y_true, scores=scores)

    def proba(self, name, y_true, proba):
        """Adds a multiclass log loss case with one column per class."""
        proba = np.asarray(proba, dtype=np.float64)
        want = {"log_loss": metrics.log_loss(y_true, proba, labels=list(range(proba.shape[1])))}
        self.add(name, want, y_true=ints(y_true), proba=[floats(row) for row in proba])

    def regression(self, name, y_true, y_pred, decimals=None):
        """Adds a regression case; r2 needs at least two samples."""
        y_true, y_pred = floats(y_true, decimals), floats(y_pred, decimals)
        want = {
            "mae": metrics.mean_absolute_error(y_true, y_pred),
            "rmse": metrics.root_mean_squared_error(y_true, y_pred),
            "mape": metrics.mean_absolute_percentage_error(y_true, y_pred),
        }
        if len(y_true) >= 2:
            want["r2"] = metrics.r2_score(y_true, y_pred)
        self.add(name, want, y_true=y_true, y_pred=y_pred)


def noisy_labels(rng, y_true, k, flip):
    """Returns y_true with a fraction flip of entries replaced at random."""
    y_pred = np.array(y_true).copy()
    mask = rng.random(len(y_true)) < flip
    y_pred[mask] = rng.integers(0, k, mask.sum())
    return y_pred


def label_cases(c, rng):
    truth = np.array([0, 1, 1, 0, 1, 0, 0, 1])
    c.labels("labels/perfect", truth, truth)
    c.labels("labels/worst", truth, 1 - truth)
    c.labels("labels/n1_correct", [1], [1])
    c.labels("labels/n1_wrong", [1], [0])
    c.labels("labels/binary_small", truth, [0, 1, 0, 0, 1, 1, 0, 1])
    c.labels("labels/positive_0", truth, [0, 1, 0, 0, 1, 1, 0, 1], positive=0)
    # Zero division: no predicted positives, no true positives, neither.
    y = np.array([1, 0, 1, 0, 0, 1])
    c.labels("labels/no_predicted_positive", y, np.zeros(6))
    c.labels("labels/no_true_positive", np.zeros(6), y)
    c.labels("labels/positive_absent", np.zeros(6), np.zeros(6))
    y = (rng.random(1000) < 0.05).astype(int)
    c.labels("labels/imbalanced_5pct", y, noisy_labels(rng, y, 2, 0.1))
    c.labels("labels/perfect_k3", [0, 1, 2, 2, 1, 0], [0, 1, 2, 2, 1, 0], positive=2)
    y = rng.integers(0, 4, 400)
    c.labels("labels/k4_one_vs_rest", y, noisy_labels(rng, y, 4, 0.5), positive=2)
    y = rng.integers(0, 5, 500)
    c.labels("labels/k5", y, noisy_labels(rng, y, 5, 0.5), positive=4)
    y = rng.integers(0, 4, 300)
    pred = noisy_labels(rng, y, 4, 0.4)
    pred[pred == 3] = 0
    c.labels("labels/class_absent_in_pred", y, pred, positive=3)
    y = rng.integers(0, 3, 300)
    pred = noisy_labels(rng, y, 3, 0.3)
    pred[:7] = 5
    c.labels("labels/class_only_in_pred", y, pred, positive=5)
    y = np.where(rng.random(2000) < 0.9, 0, rng.integers(1, 4, 2000))
    c.labels("labels/imbalanced_k4", y, noisy_labels(rng, y, 4, 0.2), positive=3)
    y = rng.integers(0, 2, 20000)
    c.labels("labels/large_binary", y, noisy_labels(rng, y, 2, 0.25))
    y = rng.integers(0, 6, 20000)
    c.labels("labels/large_k6", y, noisy_labels(rng, y, 6, 0.35), positive=0)


def score_cases(c, rng):
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1, 1, 0])
    ranks = np.array([0.1, 0.2, 0.7, 0.8, 0.3, 0.9, 0.05, 0.6, 0.65, 0.4])
    c.scores("scores/perfect_ranking", y, ranks)
    c.scores("scores/worst_ranking", y, 1 - ranks)
    c.scores("scores/all_tied", y, np.full(10, 0.5))
    c.scores("scores/n2_tied", [0, 1], [0.3, 0.3])
    c.scores("scores/n1", [0], [0.25])
    c.scores("scores/perfect_exact_0_1", y, y.astype(float))
    c.scores("scores/worst_exact_0_1", y, 1 - y.astype(float))
    c.scores("scores/mixed_exact_0_1", [1, 0, 1, 0, 1, 0, 0, 1], [1.0, 0.0, 0.0, 1.0, 0.5, 1e-17, 1.0 - 1e-16, 0.999])
    c.scores("scores/single_class_positive", np.ones(5), [0.9, 0.8, 0.99, 0.6, 0.7])
    c.scores("scores/single_class_negative", np.zeros(4), [0.1, 0.2, 0.0, 0.4])
    y = rng.integers(0, 2, 500)
    c.scores("scores/random", y, rng.beta(2 + 2 * y, 4 - 2 * y))
    c.scores("scores/heavy_ties", y, rng.random(500) * 0.7 + 0.3 * y, decimals=1)
    c.scores("scores/logits", y, rng.normal(0, 3, 500) + 2.0 * y)
    y = (rng.random(5000) < 0.01).astype(int)
    c.scores("scores/imbalanced_1pct", y, np.clip(0.2 + 0.3 * y + rng.normal(0, 0.15, 5000), 0, 1), decimals=4)
    y = rng.integers(0, 2, 20000)
    c.scores("scores/large_ties", y, rng.beta(2 + 3 * y, 5 - 3 * y), decimals=3)

    c.proba("proba/k3_small", [0, 1, 2, 1], [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.25, 0.25, 0.5], [0.3, 0.3, 0.4]])
    c.proba("proba/k3_random", rng.integers(0, 3, 300), rng.dirichlet([1.0, 1.0, 1.0], 300))
    c.proba("proba/k4_exact_0_1", [0, 1, 2, 3, 1, 2], np.eye(4)[[0, 1, 2, 3, 0, 1]])


def regression_cases(c, rng):
    y = rng.normal(10, 3, 100)
    c.regression("regression/random", y, y + rng.normal(0, 1, 100))
    c.regression("regression/perfect", y, y)
    c.regression("regression/reversed", y, y[::-1])
    c.regression("regression/zeros_in_y_true", [0.0, 1.0, -2.0, 0.0, 3.5], [0.5, 1.1, -1.5, 0.0, 3.0])
    c.regression("regression/n1", [2.0], [3.5])
    c.regression("regression/n2", [1.0, 3.0], [1.5, 2.0])
    c.regression("regression/constant_y_true_imperfect", np.full(6, 2.5), [2.5, 2.0, 3.0, 2.5, 2.5, 2.4])
    c.regression("regression/constant_y_true_perfect", np.full(6, 7.0), np.full(6, 7.0))
    c.regression("regression/constant_zero", np.zeros(4), [0.0, 1.0, 0.0, 0.0])
    c.regression("regression/heavy_tailed", rng.standard_t(2, 500), rng.standard_t(2, 500))
    y = 1000 + rng.normal(0, 5, 20000)
    c.regression("regression/large_offset", y, y + rng.normal(0.5, 2, 20000), decimals=3)


def main():
    check_pins()
    # The zero-division cases are deliberate; their warnings are noise here.
    warnings.filterwarnings("ignore", category=UndefinedMetricWarning)
    c = Cases()
    label_cases(c, np.random.default_rng(20240611))
    score_cases(c, np.random.default_rng(20240612))
    regression_cases(c, np.random.default_rng(20240613))
    lines = ['{"versions":' + json.dumps(PINS, separators=(",", ":"), sort_keys=True) + ',"cases":[']
    for i, case in enumerate(c.cases):
        sep = "," if i < len(c.cases) - 1 else ""
        lines.append(json.dumps(case, separators=(",", ":"), allow_nan=False) + sep)
    lines.append("]}")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    checks = sum(len(case["want"]) for case in c.cases)
    print(f"wrote {len(c.cases)} cases ({checks} metric values) to {OUT}")


if __name__ == "__main__":
    main()
