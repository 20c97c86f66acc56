package drift

import (
	"math"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

// edgeTolerance bounds the relative difference between our edges and
// numpy's. The interpolation follows numpy's arithmetic, so in practice
// they agree exactly.
const edgeTolerance = 1e-12

var (
	smallSample = []float64{3.5, -1, 2, 2, 2, 7, 0, 0.25, 10, -4, 2, 5}
	// mediumSample is ((i*7919) mod 1009)/8 - 30 for i in [0, 1001).
	mediumSample = func() []float64 {
		xs := make([]float64, 1001)
		for i := range xs {
			xs[i] = float64((i*7919)%1009)/8 - 30
		}
		return xs
	}()
	// pointMassSample is 500 zeros then i/7 for i in [1, 500].
	pointMassSample = func() []float64 {
		xs := make([]float64, 500, 1000)
		for i := 1; i <= 500; i++ {
			xs = append(xs, float64(i)/7)
		}
		return xs
	}()
)

// TestQuantileEdgesMatchNumpy checks edges and right-closed bin counts
// against numpy. Expected values come from
//
//	q = np.quantile(x, np.arange(1, bins) / bins)   # then drop repeats
//	counts = np.bincount(np.searchsorted(q, x, side="left"))
func TestQuantileEdgesMatchNumpy(t *testing.T) {
	tests := []struct {
		name       string
		values     []float64
		bins       int
		wantEdges  []float64
		wantCounts []int64
	}{
		{"small 4 bins", smallSample, 4, []float64{0.1875, 2.0, 3.875}, []int64{3, 5, 1, 3}},
		{
			"small 10 bins ties collapse", smallSample, 10,
			[]float64{-0.8999999999999999, 0.050000000000000044, 0.7749999999999997, 2.0, 3.049999999999999, 4.700000000000001, 6.800000000000001},
			[]int64{2, 1, 1, 4, 0, 1, 1, 2},
		},
		{
			"medium 10 bins", mediumSample, 10,
			[]float64{-17.375, -4.75, 7.875, 20.5, 33.125, 45.625, 58.25, 70.875, 83.375},
			[]int64{101, 100, 100, 100, 100, 100, 100, 100, 100, 100},
		},
		{
			"medium 7 bins", mediumSample, 7,
			[]float64{-12.017857142857142, 6.089285714285715, 24.07142857142857, 42.05357142857143, 60.03571428571429, 78.01785714285714},
			[]int64{143, 143, 143, 143, 143, 143, 143},
		},
		{
			"point mass at zero", pointMassSample, 10,
			[]float64{0.0, 0.07142857142857142, 14.34285714285714, 28.61428571428571, 42.88571428571429, 57.157142857142865},
			[]int64{500, 0, 100, 100, 100, 100, 100},
		},
		{"constant", []float64{3, 3, 3, 3, 3}, 10, []float64{3}, []int64{5, 0}},
		{"single value", []float64{42}, 10, []float64{42}, []int64{1, 0}},
		{"two values", []float64{2, 1}, 3, []float64{1.3333333333333333, 1.6666666666666665}, []int64{1, 0, 1}},
		{"one bin", smallSample, 1, []float64{}, []int64{12}},
		{"empty", nil, 10, nil, []int64{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sorted := slices.Sorted(slices.Values(tt.values))
			edges := quantileEdges(sorted, tt.bins)
			opt := cmpopts.EquateApprox(edgeTolerance, 0)
			if diff := cmp.Diff(tt.wantEdges, edges, opt, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("edges (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCounts, countSorted(sorted, edges)); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestQuantileLinear(t *testing.T) {
	// Expected values from np.quantile(x, q).
	tests := []struct {
		name   string
		values []float64
		q      float64
		want   float64
	}{
		{"minimum", []float64{1, 2, 4}, 0, 1},
		{"maximum", []float64{1, 2, 4}, 1, 4},
		{"median odd", []float64{1, 2, 4}, 0.5, 2},
		{"median even", []float64{1, 2, 4, 8}, 0.5, 3},
		{"interpolated below half", []float64{0, 10}, 0.25, 2.5},
		{"interpolated above half", []float64{0, 10}, 0.75, 7.5},
		{"single", []float64{5}, 0.3, 5},
		{"difference overflows", []float64{-math.MaxFloat64, math.MaxFloat64}, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.InDelta(t, tt.want, quantileLinear(tt.values, tt.q), 1e-15)
		})
	}
}

func TestQuantileLinearPanicsOnBadInput(t *testing.T) {
	require.Panics(t, func() { quantileLinear(nil, 0.5) })
	require.Panics(t, func() { quantileLinear([]float64{1}, 1.5) })
	require.Panics(t, func() { quantileLinear([]float64{1}, math.NaN()) })
}

func TestBinIndex(t *testing.T) {
	edges := []float64{0, 1, 2}
	tests := []struct {
		name string
		x    float64
		want int
	}{
		{"-Inf", math.Inf(-1), 0},
		{"below first", -5, 0},
		{"on first edge is closed on the right", 0, 0},
		{"just above first edge", math.Nextafter(0, 1), 1},
		{"inside", 1.5, 2},
		{"on last edge", 2, 2},
		{"above last", 2.5, 3},
		{"+Inf", math.Inf(1), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, binIndex(edges, tt.x))
		})
	}
	require.Equal(t, 0, binIndex(nil, 3), "no edges: one bin")
}

func TestScaleCounts(t *testing.T) {
	tests := []struct {
		name   string
		counts []int64
		total  int64
		want   []int64
	}{
		{"identity", []int64{1, 2, 3}, 6, []int64{1, 2, 3}},
		{"exact multiple", []int64{1, 2, 3}, 60, []int64{10, 20, 30}},
		{"largest remainder", []int64{1, 1, 1}, 10, []int64{4, 3, 3}},
		{"remainders rank", []int64{2, 3, 5}, 7, []int64{1, 2, 4}},
		{"zero bins stay zero", []int64{0, 5, 0, 5}, 11, []int64{0, 6, 0, 5}},
		{"all zero", []int64{0, 0}, 9, []int64{0, 0}},
		{"huge totals do not overflow", []int64{3, 1}, math.MaxInt64 / 2, []int64{3458764513820540927, 1152921504606846976}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scaleCounts(tt.counts, tt.total)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if sumInt64(tt.counts) > 0 {
				require.Equal(t, tt.total, sumInt64(got))
			}
		})
	}
}
