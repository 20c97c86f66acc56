package demo

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The sizes the tests draw at: the demo's defaults.
const (
	testTrainRows   = DefaultRecentRows - DefaultRecentRows/DefaultHoldoutEvery // 2,400 recent examples to train on
	testHoldoutRows = 5000
)

// draw returns n examples of phase p from stream of seed 1.
func draw(n int, p Phase, stream uint64) []Example {
	return World{Shift: DefaultShift()}.DrawN(NewRand(1, stream), n, p)
}

// fit trains a model on examples and names it version.
func fit(t testing.TB, examples []Example, version string) *Model {
	t.Helper()
	m, err := Fit(ModelName, examples, FitOptions{})
	require.NoError(t, err)
	m.Version = version
	return m
}

// auc returns m's ROC AUC on examples.
func auc(t testing.TB, m *Model, examples []Example) float64 {
	t.Helper()
	ms, err := Metrics(m, examples)
	require.NoError(t, err)
	return ms["roc_auc"]
}

// defaultRate returns the share of examples that defaulted.
func defaultRate(examples []Example) float64 {
	n := 0
	for _, e := range examples {
		if e.Default {
			n++
		}
	}
	return float64(n) / float64(len(examples))
}

// stamp gives the examples ids and a time, as served examples have.
func stamp(examples []Example, at time.Time) []Example {
	for i := range examples {
		examples[i].ID = fmt.Sprintf("ex-%06d", i+1)
		examples[i].Time = at
	}
	return examples
}
