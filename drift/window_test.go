package drift

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func newTestWindow(t testing.TB, p *Profile, opts WindowOptions) *Window {
	t.Helper()
	w, err := NewWindow(p, opts)
	require.NoError(t, err)
	return w
}

// decodeGolden decodes the golden profile, as a consumer would.
func decodeGolden(t testing.TB) *Profile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "profiles", "churn.golden.json"))
	require.NoError(t, err)
	p, err := DecodeProfile(data)
	require.NoError(t, err)
	return p
}

func TestWindowColumns(t *testing.T) {
	p := decodeGolden(t)
	w := newTestWindow(t, p, WindowOptions{})
	require.Same(t, p, w.Profile())
	require.Equal(t, 5, w.Len())
	for i, f := range p.Features {
		j, ok := w.Index(f.Name)
		require.True(t, ok)
		require.Equal(t, i, j)
		switch f.Type {
		case Numeric:
			require.NotNil(t, w.Numeric(i), f.Name)
			require.Nil(t, w.Categorical(i), f.Name)
			require.Same(t, &p.Features[i], w.Numeric(i).Reference())
		case Categorical:
			require.Nil(t, w.Numeric(i), f.Name)
			require.NotNil(t, w.Categorical(i), f.Name)
			require.Same(t, &p.Features[i], w.Categorical(i).Reference())
		}
	}
	_, ok := w.Index("churn_probability")
	require.False(t, ok, "the prediction is not a feature")
	require.Same(t, p.Prediction, w.PredictionNumeric().Reference())
	require.Nil(t, w.PredictionCategorical())
}

func TestWindowOptions(t *testing.T) {
	require.Equal(t, WindowOptions{SampleSize: 10_000, MaxUnseen: 1000, Seed: 3}, WindowOptions{Seed: 3}.WithDefaults())
	_, err := NewWindow(decodeGolden(t), WindowOptions{SampleSize: -1, MaxUnseen: -2})
	require.EqualError(t, err, "new window: sample size -1 must be positive\nmax unseen -2 must be positive")
}

func TestWindowSamplesAreDeterministicPerSeed(t *testing.T) {
	p := decodeGolden(t)
	sample := func(seed uint64) [][]float64 {
		w := newTestWindow(t, p, WindowOptions{SampleSize: 10, Seed: seed})
		var out [][]float64
		for _, i := range []int{0, 1} {
			for v := range 1000 {
				w.Numeric(i).Add(float64(v))
			}
			out = append(out, w.Numeric(i).SortedSample(nil))
		}
		return out
	}
	first := sample(1)
	if diff := cmp.Diff(first, sample(1)); diff != "" {
		t.Errorf("(-first +second):\n%s", diff)
	}
	require.NotEqual(t, first[0], first[1], "each column draws its own random stream")
	require.NotEqual(t, first, sample(2))
}

func TestWindowMerge(t *testing.T) {
	t0 := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	fill := func(w *Window, start, end time.Time, from, to int) {
		w.Start, w.End = start, end
		for v := from; v < to; v++ {
			w.Numeric(0).Add(float64(v))
			w.Categorical(2).Add([]string{"oslo", "paris", "tokyo", ""}[v%4])
			w.PredictionNumeric().Add(float64(v%10) / 10)
			w.AddEvents(1)
		}
	}
	all := newTestWindow(t, decodeGolden(t), WindowOptions{SampleSize: 16})
	left := newTestWindow(t, decodeGolden(t), WindowOptions{SampleSize: 16, Seed: 1})
	right := newTestWindow(t, decodeGolden(t), WindowOptions{SampleSize: 16, Seed: 2})
	fill(all, t0, t0.Add(2*time.Minute), 0, 300)
	fill(left, t0.Add(time.Minute), t0.Add(2*time.Minute), 0, 120)
	fill(right, t0, t0.Add(90*time.Second), 120, 300)

	require.NoError(t, left.Merge(right), "windows over separately decoded copies of one profile merge")
	require.Equal(t, int64(300), left.Events())
	require.Equal(t, t0, left.Start)
	require.Equal(t, t0.Add(2*time.Minute), left.End)
	if diff := cmp.Diff(all.Numeric(0).BinCounts(), left.Numeric(0).BinCounts()); diff != "" {
		t.Errorf("numeric (-one window +merged):\n%s", diff)
	}
	if diff := cmp.Diff(all.Categorical(2).CategoryCounts(), left.Categorical(2).CategoryCounts()); diff != "" {
		t.Errorf("categorical (-one window +merged):\n%s", diff)
	}
	if diff := cmp.Diff(all.PredictionNumeric().BinCounts(), left.PredictionNumeric().BinCounts()); diff != "" {
		t.Errorf("prediction (-one window +merged):\n%s", diff)
	}
	require.Equal(t, 16, left.Numeric(0).SampleLen())
}

func TestWindowMergeErrors(t *testing.T) {
	w := newTestWindow(t, decodeGolden(t), WindowOptions{})
	other := decodeGolden(t)
	other.Features[0].Edges = []float64{30, 40, 50}
	require.EqualError(t, w.Merge(newTestWindow(t, other, WindowOptions{})),
		`merge window: windows come from different profiles (model "churn" and "churn")`)
	require.EqualError(t, w.Merge(newTestWindow(t, decodeGolden(t), WindowOptions{SampleSize: 5})),
		"merge window: sample sizes differ (10000 and 5)")
}

func TestWindowReset(t *testing.T) {
	w := newTestWindow(t, decodeGolden(t), WindowOptions{SampleSize: 32})
	for v := range 100 {
		w.Numeric(0).Add(float64(v))
		w.Categorical(3).Add("enterprise")
		w.PredictionNumeric().AddMissing()
		w.AddEvents(1)
	}
	w.Start, w.End = time.Unix(100, 0), time.Unix(200, 0)
	require.Zero(t, testing.AllocsPerRun(10, w.Reset))
	require.Zero(t, w.Events())
	require.True(t, w.Start.IsZero() && w.End.IsZero())
	require.Zero(t, w.Numeric(0).Count())
	require.Zero(t, w.Categorical(3).Count())
	require.Zero(t, w.Categorical(3).Unseen())
	require.Zero(t, w.PredictionNumeric().Count())
}
