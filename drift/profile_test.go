package drift

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

var testCreatedAt = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)

// goldenProfile builds a small profile that exercises every field: missing
// values, NaN and ±Inf, collapsed edges at a point mass, exact and
// approximate (past the exact quantile bound) numeric features, top-K with
// an other bucket, the distinct-value bound, and a prediction.
func goldenProfile(t testing.TB) *Profile {
	t.Helper()
	specs := []FeatureSpec{
		{Name: "age", Type: Numeric},
		{Name: "balance", Type: Numeric},
		{Name: "city", Type: Categorical},
		{Name: "plan", Type: Categorical},
		{Name: "logins", Type: Numeric},
	}
	opts := ProfileOptions{Bins: 4, SampleSize: 6, TopK: 3, Seed: 42, QuantileSampleSize: 36, MaxDistinct: 5}
	b, err := NewProfileBuilder(specs, opts)
	require.NoError(t, err)
	require.NoError(t, b.SetPrediction(FeatureSpec{Name: "churn_probability", Type: Numeric}))
	cities := []string{"paris", "oslo", "rome", "oslo", "paris", "lima", "", "kyiv", "rome", "bern", "oslo", "paris"}
	plans := []string{"basic", "pro", "basic", ""}
	for i := range 40 {
		switch {
		case i%13 == 5:
			b.Feature(0).AddMissing()
		case i == 7:
			b.Feature(0).AddNumeric(math.NaN())
		case i == 8:
			b.Feature(0).AddNumeric(math.Inf(1))
		case i == 9:
			b.Feature(0).AddNumeric(math.Inf(-1))
		default:
			b.Feature(0).AddNumeric(float64(18 + (i*7)%50))
		}
		b.Feature(1).AddNumeric(float64(i*i%97) * 12.5)
		b.Feature(2).AddCategory(cities[i%len(cities)])
		b.Feature(3).AddCategory(plans[i%len(plans)])
		b.Feature(4).AddNumeric(float64(max(0, i-25))) // a point mass at 0
		b.Prediction().AddNumeric(float64(i%10) / 10)
	}
	p, err := b.Build("churn", testCreatedAt)
	require.NoError(t, err)
	p.ModelVersion = "2025-03-01"
	return p
}

func TestProfileGolden(t *testing.T) {
	got, err := goldenProfile(t).Encode()
	require.NoError(t, err)
	path := filepath.Join("testdata", "profiles", "churn.golden.json")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./drift -run TestProfileGolden -update to create it")
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("profile differs from %s (-want +got):\n%s", path, diff)
	}
}

func TestProfileRoundTrip(t *testing.T) {
	p := goldenProfile(t)
	data, err := p.Encode()
	require.NoError(t, err)
	decoded, err := DecodeProfile(data)
	require.NoError(t, err)
	if diff := cmp.Diff(p, decoded); diff != "" {
		t.Errorf("(-encoded +decoded):\n%s", diff)
	}
	again, err := decoded.Encode()
	require.NoError(t, err)
	require.Equal(t, string(data), string(again))
}

func TestProfileFeatureLookup(t *testing.T) {
	p := goldenProfile(t)
	tests := []struct {
		name      string
		wantIndex int
		wantOK    bool
	}{
		{"age", 0, true},
		{"plan", 3, true},
		{"churn_probability", -1, false}, // the prediction is not a feature
		{"missing", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i, ok := p.FeatureIndex(tt.name)
			require.Equal(t, tt.wantIndex, i)
			require.Equal(t, tt.wantOK, ok)
			f, ok := p.Feature(tt.name)
			require.Equal(t, tt.wantOK, ok)
			if ok {
				require.Same(t, &p.Features[tt.wantIndex], f)
			}
		})
	}
}

// validProfile returns a small hand-made profile that passes validation.
func validProfile() *Profile {
	return &Profile{
		Version: ProfileVersion, Model: "churn", CreatedAt: testCreatedAt, Rows: 10,
		Options: ProfileOptions{Bins: 4, SampleSize: 5, TopK: 2, Seed: 1, QuantileSampleSize: 100, MaxDistinct: 10},
		Features: []FeatureProfile{
			{
				Name: "age", Type: Numeric, Count: 10, Missing: 1, NaN: 1, PosInf: 1, Mean: 3, Std: 1.5,
				Edges: []float64{1, 2, 4}, Counts: []int64{2, 2, 2, 2}, Sample: []float64{0.5, 1, 2, 3, 5},
			},
			{Name: "city", Type: Categorical, Count: 10, Missing: 2, Categories: []string{"paris", "oslo"}, Counts: []int64{4, 3}, Other: 1},
		},
		Prediction: &FeatureProfile{
			Name: "score", Type: Numeric, Count: 10, Mean: 0.5, Std: 0.1,
			Counts: []int64{10}, Sample: []float64{0.3, 0.4, 0.5, 0.6, 0.7},
		},
	}
}

func TestDecodeProfileRejectsBadProfiles(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p *Profile)
		want   []string // every line of the error after the prefix
	}{
		{"edges not increasing", func(p *Profile) { p.Features[0].Edges = []float64{1, 2, 2} },
			[]string{"features[0].edges: not strictly increasing at index 2"}},
		{"too many edges", func(p *Profile) {
			p.Features[0].Edges = []float64{1, 2, 3, 4}
			p.Features[0].Counts = []int64{2, 2, 2, 1, 1}
		}, []string{"features[0].edges: has 4 edges, more than options.bins-1 (3)"}},
		{"negative bin count", func(p *Profile) { p.Features[0].Counts = []int64{5, -1, 2, 2} },
			[]string{"features[0].counts: negative at index 1 (-1)"}},
		{"bin counts do not add up", func(p *Profile) { p.Features[0].Counts = []int64{2, 2, 2, 3} },
			[]string{"features[0].counts: sum 9 does not equal count - missing - nan (8)"}},
		{"bin counts misaligned", func(p *Profile) { p.Features[0].Counts = []int64{4, 2, 2} },
			[]string{"features[0].counts: has 3 entries, want 4 (one more than edges)"}},
		{"infinities outside the outer bins", func(p *Profile) {
			p.Features[0].NegInf, p.Features[0].PosInf = 3, 2
			p.Features[0].Sample = p.Features[0].Sample[:3]
			p.Features[0].Counts = []int64{2, 2, 3, 1}
		}, []string{
			"features[0].counts: first bin (2) holds fewer values than neg_inf (3)",
			"features[0].counts: last bin (1) holds fewer values than pos_inf (2)",
		}},
		{"special values exceed count", func(p *Profile) { p.Prediction.NaN = 11; p.Prediction.Sample = nil },
			[]string{
				"prediction: missing + nan + pos_inf + neg_inf exceeds count (10)",
				"prediction.counts: sum 10 does not equal count - missing - nan (-1)",
			}},
		{"counts overflow", func(p *Profile) {
			p.Features[0].Counts = []int64{math.MaxInt64, math.MaxInt64, 2, 8}
			p.Features[1].Counts = []int64{math.MaxInt64, 7}
		}, []string{
			"features[0].counts: sum overflows int64",
			"features[1].counts: sum plus other overflows int64",
		}},
		{"special values overflow", func(p *Profile) { p.Features[0].NaN, p.Features[0].PosInf = math.MaxInt64, math.MaxInt64 },
			[]string{
				"features[0]: missing + nan + pos_inf + neg_inf exceeds count (10)",
				"features[0].counts: sum 8 does not equal count - missing - nan (-9223372036854775798)",
				"features[0].counts: last bin (2) holds fewer values than pos_inf (9223372036854775807)",
			}},
		{"sample not sorted", func(p *Profile) { p.Features[0].Sample = []float64{0.5, 2, 1, 3, 5} },
			[]string{"features[0].sample: not sorted at index 2"}},
		{"sample too short", func(p *Profile) { p.Prediction.Sample = []float64{0.5} },
			[]string{"prediction.sample: has 1 values, want 5 (the smaller of the finite values and options.sample_size)"}},
		{"negative std", func(p *Profile) { p.Features[0].Std = -1 },
			[]string{"features[0].std: must be finite and non-negative"}},
		{"duplicate feature names", func(p *Profile) { p.Features[1].Name = "age" },
			[]string{`features[1].name: duplicate feature name "age" (also features[0])`}},
		{"prediction named like a feature", func(p *Profile) { p.Prediction.Name = "city" },
			[]string{`prediction.name: "city" is also the name of features[1]`}},
		{"unknown type", func(p *Profile) { p.Features[1].Type = "text" },
			[]string{`features[1].type: unknown type "text" (want numeric or categorical)`}},
		{"missing type", func(p *Profile) { p.Features[1].Type = "" },
			[]string{"features[1].type: feature type is required (want numeric or categorical)"}},
		{"duplicate categories", func(p *Profile) { p.Features[1].Categories = []string{"oslo", "oslo"} },
			[]string{`features[1].categories: duplicate value "oslo" at index 1 (also at index 0)`}},
		{"empty category", func(p *Profile) { p.Features[1].Categories = []string{"paris", ""} },
			[]string{"features[1].categories: empty value at index 1 (empty values are missing)"}},
		{"more categories than top_k", func(p *Profile) {
			p.Features[1].Categories = []string{"paris", "oslo", "rome"}
			p.Features[1].Counts = []int64{4, 2, 1}
			p.Features[1].Other = 1
		}, []string{"features[1].categories: has 3 entries, more than options.top_k (2)"}},
		{"category counts do not add up", func(p *Profile) { p.Features[1].Other = 3 },
			[]string{"features[1].counts: sum 7 plus other (3) does not equal count - missing (8)"}},
		{"zero category count", func(p *Profile) { p.Features[1].Counts = []int64{8, 0}; p.Features[1].Other = 0 },
			[]string{"features[1].counts: must be positive at index 1, got 0"}},
		{"numeric fields on a categorical", func(p *Profile) { p.Features[1].Edges = []float64{1} },
			[]string{"features[1]: nan, pos_inf, neg_inf, mean, std, edges and sample must be empty for a categorical feature"}},
		{"categorical fields on a numeric", func(p *Profile) { p.Features[0].Other = 1 },
			[]string{"features[0]: categories and other must be empty for a numeric feature"}},
		{"count differs from rows", func(p *Profile) { p.Rows = 11 },
			[]string{
				"features[0].count: 10 does not equal rows (11)",
				"features[1].count: 10 does not equal rows (11)",
				"prediction.count: 10 does not equal rows (11)",
			}},
		{"missing above count", func(p *Profile) { p.Features[1].Missing = 11 },
			[]string{
				"features[1].missing: 11 is out of range [0, count=10]",
				"features[1].counts: sum 7 plus other (1) does not equal count - missing (-1)",
			}},
		{"bad options", func(p *Profile) { p.Options.Bins = 0; p.Options.MaxDistinct = 1 },
			[]string{
				"options.bins: 0 is out of range [1, 1000]",
				"options.max_distinct: 1 must be at least top_k (2)",
			}},
		{"no features", func(p *Profile) { p.Features = nil },
			[]string{"features: at least one feature is required"}},
		{"every problem at once", func(p *Profile) {
			p.Model = ""
			p.CreatedAt = time.Time{}
			p.Features[0].Edges = []float64{3, 2, 1}
			p.Features[1].Name = ""
		}, []string{
			"model: is required",
			"created_at: is required",
			"features[0].edges: not strictly increasing at index 1",
			"features[1].name: is required",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validProfile()
			tt.mutate(p)
			data, err := json.Marshal(p)
			require.NoError(t, err)
			_, err = DecodeProfile(data)
			require.EqualError(t, err, "decode profile: "+strings.Join(tt.want, "\n"))
		})
	}
}

func TestDecodeProfileRejectsBadDocuments(t *testing.T) {
	valid, err := json.Marshal(validProfile())
	require.NoError(t, err)
	tests := []struct {
		name string
		data string
		want string
	}{
		{"not JSON", "profile", "decode profile: invalid character 'p' looking for beginning of value"},
		{"newer version", `{"version": 2, "model": "churn"}`, "decode profile: version 2 is not supported (supported: 1)"},
		{"version zero", `{"version": 0}`, "decode profile: version 0 is not supported (supported: 1)"},
		{"no version", `{"model": "churn"}`, "decode profile: version is missing (supported: 1)"},
		{"unknown field", strings.Replace(string(valid), `"rows"`, `"colour":"red","rows"`, 1), `decode profile: json: unknown field "colour"`},
		{"wrong field type", strings.Replace(string(valid), `"rows":10`, `"rows":"ten"`, 1), "decode profile: json: cannot unmarshal string into Go struct field Profile.rows of type int64"},
		{"trailing data", string(valid) + "{}", "decode profile: invalid character '{' after top-level value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeProfile([]byte(tt.data))
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestDecodeProfileAcceptsValid(t *testing.T) {
	want := validProfile()
	data, err := want.Encode()
	require.NoError(t, err)
	got, err := DecodeProfile(data)
	require.NoError(t, err)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// Validate also guards profiles made in Go, which may hold values JSON
// cannot carry.
func TestEncodeRejectsNonFiniteValues(t *testing.T) {
	p := validProfile()
	p.Features[0].Edges[1] = math.Inf(1)
	p.Features[0].Sample[0] = math.NaN()
	p.Prediction.Mean = math.NaN()
	_, err := p.Encode()
	require.EqualError(t, err, "encode profile: "+strings.Join([]string{
		"features[0].edges: not finite at index 1",
		"features[0].sample: not finite at index 0",
		"prediction.mean: must be finite",
	}, "\n"))
}

func FuzzDecodeProfile(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "profiles", "churn.golden.json"))
	require.NoError(f, err)
	f.Add(golden)
	valid, err := json.Marshal(validProfile())
	require.NoError(f, err)
	f.Add(valid)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"features":[{"type":"numeric","counts":[-1],"edges":[1e308,-1e308]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeProfile(data)
		if err != nil {
			return
		}
		// A profile that decodes is valid, so it encodes and decodes to
		// itself, and windows can be built over it.
		out, err := p.Encode()
		require.NoError(t, err)
		again, err := DecodeProfile(out)
		require.NoError(t, err)
		if diff := cmp.Diff(p, again); diff != "" {
			t.Fatalf("round trip changed the profile (-first +second):\n%s", diff)
		}
		_, err = NewWindow(p, WindowOptions{SampleSize: 4, MaxUnseen: 2})
		require.NoError(t, err)
	})
}
