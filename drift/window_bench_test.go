package drift

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// benchValues returns 4096 seeded normal values; the length is a power of
// two so benchmarks can index with a mask.
func benchValues() []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 4096)
	for i := range xs {
		xs[i] = rng.NormFloat64()*10 + 50
	}
	return xs
}

// benchProfile builds a profile of features numeric features over seeded
// normal values with default options.
func benchProfile(b *testing.B, features int) *Profile {
	b.Helper()
	specs := make([]FeatureSpec, features)
	for i := range specs {
		specs[i] = FeatureSpec{Name: fmt.Sprintf("f%03d", i), Type: Numeric}
	}
	pb, err := NewProfileBuilder(specs, ProfileOptions{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, x := range benchValues()[:2000] {
		for i := range specs {
			pb.Feature(i).AddNumeric(x)
		}
	}
	p, err := pb.Build("bench", testCreatedAt)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkNumericAdd measures one Add in steady state (a full sample,
// default 10 bins and 10,000 sample values); ns/op is ns per value.
func BenchmarkNumericAdd(b *testing.B) {
	p := benchProfile(b, 1)
	a, err := NewNumericAccumulator(&p.Features[0], DefaultSampleSize, 1)
	if err != nil {
		b.Fatal(err)
	}
	xs := benchValues()
	for i := range 3 * DefaultSampleSize {
		a.Add(xs[i&4095])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Add(xs[i&4095])
	}
}

// benchCategorical returns a categorical reference with 50 categories and
// an other bucket, and a stream in which one value in 16 falls outside the
// categories.
func benchCategorical(b *testing.B) (*CategoricalAccumulator, []string) {
	ref := &FeatureProfile{Name: "c", Type: Categorical, Count: 1000, Other: 50}
	for i := range 50 {
		ref.Categories = append(ref.Categories, fmt.Sprintf("category-%02d", i))
		ref.Counts = append(ref.Counts, 19)
	}
	a, err := NewCategoricalAccumulator(ref, DefaultMaxUnseen)
	if err != nil {
		b.Fatal(err)
	}
	values := make([]string, 64)
	for i := range values {
		values[i] = fmt.Sprintf("category-%02d", i*7%53) // 50..52 are outside
	}
	return a, values
}

// BenchmarkCategoricalAdd measures one Add; ns/op is ns per value.
func BenchmarkCategoricalAdd(b *testing.B) {
	a, values := benchCategorical(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Add(values[i&63])
	}
}

// BenchmarkCategoricalAddBytes measures one AddBytes, as from a decoded
// message buffer; ns/op is ns per value.
func BenchmarkCategoricalAddBytes(b *testing.B) {
	a, values := benchCategorical(b)
	raw := make([][]byte, len(values))
	for i, v := range values {
		raw[i] = []byte(v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.AddBytes(raw[i&63])
	}
}

// BenchmarkWindowMemory reports the heap retained by a Window of 100
// numeric features at the default options once every sample is full.
func BenchmarkWindowMemory(b *testing.B) {
	p := benchProfile(b, 100)
	xs := benchValues()
	var retained uint64
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		w, err := NewWindow(p, WindowOptions{Seed: uint64(i)})
		if err != nil {
			b.Fatal(err)
		}
		for f := range w.Len() {
			a := w.Numeric(f)
			for j := range 2 * DefaultSampleSize {
				a.Add(xs[j&4095])
			}
		}
		retained = heapInUse() - before
		runtime.KeepAlive(w)
	}
	b.ReportMetric(float64(retained)/1e6, "MB/window")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
