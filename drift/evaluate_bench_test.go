package drift

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchEvalProfile builds a profile of 80 numeric and 20 categorical
// features (30 categories each) from rows seeded rows, at the default
// options (10 bins, 10,000-value samples).
func benchEvalProfile(b *testing.B, rows int) *Profile {
	b.Helper()
	specs := make([]FeatureSpec, 100)
	for i := range specs {
		specs[i] = FeatureSpec{Name: fmt.Sprintf("n%02d", i), Type: Numeric}
		if i >= 80 {
			specs[i] = FeatureSpec{Name: fmt.Sprintf("c%02d", i-80), Type: Categorical}
		}
	}
	pb, err := NewProfileBuilder(specs, ProfileOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range rows {
		for i := range 80 {
			pb.Feature(i).AddNumeric(rng.NormFloat64()*float64(1+i%5) + float64(i))
		}
		for i := 80; i < 100; i++ {
			pb.Feature(i).AddCategory(benchCategory(rng))
		}
	}
	p, err := pb.Build("bench", testCreatedAt)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

var benchCategoryNames = func() []string {
	names := make([]string, 30)
	for i := range names {
		names[i] = fmt.Sprintf("category-%02d", i)
	}
	return names
}()

// benchCategory draws one of 30 categories with geometric weights.
func benchCategory(rng *rand.Rand) string {
	k := 0
	for k < 29 && rng.Float64() < 0.8 {
		k++
	}
	return benchCategoryNames[k]
}

// benchEvalWindow fills a window on p with events seeded events drawn
// from the reference distribution.
func benchEvalWindow(b *testing.B, p *Profile, events int) *Window {
	b.Helper()
	w, err := NewWindow(p, WindowOptions{Seed: 2})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	for range events {
		for i := range 80 {
			w.Numeric(i).Add(rng.NormFloat64()*float64(1+i%5) + float64(i))
		}
		for i := 80; i < 100; i++ {
			w.Categorical(i).Add(benchCategory(rng))
		}
	}
	w.AddEvents(int64(events))
	return w
}

// BenchmarkEvaluateWindow100 evaluates a window of 100 features (80
// numeric, 20 categorical) against a reference of 20,000 rows at the
// default options; ns/op is the time of one window's evaluation.
//
//   - auto: the reference has more than 1000 rows, so Wasserstein on the
//     10,000-value samples and Jensen-Shannon on the category counts.
//   - ks: Kolmogorov-Smirnov on every numeric feature, window and
//     reference samples both full (10,000 values each), so the exact
//     p-value takes its equal-size path.
//   - ks unequal samples: the window saw 9,999 events, so its samples are
//     one value short of the reference's and the exact p-value takes the
//     general lattice-path count, the costliest case.
//   - psi: PSI over the ten reference bins.
func BenchmarkEvaluateWindow100(b *testing.B) {
	p := benchEvalProfile(b, 20_000)
	full := benchEvalWindow(b, p, 20_000)
	cases := []struct {
		name string
		w    *Window
		opts EvaluateOptions
	}{
		{"auto", full, EvaluateOptions{}},
		{"ks", full, EvaluateOptions{NumericMethod: MethodKS}},
		{"ks unequal samples", benchEvalWindow(b, p, 9_999), EvaluateOptions{NumericMethod: MethodKS}},
		{"psi", full, EvaluateOptions{NumericMethod: MethodPSI}},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			e, err := NewEvaluator(p, bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Evaluate(bc.w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
