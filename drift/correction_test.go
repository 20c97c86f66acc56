package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

func TestCorrectionValidate(t *testing.T) {
	for _, c := range []Correction{CorrectionNone, CorrectionBonferroni, CorrectionBenjaminiHochberg} {
		require.NoError(t, c.Validate())
	}
	require.EqualError(t, Correction("holm").Validate(), `unknown correction "holm" (want none, bonferroni or benjamini-hochberg)`)
	require.Panics(t, func() { Correction("holm").Apply([]float64{0.1}) })
}

func TestCorrections(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name       string
		correction Correction
		p          []float64
		want       []float64
	}{
		{name: "none copies", correction: CorrectionNone, p: []float64{0.2, 0.01}, want: []float64{0.2, 0.01}},
		{name: "bonferroni", correction: CorrectionBonferroni, p: []float64{0.01, 0.04, 0.5}, want: []float64{0.03, 0.12, 1}},
		{name: "bonferroni skips NaN", correction: CorrectionBonferroni, p: []float64{0.01, nan, 0.04}, want: []float64{0.02, nan, 0.08}},
		// scipy.stats.false_discovery_control's documented example.
		{name: "benjamini-hochberg", correction: CorrectionBenjaminiHochberg, p: []float64{0.5, 0.6, 0.1, 0.001}, want: []float64{0.6, 0.6, 0.2, 0.004}},
		// Sorted: 0.01 -> 0.01*2/1 = 0.02; 0.04 -> 0.04*2/2 = 0.04.
		{name: "benjamini-hochberg skips NaN", correction: CorrectionBenjaminiHochberg, p: []float64{0.04, nan, 0.01}, want: []float64{0.04, nan, 0.02}},
		{name: "benjamini-hochberg ties", correction: CorrectionBenjaminiHochberg, p: []float64{0.03, 0.03, 0.03}, want: []float64{0.03, 0.03, 0.03}},
		{name: "empty", correction: CorrectionBenjaminiHochberg, p: []float64{}, want: []float64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := slices.Clone(tt.p)
			got := tt.correction.Apply(tt.p)
			require.Empty(t, cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-15), cmpopts.EquateNaNs()))
			require.Empty(t, cmp.Diff(orig, tt.p, cmpopts.EquateNaNs()), "input modified")
		})
	}
}

func TestCorrectionsRejectInvalidPValues(t *testing.T) {
	for _, c := range []Correction{CorrectionNone, CorrectionBonferroni, CorrectionBenjaminiHochberg} {
		require.Panics(t, func() { c.Apply([]float64{0.5, 1.5}) }, string(c))
		require.Panics(t, func() { c.Apply([]float64{-0.1}) }, string(c))
	}
}

// TestBenjaminiHochbergProperties checks on random p-values that adjusted
// values are never below the raw ones, never above Bonferroni's, and keep
// the order of the raw p-values.
func TestBenjaminiHochbergProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(50, 51))
	for range 200 {
		p := make([]float64, 1+rng.IntN(40))
		for i := range p {
			p[i] = math.Pow(rng.Float64(), 3)
		}
		bh, bonf := BenjaminiHochberg(p), Bonferroni(p)
		for i := range p {
			require.GreaterOrEqual(t, bh[i], p[i])
			require.LessOrEqual(t, bh[i], bonf[i])
			for j := range p {
				if p[i] < p[j] {
					require.LessOrEqual(t, bh[i], bh[j])
				}
			}
		}
	}
}
