package drift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

// synth describes a seeded model with numeric features n00, n01, ... drawn
// from normal distributions, categorical features c00, c01, ... drawn from
// weighted categories (the last one binary), and a numeric prediction. The
// shift fields move one part of the distribution for the current data.
type synth struct {
	numeric, categorical int
	// shiftNumeric moves numeric feature i by that many standard deviations.
	shiftNumeric map[int]float64
	// reverseCategorical reverses the weights of categorical feature j.
	reverseCategorical map[int]bool
	// missingNumeric sets the missing rate of numeric feature i (default 2%).
	missingNumeric map[int]float64
	// shiftPrediction moves the prediction by that many standard deviations.
	shiftPrediction float64
}

var (
	synthCategories = []string{"10", "20", "30", "40", "50"} // numeric-looking on purpose
	synthWeights    = []float64{0.4, 0.25, 0.15, 0.12, 0.08}
)

func (s synth) specs() []FeatureSpec {
	var specs []FeatureSpec
	for i := range s.numeric {
		specs = append(specs, FeatureSpec{Name: fmt.Sprintf("n%02d", i), Type: Numeric})
	}
	for j := range s.categorical {
		specs = append(specs, FeatureSpec{Name: fmt.Sprintf("c%02d", j), Type: Categorical})
	}
	return specs
}

// numeric draws feature i; ok is false for a missing value.
func (s synth) numericValue(rng *rand.Rand, i int) (x float64, ok bool) {
	missing := 0.02
	if m, set := s.missingNumeric[i]; set {
		missing = m
	}
	if rng.Float64() < missing {
		return 0, false
	}
	sd := 1 + float64(i%3)
	return float64(10*i) + sd*(rng.NormFloat64()+s.shiftNumeric[i]), true
}

func (s synth) category(rng *rand.Rand, j int) string {
	if j == s.categorical-1 {
		if rng.Float64() < 0.7 {
			return "yes"
		}
		return "no"
	}
	weights := synthWeights
	if s.reverseCategorical[j] {
		weights = slices.Clone(weights)
		slices.Reverse(weights)
	}
	u := rng.Float64()
	for k, w := range weights {
		if u < w {
			return synthCategories[k]
		}
		u -= w
	}
	return synthCategories[len(synthCategories)-1]
}

func (s synth) prediction(rng *rand.Rand) float64 {
	return 0.3 + 0.1*(rng.NormFloat64()+s.shiftPrediction)
}

// profile builds a reference profile of rows rows.
func (s synth) profile(t testing.TB, rows int, seed uint64) *Profile {
	t.Helper()
	b, err := NewProfileBuilder(s.specs(), ProfileOptions{Seed: seed})
	require.NoError(t, err)
	require.NoError(t, b.SetPrediction(FeatureSpec{Name: "score", Type: Numeric}))
	rng := rand.New(rand.NewPCG(seed, 1))
	for range rows {
		for i := range s.numeric {
			if x, ok := s.numericValue(rng, i); ok {
				b.Feature(i).AddNumeric(x)
			} else {
				b.Feature(i).AddMissing()
			}
		}
		for j := range s.categorical {
			b.Feature(s.numeric + j).AddCategory(s.category(rng, j))
		}
		b.Prediction().AddNumeric(s.prediction(rng))
	}
	p, err := b.Build("synth", testCreatedAt)
	require.NoError(t, err)
	return p
}

// window fills a window on p with events events.
func (s synth) window(t testing.TB, p *Profile, events int, seed uint64) *Window {
	t.Helper()
	w := newTestWindow(t, p, WindowOptions{Seed: seed})
	rng := rand.New(rand.NewPCG(seed, 2))
	for range events {
		for i := range s.numeric {
			if x, ok := s.numericValue(rng, i); ok {
				w.Numeric(i).Add(x)
			} else {
				w.Numeric(i).AddMissing()
			}
		}
		for j := range s.categorical {
			w.Categorical(s.numeric + j).Add(s.category(rng, j))
		}
		w.PredictionNumeric().Add(s.prediction(rng))
	}
	w.AddEvents(int64(events))
	return w
}

func evaluate(t testing.TB, p *Profile, w *Window, opts EvaluateOptions) Report {
	t.Helper()
	e, err := NewEvaluator(p, opts)
	require.NoError(t, err)
	r, err := e.Evaluate(w)
	require.NoError(t, err)
	return r
}

func driftedFeatures(r Report) []string {
	var names []string
	for _, f := range r.Features {
		if f.Drift {
			names = append(names, f.Feature)
		}
	}
	return names
}

func methodsOf(r Report) map[Method]int {
	m := map[Method]int{}
	for _, f := range r.Features {
		m[f.Method]++
	}
	return m
}

// methodCases are the method settings the drift tests run under. Tests on
// twenty features at the 5% level would flag one feature in a typical
// window of unchanged data, so the p-value cases apply Bonferroni, which
// keeps the chance of any false alarm at 5% per window. The windows' seeds
// are fixed; each test's calibration is checked in its own test file. The
// small reference has fewer rows than the windows, so "auto" must choose by
// the reference's size.
var methodCases = []struct {
	name        string
	rows        int
	opts        EvaluateOptions
	wantMethods map[Method]int
}{
	{name: "auto, large reference", rows: 5000,
		wantMethods: map[Method]int{MethodWasserstein: 14, MethodJensenShannon: 6}},
	{name: "auto, small reference", rows: 800, opts: EvaluateOptions{Correction: CorrectionBonferroni},
		wantMethods: map[Method]int{MethodKS: 14, MethodChiSquare: 5, MethodZTest: 1}},
	{name: "psi", rows: 5000, opts: EvaluateOptions{NumericMethod: MethodPSI, CategoricalMethod: MethodPSI},
		wantMethods: map[Method]int{MethodPSI: 20}},
	{name: "hellinger", rows: 5000, opts: EvaluateOptions{NumericMethod: MethodHellinger, CategoricalMethod: MethodHellinger},
		wantMethods: map[Method]int{MethodHellinger: 20}},
	{name: "ks and chisquare, large reference", rows: 5000,
		opts:        EvaluateOptions{NumericMethod: MethodKS, CategoricalMethod: MethodChiSquare, Correction: CorrectionBonferroni},
		wantMethods: map[Method]int{MethodKS: 14, MethodChiSquare: 6}},
	{name: "cramervonmises and l_infinity", rows: 2000,
		opts:        EvaluateOptions{NumericMethod: MethodCramerVonMises, CategoricalMethod: MethodLInfinity, Correction: CorrectionBonferroni},
		wantMethods: map[Method]int{MethodCramerVonMises: 14, MethodLInfinity: 6}},
}

func TestEvaluateUnchangedDataDoesNotDrift(t *testing.T) {
	s := synth{numeric: 14, categorical: 6}
	for _, tc := range methodCases {
		t.Run(tc.name, func(t *testing.T) {
			p := s.profile(t, tc.rows, 1)
			for seed := range uint64(3) {
				r := evaluate(t, p, s.window(t, p, 2000, 10+seed), tc.opts)
				if diff := cmp.Diff(tc.wantMethods, methodsOf(r)); diff != "" {
					t.Fatalf("methods (-want +got):\n%s", diff)
				}
				require.Empty(t, driftedFeatures(r), "seed %d", seed)
				require.Equal(t, DatasetVerdict{Features: 20, Threshold: 0.5}, r.Dataset)
				require.False(t, r.Prediction.Drift)
			}
		})
	}
}

func TestEvaluateShiftedFeatureDrifts(t *testing.T) {
	shifts := []struct {
		name  string
		synth synth
		want  []string
	}{
		{name: "numeric", synth: synth{shiftNumeric: map[int]float64{3: 1}}, want: []string{"n03"}},
		{name: "categorical", synth: synth{reverseCategorical: map[int]bool{2: true}}, want: []string{"c02"}},
	}
	ref := synth{numeric: 14, categorical: 6}
	for _, tc := range methodCases {
		for _, sh := range shifts {
			t.Run(tc.name+"/"+sh.name, func(t *testing.T) {
				cur := sh.synth
				cur.numeric, cur.categorical = ref.numeric, ref.categorical
				p := ref.profile(t, tc.rows, 1)
				r := evaluate(t, p, cur.window(t, p, 2000, 7), tc.opts)
				require.Equal(t, sh.want, driftedFeatures(r))
				require.Equal(t, 1, r.Dataset.Drifted)
				require.False(t, r.Dataset.Drift)
			})
		}
	}
}

// TestEvaluateMatchesDirectCalls checks every method against a direct call
// of its statistic on the same samples and counts.
func TestEvaluateMatchesDirectCalls(t *testing.T) {
	s := synth{numeric: 7, categorical: 6, shiftNumeric: map[int]float64{1: 0.1}, missingNumeric: map[int]float64{6: 0.05}}
	p := s.profile(t, 3000, 3)
	w := s.window(t, p, 1500, 4)
	methods := map[string]Method{
		"n00": MethodKS, "n01": MethodCramerVonMises, "n02": MethodWasserstein, "n03": MethodPSI,
		"n04": MethodJensenShannon, "n05": MethodHellinger, "n06": MethodMissingShare,
		"c00": MethodChiSquare, "c01": MethodPSI, "c02": MethodJensenShannon, "c03": MethodHellinger,
		"c04": MethodLInfinity, "c05": MethodZTest,
	}
	const eps = 1e-3
	opts := EvaluateOptions{Features: map[string]FeatureOptions{}, PSIEpsilon: eps}
	for name, m := range methods {
		opts.Features[name] = FeatureOptions{Method: m}
	}
	r := evaluate(t, p, w, opts)
	require.Len(t, r.Features, 13)

	for i, got := range r.Features {
		t.Run(got.Feature, func(t *testing.T) {
			ref := &p.Features[i]
			require.Equal(t, methods[ref.Name], got.Method)
			var want TestResult
			var refMissing, curMissing, curRows int64
			if ref.Type == Numeric {
				a := w.Numeric(i)
				sample, bins := a.SortedSample(nil), a.BinCounts()
				refMissing, curMissing, curRows = ref.Count-ref.Finite(), a.Count()-a.Finite(), a.Count()
				require.Equal(t, ref.Finite(), got.ReferenceCount)
				require.Equal(t, a.Finite(), got.CurrentCount)
				switch got.Method {
				case MethodKS:
					want = KolmogorovSmirnov(ref.Sample, sample, KSAuto)
				case MethodCramerVonMises:
					want = CramerVonMises(ref.Sample, sample)
				case MethodWasserstein:
					want = distance(NormalizedWasserstein(ref.Sample, sample))
				case MethodPSI:
					want = distance(PSI(bins.Reference, bins.Current, eps))
				case MethodJensenShannon:
					want = distance(JensenShannon(bins.Reference, bins.Current))
				case MethodHellinger:
					want = distance(Hellinger(bins.Reference, bins.Current))
				case MethodMissingShare:
					want = MissingShare(float64(refMissing), float64(ref.Count), float64(curMissing), float64(curRows))
				}
			} else {
				a := w.Categorical(i)
				c := a.CategoryCounts()
				refMissing, curMissing, curRows = ref.Missing, a.Missing(), a.Count()
				require.Equal(t, ref.Count-ref.Missing, got.ReferenceCount)
				require.Equal(t, a.Count()-a.Missing(), got.CurrentCount)
				switch got.Method {
				case MethodChiSquare:
					var err error
					want, _, err = ChiSquareHomogeneity(c.Reference, c.Current)
					require.NoError(t, err)
				case MethodPSI:
					want = distance(PSI(c.Reference, c.Current, eps))
				case MethodJensenShannon:
					want = distance(JensenShannon(c.Reference, c.Current))
				case MethodHellinger:
					want = distance(Hellinger(c.Reference, c.Current))
				case MethodLInfinity:
					want = distance(LInfinity(c.Reference, c.Current))
				case MethodZTest:
					want = TwoProportionZTest(c.Reference[1], floatSum(c.Reference), c.Current[1], floatSum(c.Current))
				}
			}
			require.False(t, math.IsNaN(want.Statistic), "the direct call computed something")
			opt := cmpopts.EquateNaNs()
			if diff := cmp.Diff(want, got.FeatureResult.testResult(), opt); diff != "" {
				t.Errorf("statistic (-want +got):\n%s", diff)
			}
			wantMissing := MissingShare(float64(refMissing), float64(ref.Count), float64(curMissing), float64(curRows))
			if diff := cmp.Diff(wantMissing, got.Missing.TestResult, opt); diff != "" {
				t.Errorf("missing test (-want +got):\n%s", diff)
			}
			require.InDelta(t, float64(refMissing)/float64(ref.Count), got.MissingShareReference, 1e-15)
			require.InDelta(t, float64(curMissing)/float64(curRows), got.MissingShareCurrent, 1e-15)
			if diff := cmp.Diff(got.PValue, got.AdjustedPValue, opt); diff != "" {
				t.Errorf("without a correction the adjusted p-value is the raw one (-raw +adjusted):\n%s", diff)
			}
		})
	}
}

func (r FeatureResult) testResult() TestResult {
	return TestResult{Statistic: r.Statistic, PValue: r.PValue}
}

func TestEvaluatePSIEpsilon(t *testing.T) {
	p := synth{numeric: 1, categorical: 1}.profile(t, 2000, 5)
	s := synth{numeric: 1, categorical: 1, shiftNumeric: map[int]float64{0: 3}} // empties the lower bins
	w := s.window(t, p, 500, 6)
	bins := w.Numeric(0).BinCounts()
	require.Contains(t, bins.Current, 0.0, "some bin is empty")
	for _, eps := range []float64{0, 1e-6, 1e-2} {
		t.Run(fmt.Sprint(eps), func(t *testing.T) {
			r := evaluate(t, p, w, EvaluateOptions{NumericMethod: MethodPSI, PSIEpsilon: eps})
			want := PSI(bins.Reference, bins.Current, cmpOr(eps, DefaultPSIEpsilon))
			require.InDelta(t, want, r.Features[0].Statistic, 1e-12*want)
		})
	}
}

func cmpOr(x, def float64) float64 {
	if x == 0 {
		return def
	}
	return x
}

// binaryProfile returns a profile of n binary features, each with 400
// reference rows of "a" and 400 of "b".
func binaryProfile(t *testing.T, n int) *Profile {
	t.Helper()
	p := &Profile{Version: ProfileVersion, Model: "binary", CreatedAt: testCreatedAt, Rows: 800,
		Options: ProfileOptions{Seed: 1}.WithDefaults()}
	for i := range n {
		p.Features = append(p.Features, FeatureProfile{Name: fmt.Sprintf("b%d", i), Type: Categorical, Count: 800,
			Categories: []string{"a", "b"}, Counts: []int64{400, 400}})
	}
	require.NoError(t, p.Validate())
	return p
}

// TestEvaluateCorrection uses five binary features whose windows of 200
// rows hold 120, 119, 118, 100 and 100 values "b": z-test p-values of about
// 0.011, 0.016 and 0.023, and 1 twice. Each is significant on its own;
// Bonferroni multiplies them by 5, past 0.05; Benjamini-Hochberg lifts the
// three smallest to 0.023*5/3 = 0.038, still below 0.05.
func TestEvaluateCorrection(t *testing.T) {
	p := binaryProfile(t, 5)
	w := newTestWindow(t, p, WindowOptions{})
	for i, b := range []int{120, 119, 118, 100, 100} {
		for k := range 200 {
			v := "a"
			if k < b {
				v = "b"
			}
			w.Categorical(i).Add(v)
		}
	}
	w.AddEvents(200)
	tests := []struct {
		correction Correction
		want       []string
	}{
		{CorrectionNone, []string{"b0", "b1", "b2"}},
		{CorrectionBonferroni, nil},
		{CorrectionBenjaminiHochberg, []string{"b0", "b1", "b2"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.correction), func(t *testing.T) {
			r := evaluate(t, p, w, EvaluateOptions{Correction: tc.correction})
			require.Equal(t, tc.correction, r.Correction)
			raw, adjusted := make([]float64, 5), make([]float64, 5)
			for i, f := range r.Features {
				require.Equal(t, MethodZTest, f.Method)
				raw[i], adjusted[i] = f.PValue, f.AdjustedPValue
			}
			require.InDelta(t, 0.011346302958474866, raw[0], 1e-12)
			if diff := cmp.Diff(tc.correction.Apply(raw), adjusted, cmpopts.EquateApprox(1e-15, 0)); diff != "" {
				t.Errorf("adjusted p-values (-want +got):\n%s", diff)
			}
			require.Equal(t, tc.want, driftedFeatures(r))
		})
	}
}

// TestEvaluateCorrectionSkipsDistances checks that only the tests form the
// family: a distance neither counts towards m nor gets an adjusted p-value.
func TestEvaluateCorrectionSkipsDistances(t *testing.T) {
	p := binaryProfile(t, 3)
	w := newTestWindow(t, p, WindowOptions{})
	for i := range 3 {
		for k := range 200 {
			w.Categorical(i).Add([]string{"a", "b"}[k%2])
		}
	}
	w.AddEvents(200)
	r := evaluate(t, p, w, EvaluateOptions{Correction: CorrectionBonferroni,
		Features: map[string]FeatureOptions{"b1": {Method: MethodPSI}}})
	require.True(t, math.IsNaN(r.Features[1].PValue))
	require.True(t, math.IsNaN(r.Features[1].AdjustedPValue))
	require.Equal(t, 1.0, r.Features[0].AdjustedPValue)
	require.Equal(t, r.Features[0].Missing.PValue, r.Features[0].Missing.AdjustedPValue, "no missing values: p = 1")
}

func TestEvaluateMissingShare(t *testing.T) {
	s := synth{numeric: 14, categorical: 6}
	p := s.profile(t, 5000, 1)
	cur := s
	cur.missingNumeric = map[int]float64{5: 0.2}
	r := evaluate(t, p, cur.window(t, p, 2000, 9), EvaluateOptions{Correction: CorrectionBonferroni})
	var missing []string
	for _, f := range r.Features {
		if f.Missing.Drift {
			missing = append(missing, f.Feature)
		}
	}
	require.Equal(t, []string{"n05"}, missing)
	n05 := r.Features[5]
	require.InDelta(t, 0.2, n05.MissingShareCurrent, 0.03)
	require.InDelta(t, 0.02, n05.MissingShareReference, 0.01)
	require.Empty(t, driftedFeatures(r), "missing values do not move the distribution of the others")
	require.Equal(t, 0, r.Dataset.Drifted, "missing-value tests do not count towards the share")
}

func TestEvaluateSkipsSmallWindows(t *testing.T) {
	s := synth{numeric: 2, categorical: 2}
	p := s.profile(t, 500, 1)
	w := s.window(t, p, 99, 2)
	e, err := NewEvaluator(p, EvaluateOptions{MinEvents: 100})
	require.NoError(t, err)
	r, err := e.Evaluate(w)
	require.NoError(t, err)
	require.Equal(t, Report{Model: "synth", Events: 99, Skipped: true, Correction: CorrectionNone}, r)

	w.AddEvents(1)
	r, err = e.Evaluate(w)
	require.NoError(t, err)
	require.False(t, r.Skipped)
	require.Len(t, r.Features, 4)
}

func TestEvaluateDisabledFeatures(t *testing.T) {
	s := synth{numeric: 4, categorical: 2, shiftNumeric: map[int]float64{0: 2, 1: 2}}
	p := synth{numeric: 4, categorical: 2}.profile(t, 2000, 1)
	w := s.window(t, p, 1000, 2)
	tests := []struct {
		name         string
		opts         EvaluateOptions
		wantFeatures []string
		wantDataset  DatasetVerdict
		wantPred     bool
	}{
		{name: "all enabled", wantFeatures: []string{"n00", "n01", "n02", "n03", "c00", "c01"},
			wantDataset: DatasetVerdict{Features: 6, Drifted: 2, Share: 2.0 / 6, Threshold: 0.5}, wantPred: true},
		{name: "two disabled", opts: EvaluateOptions{Features: map[string]FeatureOptions{"n02": {Disabled: true}, "c01": {Disabled: true}}},
			wantFeatures: []string{"n00", "n01", "n03", "c00"},
			wantDataset:  DatasetVerdict{Features: 4, Drifted: 2, Share: 0.5, Threshold: 0.5, Drift: true}, wantPred: true},
		{name: "prediction disabled", opts: EvaluateOptions{Prediction: FeatureOptions{Disabled: true}},
			wantFeatures: []string{"n00", "n01", "n02", "n03", "c00", "c01"},
			wantDataset:  DatasetVerdict{Features: 6, Drifted: 2, Share: 2.0 / 6, Threshold: 0.5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := evaluate(t, p, w, tc.opts)
			var names []string
			for _, f := range r.Features {
				names = append(names, f.Feature)
			}
			require.Equal(t, tc.wantFeatures, names)
			if diff := cmp.Diff(tc.wantDataset, r.Dataset, cmpopts.EquateApprox(0, 1e-15)); diff != "" {
				t.Errorf("dataset (-want +got):\n%s", diff)
			}
			require.Equal(t, tc.wantPred, r.Prediction != nil)
		})
	}
}

func TestEvaluatePrediction(t *testing.T) {
	ref := synth{numeric: 3, categorical: 2}
	p := ref.profile(t, 3000, 1)
	cur := ref
	cur.shiftPrediction = 1
	tests := []struct {
		name      string
		opts      EvaluateOptions
		wantM     Method
		wantThr   float64
		wantDrift bool
	}{
		{name: "auto", wantM: MethodWasserstein, wantThr: 0.1, wantDrift: true},
		{name: "model-wide numeric method", opts: EvaluateOptions{NumericMethod: MethodKS}, wantM: MethodKS, wantThr: 0.05, wantDrift: true},
		{name: "own method and threshold", opts: EvaluateOptions{Prediction: FeatureOptions{Method: MethodPSI, Threshold: 5}},
			wantM: MethodPSI, wantThr: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := evaluate(t, p, cur.window(t, p, 1000, 3), tc.opts)
			require.NotNil(t, r.Prediction)
			require.Equal(t, "score", r.Prediction.Feature)
			require.Equal(t, tc.wantM, r.Prediction.Method)
			require.Equal(t, tc.wantThr, r.Prediction.Threshold)
			require.Equal(t, tc.wantDrift, r.Prediction.Drift)
			require.Equal(t, 0, r.Dataset.Drifted, "the prediction does not count towards the share")
			require.Len(t, r.Features, 5)
		})
	}
}

func TestEvaluateThresholds(t *testing.T) {
	s := synth{numeric: 2, categorical: 2}
	p := s.profile(t, 3000, 1)
	w := s.window(t, p, 500, 2)
	r := evaluate(t, p, w, EvaluateOptions{
		Thresholds: map[Method]float64{MethodWasserstein: 0.2, MethodMissingShare: 0.01},
		Features: map[string]FeatureOptions{
			"n01": {Threshold: 0.3},
			"c00": {Method: MethodPSI, Threshold: 0.25},
		},
	})
	got := map[string][2]float64{}
	for _, f := range r.Features {
		got[f.Feature] = [2]float64{f.Threshold, f.Missing.Threshold}
	}
	want := map[string][2]float64{
		"n00": {0.2, 0.01},  // the method's override
		"n01": {0.3, 0.01},  // the feature's own
		"c00": {0.25, 0.01}, // the feature's own, with its own method
		"c01": {0.1, 0.01},  // the method's default
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("thresholds (-want +got):\n%s", diff)
	}
}

func TestNewEvaluatorErrors(t *testing.T) {
	p := synth{numeric: 1, categorical: 2}.profile(t, 500, 1)
	tests := []struct {
		name string
		opts EvaluateOptions
		want string
	}{
		{name: "unknown feature", opts: EvaluateOptions{Features: map[string]FeatureOptions{"nope": {}}},
			want: `features["nope"]: the profile of model "synth" has no such feature`},
		{name: "method for the wrong type", opts: EvaluateOptions{NumericMethod: MethodChiSquare},
			want: "numeric method: method chisquare does not apply to numeric features"},
		{name: "unknown method", opts: EvaluateOptions{CategoricalMethod: "gini"}, want: `categorical method: unknown method "gini"`},
		{name: "ztest on five categories", opts: EvaluateOptions{CategoricalMethod: MethodZTest},
			want: `features["c00"]: method ztest does not apply to a categorical feature with 5 categories (ztest needs at most 2)`},
		{name: "feature method for the wrong type", opts: EvaluateOptions{Features: map[string]FeatureOptions{"n00": {Method: MethodLInfinity}}},
			want: `features["n00"]: method l_infinity does not apply to a numeric feature`},
		{name: "p-value threshold of 1", opts: EvaluateOptions{Thresholds: map[Method]float64{MethodKS: 1}},
			want: "thresholds[ks]: threshold 1 of ks compares a p-value and must be below 1"},
		{name: "negative feature threshold", opts: EvaluateOptions{Features: map[string]FeatureOptions{"n00": {Threshold: -1}}},
			want: `features["n00"]: threshold: threshold -1 must be a positive number`},
		{name: "prediction method", opts: EvaluateOptions{Prediction: FeatureOptions{Method: MethodChiSquare}},
			want: "prediction: method chisquare does not apply to a numeric feature"},
		{name: "drift share", opts: EvaluateOptions{DriftShare: 2}, want: "drift share 2 is outside (0, 1]"},
		{name: "correction", opts: EvaluateOptions{Correction: "holm"}, want: `unknown correction "holm"`},
		{name: "psi epsilon", opts: EvaluateOptions{PSIEpsilon: -1}, want: "psi epsilon -1 is outside (0, 1)"},
		{name: "min events", opts: EvaluateOptions{MinEvents: -1}, want: "min events -1 must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewEvaluator(p, tc.opts)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "new evaluator: ")
		})
	}
}

func TestEvaluateWindowOfAnotherProfile(t *testing.T) {
	s := synth{numeric: 1, categorical: 2}
	p := s.profile(t, 500, 1)
	e, err := NewEvaluator(p, EvaluateOptions{})
	require.NoError(t, err)

	data, err := p.Encode()
	require.NoError(t, err)
	copyOfP, err := DecodeProfile(data)
	require.NoError(t, err)
	_, err = e.Evaluate(s.window(t, copyOfP, 50, 1))
	require.NoError(t, err, "a decoded copy of the profile is the same profile")

	other := s.profile(t, 500, 2)
	_, err = e.Evaluate(s.window(t, other, 50, 1))
	require.EqualError(t, err, `evaluate window: the window of model "synth" was built on another profile than the evaluator's (model "synth")`)
}

// TestEvaluateEmptyColumns checks that a window whose values are all
// missing gives NaN statistics and no drift, rather than an error.
func TestEvaluateEmptyColumns(t *testing.T) {
	s := synth{numeric: 2, categorical: 2}
	p := s.profile(t, 500, 1)
	w := newTestWindow(t, p, WindowOptions{})
	for range 10 {
		w.Numeric(0).AddMissing()
		w.Numeric(1).AddMissing()
		w.Categorical(2).AddMissing()
		w.Categorical(3).AddMissing()
	}
	w.AddEvents(10)
	for _, m := range []Method{MethodKS, MethodPSI} {
		t.Run(string(m), func(t *testing.T) {
			r := evaluate(t, p, w, EvaluateOptions{NumericMethod: m, CategoricalMethod: MethodChiSquare, Correction: CorrectionBenjaminiHochberg})
			for _, f := range r.Features {
				require.True(t, math.IsNaN(f.Statistic), f.Feature)
				require.False(t, f.Drift, f.Feature)
				require.Equal(t, 1.0, f.MissingShareCurrent)
				require.True(t, f.Missing.Drift, "all missing against about 2%%: %s", f.Feature)
			}
		})
	}
}

// TestEvaluateAllocations bounds the allocations of one evaluation once the
// scratch space has grown: the report's features, the prediction's result
// and the slices the correction returns (one per family that it adjusts).
// Samples and count vectors reuse the scratch space, and the Wasserstein
// scale is computed once, without a buffer.
func TestEvaluateAllocations(t *testing.T) {
	s := synth{numeric: 4, categorical: 2}
	p := s.profile(t, 3000, 1)
	w := s.window(t, p, 2000, 2)
	tests := []struct {
		name string
		opts EvaluateOptions
		want float64
	}{
		// Wasserstein and Jensen-Shannon leave the features' family empty.
		{name: "auto", opts: EvaluateOptions{}, want: 3},
		{name: "psi with another epsilon", opts: EvaluateOptions{NumericMethod: MethodPSI, CategoricalMethod: MethodPSI, PSIEpsilon: 1e-3}, want: 3},
		// Two corrected families, and the exact p-value of the five numeric
		// columns' samples of unequal sizes takes two slices each.
		{name: "ks with a correction", opts: EvaluateOptions{NumericMethod: MethodKS, Correction: CorrectionBonferroni}, want: 4 + 5*2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := NewEvaluator(p, tt.opts)
			require.NoError(t, err)
			_, err = e.Evaluate(w) // sizes the scratch space
			require.NoError(t, err)
			allocs := testing.AllocsPerRun(10, func() {
				if _, err := e.Evaluate(w); err != nil {
					t.Fatal(err)
				}
			})
			require.LessOrEqual(t, allocs, tt.want)
		})
	}
}
