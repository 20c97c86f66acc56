package quality

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestNewConfusionErrors(t *testing.T) {
	tests := []struct {
		name              string
		classes, positive int
		wantErr           string
	}{
		{name: "one class", classes: 1, positive: 0, wantErr: "confusion: 1 classes is outside [2, 1024]"},
		{name: "too many classes", classes: MaxClasses + 1, positive: 0, wantErr: "confusion: 1025 classes is outside [2, 1024]"},
		{name: "positive outside", classes: 3, positive: 3, wantErr: "confusion: positive class 3 is outside [0, 3)"},
		{name: "negative positive", classes: 2, positive: -1, wantErr: "confusion: positive class -1 is outside [0, 2)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewConfusion(tt.classes, tt.positive)
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestConfusionCounts(t *testing.T) {
	c, err := NewConfusion(3, 2)
	require.NoError(t, err)
	pairs := [][2]int{{0, 0}, {0, 1}, {1, 1}, {2, 2}, {2, 0}, {2, 2}, {1, 1}}
	for _, p := range pairs {
		require.NoError(t, c.Add(p[0], p[1]))
	}
	require.EqualError(t, c.Add(3, 0), "confusion: true class 3 is outside [0, 3)")
	require.EqualError(t, c.Add(0, -1), "confusion: predicted class -1 is outside [0, 3)")

	got := [3][3]int64{}
	for tc := range 3 {
		for pc := range 3 {
			got[tc][pc] = c.At(tc, pc)
		}
	}
	want := [3][3]int64{{1, 1, 0}, {0, 2, 0}, {1, 0, 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("confusion matrix (-want +got):\n%s", diff)
	}
	require.Equal(t, int64(7), c.Count())
	require.Panics(t, func() { c.At(0, 3) })

	// Class 2 is the positive class: tp 2, fp 0, fn 1.
	for m, want := range map[Metric]float64{Accuracy: 5.0 / 7, Precision: 1, Recall: 2.0 / 3, F1: 0.8} {
		got, err := c.Value(m)
		require.NoError(t, err, m)
		requireClose(t, want, got, m)
	}
}

func TestConfusionValueErrors(t *testing.T) {
	c, err := NewConfusion(2, 1)
	require.NoError(t, err)
	_, err = c.Value(Accuracy)
	require.EqualError(t, err, "accuracy: metric undefined: no samples")
	require.True(t, errors.Is(err, ErrUndefined))
	_, err = c.Value(ROCAUC)
	require.EqualError(t, err, "confusion: roc_auc needs scores inputs, not labels")
	_, err = c.Value("kappa")
	require.ErrorContains(t, err, `confusion: unknown metric "kappa"`)
}

func TestConfusionMergeAndReset(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	yTrue, yPred := make([]int, 3000), make([]int, 3000)
	for i := range yTrue {
		yTrue[i] = rng.IntN(4)
		yPred[i] = yTrue[i]
		if rng.Float64() < 0.4 {
			yPred[i] = rng.IntN(4)
		}
	}
	whole, err := NewConfusion(4, 1)
	require.NoError(t, err)
	parts := make([]*Confusion, 3)
	for p := range parts {
		parts[p], err = NewConfusion(4, 1)
		require.NoError(t, err)
	}
	for i := range yTrue {
		require.NoError(t, whole.Add(yTrue[i], yPred[i]))
		require.NoError(t, parts[i%3].Add(yTrue[i], yPred[i]))
	}
	require.NoError(t, parts[0].Merge(parts[1]))
	require.NoError(t, parts[0].Merge(parts[2]))
	for _, m := range []Metric{Accuracy, Precision, Recall, F1, PrecisionMacro, RecallMacro, F1Macro} {
		want, err := whole.Value(m)
		require.NoError(t, err)
		got, err := parts[0].Value(m)
		require.NoError(t, err)
		require.Equal(t, want, got, m)
	}

	other, err := NewConfusion(4, 2)
	require.NoError(t, err)
	require.EqualError(t, whole.Merge(other),
		"confusion: cannot merge 4 classes (positive 2) into 4 classes (positive 1)")

	whole.Reset()
	require.Equal(t, int64(0), whole.Count())
	require.NoError(t, whole.Add(1, 1))
	got, err := whole.Value(Accuracy)
	require.NoError(t, err)
	require.Equal(t, 1.0, got)
}
