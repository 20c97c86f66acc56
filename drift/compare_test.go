package drift

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

// compareTolerance is the relative tolerance against the scipy and
// Evidently values below, which differ from ours only in summation order.
const compareTolerance = 1e-12

// numericFixture is a numeric feature with one missing (NaN) and one
// infinite value per side, which Compare must leave out. The expected
// values below come from scipy 1.17.1 and numpy 2.4.6 on the finite values:
//
//	ref = [0.1, 0.5, 1.2, 2.3, 2.9, 3.3, 4.1, 5.5]
//	cur = [1.0, 1.7, 2.2, 3.8, 4.4, 5.0, 6.1, 7.3]
//	stats.ks_2samp(ref, cur)                         # 0.375, 0.6601398601398599
//	stats.cramervonmises_2samp(ref, cur)             # 0.1875, 0.34654234654234656
//	stats.wasserstein_distance(ref, cur)/np.std(ref) # 0.8398083438531481
//	edges = np.unique(np.quantile(ref, np.arange(1, 10)/10))
//	counts = lambda x: np.bincount(np.searchsorted(edges, x), minlength=len(edges)+1)
//	# PSI with empty shares replaced by 1e-4: 4.814542789257089
//	jensenshannon(p, q, base=2)                      # 0.6123724356957945
//	np.sqrt(np.sum((np.sqrt(p)-np.sqrt(q))**2)/2)    # 0.5972578620305081
func numericFixture() FeatureData {
	return FeatureData{
		Name: "x",
		Type: Numeric,
		Reference: Sample{Values: []float64{
			2.3, 0.1, math.NaN(), 5.5, 1.2, 3.3, 0.5, math.Inf(1), 4.1, 2.9,
		}},
		Current: Sample{Values: []float64{
			7.3, 1.0, 4.4, 1.7, math.Inf(-1), 2.2, 6.1, 3.8, 5.0,
		}},
	}
}

// categoricalFixture has a category, "d", that only the current data has.
// Expected values from scipy 1.17.1 on the counts over a, b, c, d:
//
//	stats.chi2_contingency([[40, 30, 30, 0], [20, 30, 35, 15]])  # 22.05128205128205, 6.364789445196758e-05
//	jensenshannon(p, q, base=2)                                  # 0.31764733251839583
//	np.max(np.abs(p - q))                                        # 0.2
func categoricalFixture() FeatureData {
	return FeatureData{
		Name:      "c",
		Type:      Categorical,
		Reference: Sample{Categories: []string{"b", "a", "c"}, Counts: []int64{30, 40, 30}, Missing: 25},
		Current:   Sample{Categories: []string{"d", "c", "b", "a"}, Counts: []int64{15, 35, 30, 20}},
	}
}

// binaryFixture is a two-category feature. Evidently 0.7.23's z-test
// (proportions_diff_z_stat_ind on "is not the first sorted category")
// gives z = 2.1908902300206634 and p = 0.02845973691631065.
func binaryFixture() FeatureData {
	return FeatureData{
		Name:      "b",
		Type:      Categorical,
		Reference: Sample{Categories: []string{"yes", "no"}, Counts: []int64{70, 30}},
		Current:   Sample{Categories: []string{"no", "yes"}, Counts: []int64{45, 55}, Missing: 5},
	}
}

func TestCompareAgainstScipy(t *testing.T) {
	nan := math.NaN()
	numeric := FeatureResult{
		Feature: "x", Type: Numeric, ReferenceCount: 8, CurrentCount: 8,
		MissingShareReference: 0.2, MissingShareCurrent: 1.0 / 9,
	}
	categorical := FeatureResult{
		Feature: "c", Type: Categorical, ReferenceCount: 100, CurrentCount: 100,
		MissingShareReference: 0.2, MissingShareCurrent: 0,
	}
	with := func(r FeatureResult, m Method, stat, p, threshold float64, drift bool) FeatureResult {
		r.Method, r.Statistic, r.PValue, r.Threshold, r.Drift = m, stat, p, threshold, drift
		return r
	}
	tests := []struct {
		name    string
		feature FeatureData
		opts    CompareOptions
		want    FeatureResult
	}{
		{name: "ks by default on a small reference", feature: numericFixture(),
			want: with(numeric, MethodKS, 0.375, 0.6601398601398599, 0.05, false)},
		{name: "cramervonmises", feature: numericFixture(), opts: CompareOptions{Methods: []Method{MethodCramerVonMises}},
			want: with(numeric, MethodCramerVonMises, 0.1875, 0.34654234654234656, 0.05, false)},
		{name: "wasserstein", feature: numericFixture(), opts: CompareOptions{Methods: []Method{MethodWasserstein}},
			want: with(numeric, MethodWasserstein, 0.8398083438531481, nan, 0.1, true)},
		{name: "psi over reference quantile bins", feature: numericFixture(), opts: CompareOptions{Methods: []Method{MethodPSI}},
			want: with(numeric, MethodPSI, 4.814542789257089, nan, 0.1, true)},
		{name: "jensenshannon over bins", feature: numericFixture(), opts: CompareOptions{Methods: []Method{MethodJensenShannon}},
			want: with(numeric, MethodJensenShannon, 0.6123724356957945, nan, 0.1, true)},
		{name: "hellinger over bins with a threshold", feature: numericFixture(),
			opts: CompareOptions{Methods: []Method{MethodHellinger}, Threshold: 0.6},
			want: with(numeric, MethodHellinger, 0.5972578620305081, nan, 0.6, false)},
		{name: "chisquare by default on categories", feature: categoricalFixture(),
			want: with(categorical, MethodChiSquare, 22.05128205128205, 6.364789445196758e-05, 0.05, true)},
		{name: "jensenshannon on categories", feature: categoricalFixture(), opts: CompareOptions{Methods: []Method{MethodJensenShannon}},
			want: with(categorical, MethodJensenShannon, 0.31764733251839583, nan, 0.1, true)},
		{name: "l_infinity after a numeric-only method", feature: categoricalFixture(),
			opts: CompareOptions{Methods: []Method{MethodKS, MethodLInfinity}},
			want: with(categorical, MethodLInfinity, 0.2, nan, 0.1, true)},
		{name: "ztest by default on a binary feature", feature: binaryFixture(),
			want: FeatureResult{Feature: "b", Type: Categorical, Method: MethodZTest, Statistic: 2.1908902300206634,
				PValue: 0.02845973691631065, Threshold: 0.05, Drift: true, ReferenceCount: 100, CurrentCount: 100,
				MissingShareCurrent: 5.0 / 105}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compare([]FeatureData{tc.feature}, tc.opts)
			require.NoError(t, err)
			require.Len(t, got.Features, 1)
			if diff := cmp.Diff(tc.want, got.Features[0], cmpopts.EquateApprox(compareTolerance, 0), cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompareDatasetVerdict(t *testing.T) {
	features := []FeatureData{numericFixture(), categoricalFixture(), binaryFixture()}
	tests := []struct {
		name  string
		opts  CompareOptions
		want  DatasetVerdict
		order []string
	}{
		{name: "default share", want: DatasetVerdict{Features: 3, Drifted: 2, Share: 2.0 / 3, Threshold: 0.5, Drift: true}},
		{name: "higher share", opts: CompareOptions{DriftShare: 0.7},
			want: DatasetVerdict{Features: 3, Drifted: 2, Share: 2.0 / 3, Threshold: 0.7, Drift: false}},
		{name: "one worker", opts: CompareOptions{Workers: 1},
			want: DatasetVerdict{Features: 3, Drifted: 2, Share: 2.0 / 3, Threshold: 0.5, Drift: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compare(features, tc.opts)
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, got.Dataset); diff != "" {
				t.Errorf("verdict mismatch (-want +got):\n%s", diff)
			}
			var names []string
			for _, f := range got.Features {
				names = append(names, f.Feature)
			}
			require.Equal(t, []string{"x", "c", "b"}, names, "results keep the input order")
		})
	}
}

func TestCompareEmptySides(t *testing.T) {
	tests := []struct {
		name    string
		feature FeatureData
		opts    CompareOptions
		want    FeatureResult
	}{
		{name: "numeric current all missing",
			feature: FeatureData{Name: "x", Type: Numeric,
				Reference: Sample{Values: []float64{1, 2, 3}}, Current: Sample{Values: []float64{math.NaN(), math.NaN()}}},
			want: FeatureResult{Feature: "x", Type: Numeric, Method: MethodKS, Statistic: math.NaN(), PValue: math.NaN(),
				Threshold: 0.05, ReferenceCount: 3, MissingShareCurrent: 1}},
		{name: "numeric empty reference with wasserstein",
			feature: FeatureData{Name: "x", Type: Numeric, Current: Sample{Values: []float64{1}}},
			opts:    CompareOptions{Methods: []Method{MethodWasserstein}},
			want: FeatureResult{Feature: "x", Type: Numeric, Method: MethodWasserstein, Statistic: math.NaN(), PValue: math.NaN(),
				Threshold: 0.1, CurrentCount: 1}},
		{name: "categorical empty current with chisquare",
			feature: FeatureData{Name: "c", Type: Categorical,
				Reference: Sample{Categories: []string{"a", "b", "c"}, Counts: []int64{1, 2, 3}}, Current: Sample{Missing: 4}},
			want: FeatureResult{Feature: "c", Type: Categorical, Method: MethodChiSquare, Statistic: math.NaN(), PValue: math.NaN(),
				Threshold: 0.05, ReferenceCount: 6, MissingShareCurrent: 1}},
		{name: "missing share test",
			feature: FeatureData{Name: "x", Type: Numeric,
				Reference: Sample{Values: []float64{1, 2, 3, 4}}, Current: Sample{Values: []float64{math.NaN(), math.NaN(), 1, 2}}},
			opts: CompareOptions{Methods: []Method{MethodMissingShare}},
			want: FeatureResult{Feature: "x", Type: Numeric, Method: MethodMissingShare,
				Statistic: TwoProportionZTest(2, 4, 0, 4).Statistic, PValue: TwoProportionZTest(2, 4, 0, 4).PValue,
				Threshold: 0.05, ReferenceCount: 4, CurrentCount: 2, MissingShareCurrent: 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compare([]FeatureData{tc.feature}, tc.opts)
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, got.Features[0], cmpopts.EquateNaNs()); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelectMethod(t *testing.T) {
	tests := []struct {
		name       string
		requested  []Method
		typ        FeatureType
		refCount   int64
		categories int
		want       Method
		wantErr    string
	}{
		{name: "numeric small", typ: Numeric, refCount: 1000, want: MethodKS},
		{name: "numeric large", typ: Numeric, refCount: 1001, want: MethodWasserstein},
		{name: "binary small", typ: Categorical, refCount: 10, categories: 2, want: MethodZTest},
		{name: "categorical small", typ: Categorical, refCount: 10, categories: 3, want: MethodChiSquare},
		{name: "categorical large", typ: Categorical, refCount: 5000, categories: 2, want: MethodJensenShannon},
		{name: "requested applies", requested: []Method{MethodPSI}, typ: Categorical, categories: 7, want: MethodPSI},
		{name: "first applicable wins", requested: []Method{MethodKS, MethodChiSquare}, typ: Categorical, categories: 3, want: MethodChiSquare},
		{name: "ztest skipped for many categories", requested: []Method{MethodZTest, MethodChiSquare}, typ: Categorical, categories: 3, want: MethodChiSquare},
		{name: "numeric method on categories", requested: []Method{MethodKS}, typ: Categorical,
			wantErr: `feature "f": method ks does not apply to a categorical feature`},
		{name: "ztest on three categories", requested: []Method{MethodZTest}, typ: Categorical, categories: 3,
			wantErr: `feature "f": method ztest does not apply to a categorical feature with 3 categories (ztest needs at most 2)`},
		{name: "categorical method on numbers", requested: []Method{MethodChiSquare, MethodLInfinity}, typ: Numeric,
			wantErr: `feature "f": method chisquare,l_infinity does not apply to a numeric feature`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SelectMethod("f", tc.requested, tc.typ, tc.refCount, tc.categories)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				var me *MethodError
				require.True(t, errors.As(err, &me))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestCompareErrors(t *testing.T) {
	tests := []struct {
		name       string
		features   []FeatureData
		opts       CompareOptions
		wantErr    string
		wantMethod bool
	}{
		{name: "unknown method", opts: CompareOptions{Methods: []Method{"magic"}}, wantErr: `unknown method "magic"`},
		{name: "negative threshold", opts: CompareOptions{Threshold: -1}, wantErr: "threshold -1 must be a positive number"},
		{name: "drift share above one", opts: CompareOptions{DriftShare: 1.5}, wantErr: "drift share 1.5 is outside (0, 1]"},
		{name: "negative workers", opts: CompareOptions{Workers: -1}, wantErr: "workers -1 must not be negative"},
		{name: "too many bins", opts: CompareOptions{Bins: MaxBins + 1}, wantErr: "bins 1001 is out of range [1, 1000]"},
		{name: "method applies to no feature", features: []FeatureData{numericFixture(), categoricalFixture()},
			opts: CompareOptions{Methods: []Method{MethodKS}}, wantErr: `feature "c": method ks does not apply`, wantMethod: true},
		{name: "misaligned counts", features: []FeatureData{{Name: "c", Type: Categorical, Reference: Sample{Categories: []string{"a"}}}},
			wantErr: `feature "c": categories and counts differ in length`},
		{name: "unknown type", features: []FeatureData{{Name: "t", Type: "text"}}, wantErr: `feature "t": unknown type "text"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compare(tc.features, tc.opts)
			require.ErrorContains(t, err, tc.wantErr)
			var me *MethodError
			require.Equal(t, tc.wantMethod, errors.As(err, &me))
		})
	}
}

// TestCompareLargeMatchesDirectCalls checks the radix-sorted, parallel path
// on samples big enough to use it against the exported statistics, which
// sort with slices.Sort.
func TestCompareLargeMatchesDirectCalls(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ref, cur := make([]float64, 20_000), make([]float64, 15_000)
	for i := range ref {
		ref[i] = rng.NormFloat64()
	}
	for i := range cur {
		cur[i] = rng.NormFloat64()*1.1 + 0.05
	}
	f := FeatureData{Name: "x", Type: Numeric, Reference: Sample{Values: ref}, Current: Sample{Values: cur}}
	refCopy := slices.Clone(ref)
	for _, m := range []Method{MethodKS, MethodWasserstein, MethodCramerVonMises} {
		got, err := Compare([]FeatureData{f, f}, CompareOptions{Methods: []Method{m}, Workers: 2})
		require.NoError(t, err)
		var want TestResult
		switch m {
		case MethodKS:
			want = KolmogorovSmirnov(ref, cur, KSAuto)
		case MethodWasserstein:
			want = TestResult{Statistic: NormalizedWasserstein(ref, cur), PValue: math.NaN()}
		case MethodCramerVonMises:
			want = CramerVonMises(ref, cur)
		}
		for _, r := range got.Features {
			require.InDelta(t, want.Statistic, r.Statistic, 1e-12*math.Abs(want.Statistic), m)
			if m.UsesPValue() {
				require.InDelta(t, want.PValue, r.PValue, 1e-12, m)
			}
		}
	}
	require.Equal(t, refCopy, ref, "Compare must not reorder the caller's values")
}

// BenchmarkCompareNumeric compares 20 features of 1,000,000 values per
// side with the default method for that size, Wasserstein.
func BenchmarkCompareNumeric(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	features := make([]FeatureData, 20)
	for i := range features {
		ref, cur := make([]float64, 1_000_000), make([]float64, 1_000_000)
		for j := range ref {
			ref[j], cur[j] = rng.NormFloat64(), rng.NormFloat64()+0.01
		}
		features[i] = FeatureData{Name: "f", Type: Numeric, Reference: Sample{Values: ref}, Current: Sample{Values: cur}}
	}
	for _, m := range []Method{MethodWasserstein, MethodKS} {
		b.Run(string(m), func(b *testing.B) {
			for b.Loop() {
				if _, err := Compare(features, CompareOptions{Methods: []Method{m}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
