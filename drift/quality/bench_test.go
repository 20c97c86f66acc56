package quality

import (
	"math/rand/v2"
	"testing"
)

// benchPairs is the number of distinct inputs a benchmark cycles through.
const benchPairs = 1 << 12

func BenchmarkConfusionAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	truth, pred := make([]int, benchPairs), make([]int, benchPairs)
	for i := range truth {
		truth[i], pred[i] = rng.IntN(5), rng.IntN(5)
	}
	c, err := NewConfusion(5, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		j := i % benchPairs
		if err := c.Add(truth[j], pred[j]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScoresAdd(b *testing.B) {
	positive, scores := syntheticScores(1, benchPairs, 0.3)
	for i, x := range scores {
		scores[i] = 1 / (1 + x*x) // probabilities, so the loss sums run too
	}
	for _, bc := range []struct {
		name     string
		capacity int
		prefill  int
	}{
		{name: "filling", capacity: DefaultScoreCapacity},
		{name: "sampling", capacity: 1_000, prefill: 1_000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := NewScores(bc.capacity, 1)
			if err != nil {
				b.Fatal(err)
			}
			for i := range bc.prefill {
				_ = s.Add(positive[i%benchPairs], scores[i%benchPairs])
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if s.Count() == int64(bc.capacity) && bc.prefill == 0 {
					s.Reset() // stay below capacity, keeping the memory
				}
				j := i % benchPairs
				if err := s.Add(positive[j], scores[j]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkResidualsAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	truth, pred := make([]float64, benchPairs), make([]float64, benchPairs)
	for i := range truth {
		truth[i] = 100 + 10*rng.NormFloat64()
		pred[i] = truth[i] + rng.NormFloat64()
	}
	var r Residuals
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		j := i % benchPairs
		if err := r.Add(truth[j], pred[j]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkROCAUCScore(b *testing.B) {
	positive, scores := syntheticScores(1, 20_000, 0.3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ROCAUCScore(positive, scores); err != nil {
			b.Fatal(err)
		}
	}
}
