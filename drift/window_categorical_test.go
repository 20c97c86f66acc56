package drift

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// tailRef has categories paris (4), oslo (3) and an other bucket (1).
func tailRef() *FeatureProfile { return &validProfile().Features[1] }

// completeRef has categories paris (4), oslo (4) and nothing else.
func completeRef() *FeatureProfile {
	f := tailRef()
	f.Counts, f.Other = []int64{4, 4}, 0
	return f
}

func newCategorical(t testing.TB, ref *FeatureProfile, maxUnseen int) *CategoricalAccumulator {
	t.Helper()
	a, err := NewCategoricalAccumulator(ref, maxUnseen)
	require.NoError(t, err)
	return a
}

func TestCategoricalAccumulatorCounts(t *testing.T) {
	tests := []struct {
		name       string
		ref        *FeatureProfile
		maxUnseen  int
		values     []string
		want       CategoryCounts
		wantUnseen int64
	}{
		{
			name:   "values outside the categories go to the reference's other bucket",
			ref:    tailRef(),
			values: []string{"paris", "rome", "", "oslo", "lima", "paris"},
			want: CategoryCounts{
				Buckets:       []Bucket{{BucketCategory, "paris"}, {BucketCategory, "oslo"}, {Kind: BucketOther}},
				AlignedCounts: AlignedCounts{Reference: []float64{4, 3, 1}, Current: []float64{2, 1, 2}},
			},
		},
		{
			name:      "a complete reference counts unseen values one by one, in byte order",
			ref:       completeRef(),
			maxUnseen: 10,
			values:    []string{"rome", "paris", "lima", "rome", ""},
			want: CategoryCounts{
				Buckets: []Bucket{
					{BucketCategory, "paris"}, {BucketCategory, "oslo"},
					{BucketUnseen, "lima"}, {BucketUnseen, "rome"},
				},
				AlignedCounts: AlignedCounts{Reference: []float64{4, 4, 0, 0}, Current: []float64{1, 0, 1, 2}},
			},
			wantUnseen: 3,
		},
		{
			name:      "unseen values past the bound are lumped",
			ref:       completeRef(),
			maxUnseen: 2,
			values:    []string{"c", "b", "a", "c", "d", "a", "b"},
			want: CategoryCounts{
				Buckets: []Bucket{
					{BucketCategory, "paris"}, {BucketCategory, "oslo"},
					{BucketUnseen, "b"}, {BucketUnseen, "c"}, {Kind: BucketUnseenRest},
				},
				AlignedCounts: AlignedCounts{Reference: []float64{4, 4, 0, 0, 0}, Current: []float64{0, 0, 2, 2, 3}},
			},
			wantUnseen: 7,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maxUnseen := max(tt.maxUnseen, 1)
			a, b := newCategorical(t, tt.ref, maxUnseen), newCategorical(t, tt.ref, maxUnseen)
			for _, v := range tt.values {
				a.Add(v)
				b.AddBytes([]byte(v))
			}
			if diff := cmp.Diff(tt.want, a.CategoryCounts()); diff != "" {
				t.Errorf("Add (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, b.CategoryCounts()); diff != "" {
				t.Errorf("AddBytes (-want +got):\n%s", diff)
			}
			stale := AlignedCounts{Reference: []float64{9, 9, 9, 9, 9, 9}, Current: []float64{9, 9, 9, 9, 9, 9}}
			reused, order := a.appendCounts(stale, []int{7, 7, 7})
			if diff := cmp.Diff(tt.want.AlignedCounts, reused); diff != "" {
				t.Errorf("counts into a used buffer (-want +got):\n%s", diff)
			}
			require.Zero(t, testing.AllocsPerRun(10, func() { reused, order = a.appendCounts(reused, order) }))
			var missing int64
			for _, v := range tt.values {
				if v == "" {
					missing++
				}
			}
			require.Equal(t, int64(len(tt.values)), a.Count())
			require.Equal(t, missing, a.Missing())
			require.Equal(t, tt.wantUnseen, a.Unseen())
			require.Equal(t, Proportion{ReferenceHits: 2, ReferenceTotal: 10, CurrentHits: missing, CurrentTotal: a.Count()}, a.MissingCounts())
		})
	}
}

func TestCategoricalAccumulatorAddDoesNotAllocate(t *testing.T) {
	tests := []struct {
		name string
		ref  *FeatureProfile
	}{
		{"tail reference", tailRef()},
		{"complete reference with known unseen values", completeRef()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newCategorical(t, tt.ref, 10)
			a.Add("rome") // first sight of an unseen value may allocate
			paris, rome, empty := []byte("paris"), []byte("rome"), []byte{}
			allocs := testing.AllocsPerRun(1000, func() {
				a.AddBytes(paris)
				a.AddBytes(rome)
				a.AddBytes(empty)
				a.Add("oslo")
				a.Add("rome")
			})
			require.Zero(t, allocs)
		})
	}
}

func TestCategoricalAccumulatorMerge(t *testing.T) {
	values := strings.Split("paris,x,oslo,,y,x,paris,z,w,y,,x,v", ",")
	for _, ref := range []*FeatureProfile{tailRef(), completeRef()} {
		for split := range len(values) + 1 {
			all, left, right := newCategorical(t, ref, 100), newCategorical(t, ref, 100), newCategorical(t, ref, 100)
			for i, v := range values {
				all.Add(v)
				if i < split {
					left.Add(v)
				} else {
					right.Add(v)
				}
			}
			require.NoError(t, left.Merge(right))
			if diff := cmp.Diff(all.CategoryCounts(), left.CategoryCounts()); diff != "" {
				t.Errorf("other=%d split=%d (-one stream +merged):\n%s", ref.Other, split, diff)
			}
			require.Equal(t, all.Count(), left.Count())
			require.Equal(t, all.Missing(), left.Missing())
		}
	}
}

func TestCategoricalAccumulatorMergeRespectsBound(t *testing.T) {
	left, right := newCategorical(t, completeRef(), 2), newCategorical(t, completeRef(), 2)
	left.Add("a")
	right.Add("b")
	right.Add("c")
	right.Add("c")
	require.NoError(t, left.Merge(right))
	want := CategoryCounts{
		Buckets: []Bucket{
			{BucketCategory, "paris"}, {BucketCategory, "oslo"},
			{BucketUnseen, "a"}, {BucketUnseen, "b"}, {Kind: BucketUnseenRest},
		},
		AlignedCounts: AlignedCounts{Reference: []float64{4, 4, 0, 0, 0}, Current: []float64{0, 0, 1, 1, 2}},
	}
	if diff := cmp.Diff(want, left.CategoryCounts()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCategoricalAccumulatorErrors(t *testing.T) {
	_, err := NewCategoricalAccumulator(numericRef(), 10)
	require.EqualError(t, err, `categorical accumulator for "age": feature type is "numeric"`)
	bad := tailRef()
	bad.Counts = nil
	_, err = NewCategoricalAccumulator(bad, 10)
	require.EqualError(t, err, `categorical accumulator for "city": reference has 0 counts for 2 categories`)
	_, err = NewCategoricalAccumulator(tailRef(), 0)
	require.EqualError(t, err, `categorical accumulator for "city": unseen bound 0 must be positive`)
	a := newCategorical(t, tailRef(), 10)
	require.EqualError(t, a.Merge(newCategorical(t, completeRef(), 10)), `merge "city": accumulators come from different reference profiles ("city")`)
}

func TestCategoricalAccumulatorReset(t *testing.T) {
	a := newCategorical(t, completeRef(), 10)
	for _, v := range []string{"paris", "x", "y", "", "x"} {
		a.Add(v)
	}
	require.Zero(t, testing.AllocsPerRun(10, a.Reset))
	fresh := newCategorical(t, completeRef(), 10)
	if diff := cmp.Diff(fresh.CategoryCounts(), a.CategoryCounts()); diff != "" {
		t.Errorf("(-fresh +reset):\n%s", diff)
	}
	require.Zero(t, a.Count())
	require.Zero(t, a.Missing())
	require.Zero(t, a.Unseen())
}

// FuzzCategoricalAccumulator feeds comma-separated values (empty ones are
// missing) to one accumulator with Add, to one with AddBytes, and, split at
// an arbitrary point, to two that are merged.
func FuzzCategoricalAccumulator(f *testing.F) {
	f.Add("paris,oslo,,rome,\x00,paris,ünïcode,rome", uint8(3), false)
	f.Add("", uint8(0), true)
	f.Add("a,b,c,d,e,f,g", uint8(200), false)
	f.Fuzz(func(t *testing.T, data string, split uint8, tail bool) {
		ref := completeRef()
		if tail {
			ref = tailRef()
		}
		const maxUnseen = 3
		all, bytes := newCategorical(t, ref, maxUnseen), newCategorical(t, ref, maxUnseen)
		left, right := newCategorical(t, ref, maxUnseen), newCategorical(t, ref, maxUnseen)
		values := strings.Split(data, ",")
		for i, v := range values {
			all.Add(v)
			bytes.AddBytes([]byte(v))
			if i < int(split) {
				left.Add(v)
			} else {
				right.Add(v)
			}
		}
		checkCategoricalInvariants(t, all, maxUnseen)
		if diff := cmp.Diff(all.CategoryCounts(), bytes.CategoryCounts()); diff != "" {
			t.Fatalf("AddBytes differs from Add (-Add +AddBytes):\n%s", diff)
		}
		require.NoError(t, left.Merge(right))
		checkCategoricalInvariants(t, left, maxUnseen)
		require.Equal(t, all.Count(), left.Count())
		require.Equal(t, all.Missing(), left.Missing())
		require.Equal(t, all.Unseen(), left.Unseen())
		// Reference buckets (categories and other) add up exactly; which
		// unseen values are counted one by one may depend on merge order.
		n := len(ref.Categories)
		if ref.Other > 0 {
			n++
		}
		want, got := all.CategoryCounts(), left.CategoryCounts()
		if diff := cmp.Diff(want.Current[:n], got.Current[:n]); diff != "" {
			t.Fatalf("merge is not count-additive (-one stream +merged):\n%s", diff)
		}
	})
}

func checkCategoricalInvariants(t *testing.T, a *CategoricalAccumulator, maxUnseen int) {
	t.Helper()
	c := a.CategoryCounts()
	require.Len(t, c.Reference, len(c.Buckets))
	require.Len(t, c.Current, len(c.Buckets))
	require.Equal(t, a.Count()-a.Missing(), int64(sumFloat64(c.Current)), "buckets hold every present value")
	unseen := 0
	for i, b := range c.Buckets {
		if b.Kind == BucketUnseen {
			unseen++
			require.NotEmpty(t, b.Value)
			require.Zero(t, c.Reference[i])
			require.Positive(t, c.Current[i])
		}
	}
	require.LessOrEqual(t, unseen, maxUnseen)
}
