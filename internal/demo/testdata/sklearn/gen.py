#!/usr/bin/env python3
"""Write want.json: scikit-learn's fit of the demo model on examples.jsonl.

examples.jsonl is written by `go test ./internal/demo -run
TestFitMatchesScikitLearn -update`; this script then fits scikit-learn's
LogisticRegression on the same design as demo.Fit and records the
coefficients, so the Go test can hold Fit's Newton solver to an
independent implementation:

    python3 internal/demo/testdata/sklearn/gen.py

The design matches demo.Fit: numeric features standardised with the mean
and population standard deviation of the examples, every level of every
categorical feature one-hot encoded, an unpenalised intercept. demo.Fit
minimises the mean log loss plus lambda/2 |w|^2; scikit-learn minimises
C times the summed log loss plus 1/2 |w|^2, the same problem for
C = 1 / (lambda * n).
"""

import json
import os
import sys

import numpy as np
import scipy
import sklearn
from sklearn.linear_model import LogisticRegression

PINS = {"numpy": "2.4.6", "scipy": "1.17.1", "scikit-learn": "1.9.1"}
HERE = os.path.dirname(os.path.abspath(__file__))
LAMBDA = 1e-3  # demo.DefaultL2

NUMERIC = ["age", "income", "debt_ratio", "credit_lines", "utilization", "months_employed", "loan_amount"]
LEVELS = {
    "term": ["36", "60"],
    "employment": ["salaried", "self_employed", "contract", "retired", "unemployed"],
    "region": ["north", "south", "east", "west"],
    "home_ownership": ["rent", "mortgage", "own"],
    "purpose": ["debt_consolidation", "credit_card", "home_improvement", "car", "other"],
}


def main():
    got = {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}
    if got != PINS:
        sys.exit(f"gen.py: want {PINS}, have {got}")
    with open(os.path.join(HERE, "examples.jsonl")) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    num = np.array([[r[name] for name in NUMERIC] for r in rows], dtype=np.float64)
    num = (num - num.mean(axis=0)) / num.std(axis=0)
    cols = [num]
    for name, levels in LEVELS.items():
        cols.append(np.array([[1.0 if r[name] == level else 0.0 for level in levels] for r in rows]))
    x = np.hstack(cols)
    y = np.array([r["label"] == "1" for r in rows], dtype=np.float64)
    model = LogisticRegression(C=1 / (LAMBDA * len(rows)), solver="newton-cholesky", tol=1e-12, max_iter=1000)
    model.fit(x, y)
    w = model.coef_[0]
    want = {
        "lambda": LAMBDA,
        "rows": len(rows),
        "intercept": float(model.intercept_[0]),
        "numeric": {name: float(w[i]) for i, name in enumerate(NUMERIC)},
        "categorical": {},
    }
    off = len(NUMERIC)
    for name, levels in LEVELS.items():
        want["categorical"][name] = [float(v) for v in w[off : off + len(levels)]]
        off += len(levels)
    with open(os.path.join(HERE, "want.json"), "w") as f:
        json.dump(want, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
