package drift

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func nanFloat() float64 { return math.NaN() }

func TestMethodValidate(t *testing.T) {
	for _, m := range Methods() {
		require.NoError(t, m.Validate(), string(m))
	}
	require.EqualError(t, Method("t-test").Validate(),
		`unknown method "t-test" (want one of ks, chisquare, psi, jensenshannon, hellinger, wasserstein, l_infinity, cramervonmises, ztest, missing_share)`)
	require.Error(t, Method("").Validate())
}

func TestMethodProperties(t *testing.T) {
	tests := []struct {
		method      Method
		usesPValue  bool
		threshold   float64
		numeric     bool
		categorical bool
	}{
		{MethodKS, true, 0.05, true, false},
		{MethodChiSquare, true, 0.05, false, true},
		{MethodPSI, false, 0.1, true, true},
		{MethodJensenShannon, false, 0.1, true, true},
		{MethodHellinger, false, 0.1, true, true},
		{MethodWasserstein, false, 0.1, true, false},
		{MethodLInfinity, false, 0.1, false, true},
		{MethodCramerVonMises, true, 0.05, true, false},
		{MethodZTest, true, 0.05, false, true},
		{MethodMissingShare, true, 0.05, true, true},
	}
	require.Len(t, tests, len(Methods()), "every method has a row")
	for _, tt := range tests {
		t.Run(string(tt.method), func(t *testing.T) {
			require.Equal(t, tt.usesPValue, tt.method.UsesPValue())
			require.Equal(t, tt.threshold, tt.method.DefaultThreshold())
			require.Equal(t, tt.numeric, tt.method.Supports(Numeric))
			require.Equal(t, tt.categorical, tt.method.Supports(Categorical))
			require.False(t, tt.method.Supports("text"))
		})
	}
	require.True(t, math.IsNaN(Method("x").DefaultThreshold()))
	require.False(t, Method("x").UsesPValue())
	require.False(t, Method("x").Supports(Numeric))
}

func TestDefaultMethod(t *testing.T) {
	tests := []struct {
		name       string
		t          FeatureType
		rows, cats int
		want       Method
	}{
		{"numeric small", Numeric, 1000, 0, MethodKS},
		{"numeric large", Numeric, 1001, 0, MethodWasserstein},
		{"binary small", Categorical, 1000, 2, MethodZTest},
		{"single category small", Categorical, 10, 1, MethodZTest},
		{"three categories small", Categorical, 1000, 3, MethodChiSquare},
		{"binary large", Categorical, 1001, 2, MethodJensenShannon},
		{"many categories large", Categorical, 50000, 40, MethodJensenShannon},
		{"unknown type", FeatureType("text"), 10, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DefaultMethod(tt.t, tt.rows, tt.cats)
			require.Equal(t, tt.want, got)
			if got != "" {
				require.True(t, got.Supports(tt.t), "default method must support its feature type")
			}
		})
	}
}

func TestDrifted(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name            string
		method          Method
		stat, p, thresh float64
		want            bool
	}{
		{"test below threshold", MethodKS, 0.3, 0.01, 0.05, true},
		{"test at threshold", MethodKS, 0.3, 0.05, 0.05, false},
		{"test above threshold", MethodChiSquare, 10, 0.2, 0.05, false},
		{"test NaN p-value", MethodZTest, nan, nan, 0.05, false},
		{"distance at threshold", MethodPSI, 0.1, nan, 0.1, true},
		{"distance below threshold", MethodJensenShannon, 0.09, nan, 0.1, false},
		{"distance NaN", MethodHellinger, nan, nan, 0.1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Drifted(tt.method, tt.stat, tt.p, tt.thresh))
		})
	}
	require.Panics(t, func() { Drifted("x", 1, 0, 0.05) })
}
