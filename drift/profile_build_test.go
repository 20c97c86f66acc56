package drift

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"
)

// buildOne profiles a single column observed through add.
func buildOne(t *testing.T, typ FeatureType, opts ProfileOptions, add func(c *ColumnBuilder)) FeatureProfile {
	t.Helper()
	b, err := NewProfileBuilder([]FeatureSpec{{Name: "x", Type: typ}}, opts)
	require.NoError(t, err)
	add(b.Feature(0))
	p, err := b.Build("m", testCreatedAt)
	require.NoError(t, err)
	return p.Features[0]
}

func TestBuildNumericMatchesNumpy(t *testing.T) {
	// Expected values from numpy 2.4 over mediumSample:
	// np.quantile(x, np.arange(1, 10) / 10), x.mean(), x.std().
	f := buildOne(t, Numeric, ProfileOptions{}, func(c *ColumnBuilder) {
		for _, x := range mediumSample {
			c.AddNumeric(x)
		}
	})
	want := FeatureProfile{
		Name: "x", Type: Numeric, Count: 1001,
		Mean: 33.06768231768232, Std: 36.40568864006859,
		Edges:  []float64{-17.375, -4.75, 7.875, 20.5, 33.125, 45.625, 58.25, 70.875, 83.375},
		Counts: []int64{101, 100, 100, 100, 100, 100, 100, 100, 100, 100},
		Sample: slices.Sorted(slices.Values(mediumSample)),
	}
	if diff := cmp.Diff(want, f, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBuildNumericSpecialValues(t *testing.T) {
	// Edges come from the finite values only: smallSample's 4-bin
	// quantiles per numpy are 0.1875, 2, 3.875 with counts 3, 5, 1, 3.
	f := buildOne(t, Numeric, ProfileOptions{Bins: 4}, func(c *ColumnBuilder) {
		for _, x := range smallSample {
			c.AddNumeric(x)
		}
		c.AddNumeric(math.NaN())
		c.AddNumeric(math.Inf(1))
		c.AddNumeric(math.Inf(1))
		c.AddNumeric(math.Inf(-1))
		c.AddMissing()
		c.AddMissing()
	})
	want := FeatureProfile{
		Name: "x", Type: Numeric, Count: 18, Missing: 2, NaN: 1, PosInf: 2, NegInf: 1,
		Mean: 2.3958333333333335, Std: 3.5406248467686536,
		Edges:  []float64{0.1875, 2, 3.875},
		Counts: []int64{3 + 1, 5, 1, 3 + 2},
		Sample: slices.Sorted(slices.Values(smallSample)),
	}
	if diff := cmp.Diff(want, f, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	require.Equal(t, int64(12), f.Finite())
}

func TestBuildNumericWithoutFiniteValues(t *testing.T) {
	f := buildOne(t, Numeric, ProfileOptions{}, func(c *ColumnBuilder) {
		c.AddMissing()
		c.AddNumeric(math.NaN())
	})
	want := FeatureProfile{Name: "x", Type: Numeric, Count: 2, Missing: 1, NaN: 1, Counts: []int64{0}}
	if diff := cmp.Diff(want, f, cmpEmpty); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBuildNumericSubsample(t *testing.T) {
	build := func(seed uint64) FeatureProfile {
		return buildOne(t, Numeric, ProfileOptions{SampleSize: 100, Seed: seed}, func(c *ColumnBuilder) {
			for i := range 5000 {
				c.AddNumeric(float64((i * 7919) % 5003))
			}
		})
	}
	f := build(3)
	require.False(t, f.Approximate, "5000 values are below the exact quantile bound")
	require.Len(t, f.Sample, 100)
	require.True(t, slices.IsSorted(f.Sample))
	for i, x := range f.Sample {
		require.True(t, x == math.Trunc(x) && x >= 0 && x < 5003, "sample[%d] = %v is not an input value", i, x)
		if i > 0 {
			require.NotEqual(t, f.Sample[i-1], x, "inputs are distinct, so the sample is too")
		}
	}
	// The mean of a uniform sample of 100 of the 5000 values is within five
	// standard errors of the full mean.
	mean := sumFloat64(f.Sample) / 100
	require.InDelta(t, f.Mean, mean, 5*f.Std/math.Sqrt(100))
	if diff := cmp.Diff(f, build(3)); diff != "" {
		t.Errorf("same seed, different profile (-first +second):\n%s", diff)
	}
	require.NotEqual(t, f.Sample, build(4).Sample)
}

func TestBuildNumericApproximateBeyondBound(t *testing.T) {
	const n = 100_000
	f := buildOne(t, Numeric, ProfileOptions{QuantileSampleSize: 2000, SampleSize: 500, Seed: 9}, func(c *ColumnBuilder) {
		c.AddNumeric(math.Inf(1))
		for i := range n {
			c.AddNumeric(float64((i*7919)%n) / n) // a permutation of a grid on [0, 1)
		}
	})
	require.True(t, f.Approximate)
	require.Len(t, f.Edges, 9)
	// The sample quantile of 2000 values has a standard error of at most
	// sqrt(0.25/2000) ≈ 0.011; allow 4.5 of them.
	for i, e := range f.Edges {
		require.InDelta(t, float64(i+1)/10, e, 0.05, "edge %d", i)
	}
	require.Equal(t, int64(n+1), sumInt64(f.Counts), "scaled counts add up to the finite values plus +Inf")
	for i, c := range f.Counts {
		require.InDelta(t, n/10, c, 3500, "bin %d", i)
	}
	require.Len(t, f.Sample, 500)
	require.True(t, slices.IsSorted(f.Sample))
}

func TestBuildCategorical(t *testing.T) {
	tests := []struct {
		name   string
		opts   ProfileOptions
		values []string
		want   FeatureProfile
	}{
		{
			name:   "ties break in byte order",
			opts:   ProfileOptions{TopK: 3},
			values: []string{"b", "a", "c", "b", "a", "d", "", "c", "e"},
			want: FeatureProfile{
				Name: "x", Type: Categorical, Count: 9, Missing: 1,
				Categories: []string{"a", "b", "c"}, Counts: []int64{2, 2, 2}, Other: 2,
			},
		},
		{
			name:   "everything fits",
			opts:   ProfileOptions{},
			values: []string{"z", "y", "z"},
			want: FeatureProfile{
				Name: "x", Type: Categorical, Count: 3,
				Categories: []string{"z", "y"}, Counts: []int64{2, 1},
			},
		},
		{
			name:   "values past the distinct bound count in other",
			opts:   ProfileOptions{TopK: 1, MaxDistinct: 2},
			values: []string{"a", "b", "c", "c", "c", "a", "d"},
			want: FeatureProfile{
				Name: "x", Type: Categorical, Count: 7, Approximate: true,
				Categories: []string{"a"}, Counts: []int64{2}, Other: 5,
			},
		},
		{
			name:   "all missing",
			opts:   ProfileOptions{},
			values: []string{"", ""},
			want:   FeatureProfile{Name: "x", Type: Categorical, Count: 2, Missing: 2, Categories: []string{}, Counts: []int64{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := buildOne(t, Categorical, tt.opts, func(c *ColumnBuilder) {
				for _, v := range tt.values {
					c.AddCategory(v)
				}
			})
			if diff := cmp.Diff(tt.want, f); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildPrediction(t *testing.T) {
	b, err := NewProfileBuilder([]FeatureSpec{{Name: "x", Type: Numeric}}, ProfileOptions{})
	require.NoError(t, err)
	require.Nil(t, b.Prediction())
	require.NoError(t, b.SetPrediction(FeatureSpec{Name: "label", Type: Categorical}))
	for i := range 4 {
		b.Feature(0).AddNumeric(float64(i))
		b.Prediction().AddCategory([]string{"yes", "no"}[i%2])
	}
	p, err := b.Build("m", time.Date(2025, 1, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600)))
	require.NoError(t, err)
	require.Equal(t, time.Date(2025, 1, 1, 11, 0, 0, 0, time.UTC), p.CreatedAt, "stored in UTC")
	want := &FeatureProfile{Name: "label", Type: Categorical, Count: 4, Categories: []string{"no", "yes"}, Counts: []int64{2, 2}}
	if diff := cmp.Diff(want, p.Prediction); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewProfileBuilderErrors(t *testing.T) {
	tests := []struct {
		name  string
		specs []FeatureSpec
		opts  ProfileOptions
		want  string
	}{
		{"no specs", nil, ProfileOptions{}, "new profile builder: specs: at least one feature is required"},
		{"bad specs", []FeatureSpec{{Name: "a", Type: Numeric}, {Type: Numeric}, {Name: "a", Type: "text"}}, ProfileOptions{},
			"new profile builder: specs[1].name: is required\n" +
				`specs[2].type: unknown type "text" (want numeric or categorical)` + "\n" +
				`specs[2].name: duplicate feature name "a" (also specs[0])`},
		{"bad options", []FeatureSpec{{Name: "a", Type: Numeric}}, ProfileOptions{Bins: 1001, SampleSize: 10, QuantileSampleSize: 5, TopK: -1},
			"new profile builder: options.bins: 1001 is out of range [1, 1000]\n" +
				"options.top_k: -1 must be positive\n" +
				"options.quantile_sample_size: 5 must be at least sample_size (10)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewProfileBuilder(tt.specs, tt.opts)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestSetPredictionErrors(t *testing.T) {
	b, err := NewProfileBuilder([]FeatureSpec{{Name: "a", Type: Numeric}}, ProfileOptions{})
	require.NoError(t, err)
	require.EqualError(t, b.SetPrediction(FeatureSpec{Name: "a", Type: Numeric}), `set prediction: name "a" is also the name of specs[0]`)
	require.EqualError(t, b.SetPrediction(FeatureSpec{Name: "p"}), "set prediction: prediction.type: feature type is required (want numeric or categorical)")
	require.NoError(t, b.SetPrediction(FeatureSpec{Name: "p", Type: Numeric}))
	require.EqualError(t, b.SetPrediction(FeatureSpec{Name: "q", Type: Numeric}), `set prediction: already set to "p"`)
}

func TestBuildErrors(t *testing.T) {
	newBuilder := func() *ProfileBuilder {
		b, err := NewProfileBuilder([]FeatureSpec{{Name: "a", Type: Numeric}, {Name: "b", Type: Categorical}}, ProfileOptions{})
		require.NoError(t, err)
		return b
	}
	tests := []struct {
		name    string
		observe func(b *ProfileBuilder)
		model   string
		created time.Time
		want    string
	}{
		{"uneven rows", func(b *ProfileBuilder) {
			b.Feature(0).AddNumeric(1)
			b.Feature(0).AddMissing()
			b.Feature(1).AddCategory("x")
		}, "m", testCreatedAt, `build profile: column "b" has 1 observations, want 2 like "a" (one per row)`},
		{"no model or time", func(*ProfileBuilder) {}, "", time.Time{},
			"build profile: model: is required\ncreated_at: is required"},
		{"mean overflows", func(b *ProfileBuilder) {
			b.Feature(0).AddNumeric(math.MaxFloat64)
			b.Feature(0).AddNumeric(-math.MaxFloat64)
			b.Feature(1).AddMissing()
			b.Feature(1).AddMissing()
		}, "m", testCreatedAt, "build profile: features[0].mean: must be finite\nfeatures[0].std: must be finite and non-negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBuilder()
			tt.observe(b)
			_, err := b.Build(tt.model, tt.created)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestColumnBuilderPanicsOnTypeMismatch(t *testing.T) {
	b, err := NewProfileBuilder([]FeatureSpec{{Name: "n", Type: Numeric}, {Name: "c", Type: Categorical}}, ProfileOptions{})
	require.NoError(t, err)
	require.PanicsWithValue(t, `drift: AddCategory on numeric column "n"`, func() { b.Feature(0).AddCategory("x") })
	require.PanicsWithValue(t, `drift: AddNumeric on categorical column "c"`, func() { b.Feature(1).AddNumeric(1) })
}

func TestProfileOptionsWithDefaults(t *testing.T) {
	got := ProfileOptions{TopK: 7, Seed: 0}.WithDefaults()
	want := ProfileOptions{Bins: 10, SampleSize: 10_000, TopK: 7, QuantileSampleSize: 1_000_000, MaxDistinct: 100_000}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	require.NoError(t, got.Validate())
}

func sumFloat64(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}
