package drift

import (
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestChiSquareHomogeneityErrors(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []float64
		wantErr  string
	}{
		{name: "length mismatch", ref: []float64{1, 2}, cur: []float64{1}, wantErr: "chi-square: reference has 2 categories, current has 1"},
		{name: "negative count", ref: []float64{1, -2}, cur: []float64{1, 2}, wantErr: "chi-square: category 1 has invalid count -2"},
		{name: "NaN count", ref: []float64{1, 2}, cur: []float64{math.NaN(), 2}, wantErr: "chi-square: category 0 has invalid count NaN"},
		{name: "infinite count", ref: []float64{math.Inf(1), 2}, cur: []float64{1, 2}, wantErr: "chi-square: category 0 has invalid count +Inf"},
		{name: "empty reference", ref: []float64{0, 0}, cur: []float64{1, 2}, wantErr: "chi-square: reference total 0 and current total 3 must both be positive"},
		{name: "no categories", ref: nil, cur: nil, wantErr: "chi-square: reference total 0 and current total 0 must both be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ChiSquareHomogeneity(tt.ref, tt.cur)
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

// TestChiSquareHomogeneityHandComputed checks tables small enough to work
// out by hand. For one degree of freedom the survival function is
// erfc(sqrt(x/2)) and for two it is exp(-x/2).
func TestChiSquareHomogeneityHandComputed(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []float64
		want     TestResult
		wantDof  int
	}{
		{
			// Every expected count is 15; Yates shrinks |o-e| = 5 to 4.5, so
			// each of the four terms is 4.5^2/15 = 1.35.
			name: "2x2 with Yates", ref: []float64{10, 20}, cur: []float64{20, 10},
			want: TestResult{Statistic: 5.4, PValue: math.Erfc(math.Sqrt(2.7))}, wantDof: 1,
		},
		{
			// Expected counts are all 20: terms 5, 0, 5 in each row.
			name: "2x3", ref: []float64{10, 20, 30}, cur: []float64{30, 20, 10},
			want: TestResult{Statistic: 20, PValue: math.Exp(-10)}, wantDof: 2,
		},
		{
			name: "single category", ref: []float64{0, 7, 0}, cur: []float64{0, 3, 0},
			want: TestResult{Statistic: 0, PValue: 1}, wantDof: 0,
		},
		{
			// The empty middle column is dropped, leaving a 2x2 table that
			// matches its expectation exactly: Yates moves nothing.
			name: "empty column dropped", ref: []float64{5, 0, 5}, cur: []float64{5, 0, 5},
			want: TestResult{Statistic: 0, PValue: 1}, wantDof: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, dof, err := ChiSquareHomogeneity(tt.ref, tt.cur)
			require.NoError(t, err)
			require.Equal(t, tt.wantDof, dof)
			require.InDelta(t, tt.want.Statistic, got.Statistic, 1e-12)
			require.InDelta(t, tt.want.PValue, got.PValue, 1e-15)
		})
	}
}

// TestChiSquareHomogeneityUnseenCategory checks that a category absent from
// the reference is kept and raises the statistic.
func TestChiSquareHomogeneityUnseenCategory(t *testing.T) {
	without, _, err := ChiSquareHomogeneity([]float64{50, 50}, []float64{50, 50})
	require.NoError(t, err)
	with, dof, err := ChiSquareHomogeneity([]float64{50, 50, 0}, []float64{50, 50, 20})
	require.NoError(t, err)
	require.Equal(t, 2, dof)
	require.Greater(t, with.Statistic, without.Statistic)
	require.Less(t, with.PValue, 0.001)
}

func TestChiSquareHomogeneityLeavesInputUntouched(t *testing.T) {
	ref, cur := []float64{3, 0, 4}, []float64{5, 0, 1}
	refCopy, curCopy := slices.Clone(ref), slices.Clone(cur)
	_, _, err := ChiSquareHomogeneity(ref, cur)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(refCopy, ref))
	require.Empty(t, cmp.Diff(curCopy, cur))
}

// TestPairwiseSum checks the summation order on values whose sum depends on
// it. In NumPy's order 2^53 (index 0) and -2^53 (index 8) meet in the same
// accumulator and cancel, so the fourteen ones survive and numpy.sum returns
// 14; a left-to-right loop loses the first seven ones against 2^53 and
// returns 7.
func TestPairwiseSum(t *testing.T) {
	x := make([]float64, 16)
	for i := range x {
		x[i] = 1
	}
	x[0], x[8] = 0x1p53, -0x1p53
	require.Equal(t, 14.0, pairwiseSum(x))
	require.Equal(t, 6.0, pairwiseSum([]float64{1, 2, 3}))
	require.Equal(t, 0.0, pairwiseSum(nil))
	long := make([]float64, 1000)
	for i := range long {
		long[i] = float64(i)
	}
	require.Equal(t, 499500.0, pairwiseSum(long))
}
