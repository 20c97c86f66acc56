package quality

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestResidualsErrors(t *testing.T) {
	var r Residuals
	_, err := r.Value(MAE)
	require.EqualError(t, err, "mae: metric undefined: no samples")
	require.True(t, errors.Is(err, ErrUndefined))

	require.EqualError(t, r.Add(math.NaN(), 1), "residuals: pair (NaN, 1): values must be finite")
	require.EqualError(t, r.Add(1, math.Inf(-1)), "residuals: pair (1, -Inf): values must be finite")
	require.Equal(t, int64(0), r.Count(), "rejected pairs are not counted")

	require.NoError(t, r.Add(2, 3))
	_, err = r.Value(R2)
	require.EqualError(t, err, "r2: metric undefined: 1 sample, need at least 2")
	require.True(t, errors.Is(err, ErrUndefined))
	_, err = r.Value(Accuracy)
	require.EqualError(t, err, "residuals: accuracy needs labels inputs, not regression")
}

// TestResidualsLargeOffset checks the streaming spread against the two-pass
// batch formula where naive sums of squares lose every digit: true values
// near 1e9 with a spread of about 1.
func TestResidualsLargeOffset(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 13))
	n := 50_000
	yTrue, yPred := make([]float64, n), make([]float64, n)
	for i := range yTrue {
		yTrue[i] = 1e9 + rng.NormFloat64()
		yPred[i] = yTrue[i] + 0.5*rng.NormFloat64()
	}
	parts := make([]Residuals, 4)
	var whole Residuals
	for i := range yTrue {
		require.NoError(t, whole.Add(yTrue[i], yPred[i]))
		require.NoError(t, parts[i*len(parts)/n].Add(yTrue[i], yPred[i]))
	}
	for p := 1; p < len(parts); p++ {
		parts[0].Merge(&parts[p])
	}
	want, err := R2Score(yTrue, yPred)
	require.NoError(t, err)
	require.InDelta(t, 0.75, want, 0.01)
	for name, r := range map[string]*Residuals{"whole": &whole, "merged": &parts[0]} {
		got, err := r.Value(R2)
		require.NoError(t, err)
		require.InEpsilon(t, want, got, 1e-9, name)
	}
}

func TestResidualsConstantTruth(t *testing.T) {
	var a, b Residuals
	for i, y := range []float64{0.1, 0.2, 0.1, 0.1, 0.1, 0.1} {
		if i < 3 {
			require.NoError(t, a.Add(0.1, y))
		} else {
			require.NoError(t, b.Add(0.1, y))
		}
	}
	a.Merge(&b)
	got, err := a.Value(R2)
	require.NoError(t, err)
	require.Equal(t, 0.0, got)
}

func TestResidualsMergeEmptyAndReset(t *testing.T) {
	var r, empty Residuals
	r.Merge(&empty)
	require.Equal(t, int64(0), r.Count())
	require.NoError(t, empty.Add(1, 2))
	require.NoError(t, empty.Add(3, 3))
	r.Merge(&empty)
	got, err := r.Value(MAE)
	require.NoError(t, err)
	require.Equal(t, 0.5, got)

	r.Reset()
	require.Equal(t, int64(0), r.Count())
	require.NoError(t, r.Add(4, 1))
	got, err = r.Value(RMSE)
	require.NoError(t, err)
	require.Equal(t, 3.0, got)
}
