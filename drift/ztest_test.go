package drift

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// twoSidedNormal returns 2*(1 - Phi(|z|)) from math.Erfc, independently of
// normalSF.
func twoSidedNormal(z float64) float64 { return math.Erfc(math.Abs(z) / math.Sqrt2) }

func TestTwoProportionZTest(t *testing.T) {
	tests := []struct {
		name           string
		k1, n1, k2, n2 float64
		wantZ          float64
	}{
		// p1 = .45, p2 = .30, pooled .375: se = sqrt(.375*.625*.02).
		{name: "basic", k1: 45, n1: 100, k2: 30, n2: 100, wantZ: 0.15 / math.Sqrt(0.375*0.625*0.02)},
		{name: "equal shares", k1: 30, n1: 100, k2: 60, n2: 200, wantZ: 0},
		{name: "reversed", k1: 30, n1: 100, k2: 45, n2: 100, wantZ: -0.15 / math.Sqrt(0.375*0.625*0.02)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TwoProportionZTest(tt.k1, tt.n1, tt.k2, tt.n2)
			require.InDelta(t, tt.wantZ, got.Statistic, 1e-14)
			require.InDelta(t, twoSidedNormal(tt.wantZ), got.PValue, 1e-15)
		})
	}
}

func TestTwoProportionZTestDegenerate(t *testing.T) {
	tests := []struct {
		name           string
		k1, n1, k2, n2 float64
		want           TestResult
		wantNaN        bool
	}{
		{name: "all zeros", k1: 0, n1: 50, k2: 0, n2: 80, want: TestResult{Statistic: 0, PValue: 1}},
		{name: "all ones", k1: 50, n1: 50, k2: 80, n2: 80, want: TestResult{Statistic: 0, PValue: 1}},
		{name: "empty sample", k1: 0, n1: 0, k2: 3, n2: 10, wantNaN: true},
		{name: "count above size", k1: 11, n1: 10, k2: 3, n2: 10, wantNaN: true},
		{name: "negative count", k1: -1, n1: 10, k2: 3, n2: 10, wantNaN: true},
		{name: "NaN count", k1: math.NaN(), n1: 10, k2: 3, n2: 10, wantNaN: true},
		{name: "infinite size", k1: 1, n1: math.Inf(1), k2: 3, n2: 10, wantNaN: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TwoProportionZTest(tt.k1, tt.n1, tt.k2, tt.n2)
			if tt.wantNaN {
				require.True(t, math.IsNaN(got.Statistic) && math.IsNaN(got.PValue))
				return
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// TestTwoProportionZTestTail checks that the p-value stays positive and
// accurate far below the 1e-16 that 1 - Phi(z) would reach.
func TestTwoProportionZTestTail(t *testing.T) {
	got := TwoProportionZTest(9000, 10000, 1000, 10000)
	require.Greater(t, got.Statistic, 100.0)
	require.Zero(t, got.PValue) // below the smallest float64
	got = TwoProportionZTest(300, 1000, 200, 1000)
	require.InEpsilon(t, twoSidedNormal(got.Statistic), got.PValue, 1e-13)
	require.Less(t, got.PValue, 1e-6)
}

func TestMissingShareDirection(t *testing.T) {
	rises := MissingShare(10, 1000, 40, 1000)
	falls := MissingShare(40, 1000, 10, 1000)
	require.Greater(t, rises.Statistic, 0.0)
	require.Less(t, falls.Statistic, 0.0)
	require.InDelta(t, rises.PValue, falls.PValue, 1e-16)
	require.Equal(t, TestResult{Statistic: 0, PValue: 1}, MissingShare(0, 1000, 0, 500))
}

// TestNormalSF compares with erfc. normalSF scales z by a rounded 1/sqrt(2)
// as scipy does, and erfc amplifies that one-ulp change in its argument by
// about 2x^2 = z^2, hence the tolerance.
func TestNormalSF(t *testing.T) {
	for _, z := range []float64{0, 0.3, 1, 1.96, 5, 12, 37} {
		require.InEpsilon(t, math.Erfc(z/math.Sqrt2)/2, normalSF(z), 4e-16*(z*z+4), "z=%v", z)
	}
	require.InDelta(t, 1-math.Erfc(2/math.Sqrt2)/2, normalSF(-2), 1e-15)
}
