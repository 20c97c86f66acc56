package demo

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFitRecoversTheTruth trains on baseline examples at the demo's size
// and checks that each weight has the sign of the true coefficient: every
// numeric feature, and every category whose true effect differs from its
// feature's first level by at least 0.3 (smaller ones are within noise of
// 2,400 rows).
func TestFitRecoversTheTruth(t *testing.T) {
	m := fit(t, draw(testTrainRows, Baseline, 1), "v1")
	for i, w := range m.Numeric {
		t.Run(w.Name, func(t *testing.T) {
			want := math.Copysign(1, baseline.numeric[i])
			require.Equal(t, want, math.Copysign(1, w.Weight), "weight %.3f, true coefficient %.3f", w.Weight, baseline.numeric[i])
		})
	}
	for i, c := range m.Categorical {
		ref := levels[i][0]
		for j, level := range c.Levels[1:] {
			truth := baseline.levels[i][level] - baseline.levels[i][ref]
			if math.Abs(truth) < 0.3 {
				continue
			}
			t.Run(c.Name+"="+level, func(t *testing.T) {
				got := c.Weights[j+1] - c.Weights[0]
				require.Equal(t, math.Copysign(1, truth), math.Copysign(1, got), "effect %.3f against %s, true %.3f", got, ref, truth)
			})
		}
	}
	got := auc(t, m, draw(testHoldoutRows, Baseline, 2))
	t.Logf("baseline model on baseline holdout: roc_auc %.4f, %d Newton iterations", got, m.Training.Iterations)
	require.GreaterOrEqual(t, got, 0.75)
}

func TestFitIsDeterministic(t *testing.T) {
	examples := draw(testTrainRows, Shifted, 1)
	a, err := fit(t, examples, "v2").Encode()
	require.NoError(t, err)
	b, err := fit(t, examples, "v2").Encode()
	require.NoError(t, err)
	require.Equal(t, string(a), string(b))
}

func TestFitErrors(t *testing.T) {
	examples := draw(200, Baseline, 1)
	negatives := make([]Example, 0, len(examples))
	for _, e := range examples {
		if !e.Default {
			negatives = append(negatives, e)
		}
	}
	tests := []struct {
		name     string
		examples []Example
		opts     FitOptions
		want     string
	}{
		{"no examples", nil, FitOptions{}, "one class only"},
		{"one class", negatives, FitOptions{}, "one class only"},
		{"negative penalty", examples, FitOptions{L2: -1}, "l2 -1 is not a positive number"},
		{"threshold of 1", examples, FitOptions{Threshold: 1}, "threshold 1 is outside (0, 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Fit(ModelName, tt.examples, tt.opts)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

var update = flag.Bool("update", false, "rewrite testdata/sklearn/examples.jsonl; then run testdata/sklearn/gen.py")

// TestFitMatchesScikitLearn holds Fit to an independent solver:
// scikit-learn 1.9.1's LogisticRegression (newton-cholesky) on the same
// design and penalty, recorded in testdata/sklearn/want.json by gen.py.
func TestFitMatchesScikitLearn(t *testing.T) {
	path := filepath.Join("testdata", "sklearn", "examples.jsonl")
	if *update {
		require.NoError(t, WriteExamples(path, stamp(draw(400, Shifted, 9), defaultTrainedAt)))
		t.Log("wrote", path, "; now run python3 internal/demo/testdata/sklearn/gen.py")
	}
	examples, err := ReadExamples(path)
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join("testdata", "sklearn", "want.json"))
	require.NoError(t, err)
	var want struct {
		Lambda      float64              `json:"lambda"`
		Rows        int                  `json:"rows"`
		Intercept   float64              `json:"intercept"`
		Numeric     map[string]float64   `json:"numeric"`
		Categorical map[string][]float64 `json:"categorical"`
	}
	require.NoError(t, json.Unmarshal(data, &want))
	require.Equal(t, len(examples), want.Rows, "examples.jsonl changed since gen.py ran")

	m, err := Fit(ModelName, examples, FitOptions{L2: want.Lambda})
	require.NoError(t, err)
	const tol = 1e-8
	require.InDelta(t, want.Intercept, m.Intercept, tol, "intercept")
	for _, w := range m.Numeric {
		require.InDelta(t, want.Numeric[w.Name], w.Weight, tol, w.Name)
	}
	for _, c := range m.Categorical {
		require.InDeltaSlice(t, want.Categorical[c.Name], c.Weights, tol, c.Name)
	}
}

// TestFitIsOptimal checks that Fit stops at the minimum: the objective's
// gradient, by central differences of the objective alone (not the
// analytic gradient Newton's method uses), vanishes there.
func TestFitIsOptimal(t *testing.T) {
	examples := draw(testTrainRows, Shifted, 1)
	m := fit(t, examples, "v2")
	x, y := m.design(examples)
	beta := weights(m)
	eta := make([]float64, len(examples))
	const h = 1e-5
	for j := range beta {
		up, down := slices.Clone(beta), slices.Clone(beta)
		up[j] += h
		down[j] -= h
		slope := (objective(x, y, up, DefaultL2, eta) - objective(x, y, down, DefaultL2, eta)) / (2 * h)
		require.InDelta(t, 0, slope, 1e-8, "coefficient %d", j)
	}
}

// weights returns m's coefficients in the order of its design matrix.
func weights(m *Model) []float64 {
	out := []float64{m.Intercept}
	for _, w := range m.Numeric {
		out = append(out, w.Weight)
	}
	for _, c := range m.Categorical {
		out = append(out, c.Weights...)
	}
	return out
}

// BenchmarkFit times Fit at the demo's training size.
func BenchmarkFit(b *testing.B) {
	examples := draw(testTrainRows, Shifted, 1)
	for b.Loop() {
		if _, err := Fit(ModelName, examples, FitOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
