package demo

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestDrawIsDeterministic(t *testing.T) {
	w := World{Shift: DefaultShift()}
	a := w.DrawN(NewRand(7, 1), 100, Shifted)
	b := w.DrawN(NewRand(7, 1), 100, Shifted)
	require.Empty(t, cmp.Diff(a, b))
	other := w.DrawN(NewRand(7, 2), 100, Shifted)
	require.NotEmpty(t, cmp.Diff(a, other), "streams of one seed must differ")
}

func TestDrawsAreValidRows(t *testing.T) {
	for _, p := range []Phase{Baseline, Shifted} {
		for _, e := range draw(2000, p, 1) {
			require.GreaterOrEqual(t, e.Row.Num[Age], 18.0)
			require.Positive(t, e.Row.Num[Income])
			require.True(t, e.Row.Num[Utilization] >= 0 && e.Row.Num[Utilization] <= 1)
			for i, v := range e.Row.Cat {
				require.Contains(t, levels[i], v, "feature %s", categoricalNames[i])
			}
		}
	}
}

func TestShiftRaisesDefaultRate(t *testing.T) {
	pre, post := defaultRate(draw(20_000, Baseline, 1)), defaultRate(draw(20_000, Shifted, 2))
	t.Logf("default rate: baseline %.3f, shifted %.3f", pre, post)
	require.InDelta(t, 0.25, pre, 0.02)
	require.InDelta(t, 0.38, post, 0.02)
}

func TestShiftMagnitude(t *testing.T) {
	tests := []struct {
		name      string
		magnitude float64
		wantErr   bool
		features  []string
	}{
		{"none", 0, false, nil},
		{"half", 0.5, false, []string{"income", "utilization", "employment"}},
		{"full", 1, false, []string{"income", "utilization", "employment"}},
		{"negative", -0.1, true, nil},
		{"beyond full", 1.5, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Shift{Magnitude: tt.magnitude}
			if tt.wantErr {
				require.Error(t, s.Validate())
				return
			}
			require.NoError(t, s.Validate())
			require.Empty(t, cmp.Diff(tt.features, s.Features()))
		})
	}
}

func TestZeroShiftLeavesTheWorldAlone(t *testing.T) {
	w := World{Shift: Shift{}}
	require.Empty(t, cmp.Diff(w.DrawN(NewRand(3, 1), 200, Baseline), w.DrawN(NewRand(3, 1), 200, Shifted)))
}
