package quality

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// syntheticScores returns n seeded samples with the given positive rate
// whose scores separate the classes with an AUC near 0.76.
func syntheticScores(seed uint64, n int, positiveRate float64) ([]bool, []float64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	positive, scores := make([]bool, n), make([]float64, n)
	for i := range positive {
		positive[i] = rng.Float64() < positiveRate
		scores[i] = rng.NormFloat64()
		if positive[i] {
			scores[i] += 1
		}
	}
	return positive, scores
}

func TestNewScoresErrors(t *testing.T) {
	_, err := NewScores(1, 0)
	require.EqualError(t, err, "scores: capacity 1 is below 2")
}

func TestScoresErrors(t *testing.T) {
	s, err := NewScores(10, 1)
	require.NoError(t, err)
	_, err = s.Value(ROCAUC)
	require.EqualError(t, err, "roc_auc: metric undefined: no samples")
	require.True(t, errors.Is(err, ErrUndefined))

	require.EqualError(t, s.Add(true, math.NaN()), "scores: score NaN: values must be finite")
	require.Equal(t, int64(0), s.Count(), "rejected pairs are not counted")

	require.NoError(t, s.Add(true, 0.7))
	require.NoError(t, s.Add(true, 0.2))
	_, err = s.Value(ROCAUC)
	require.EqualError(t, err, "roc_auc: metric undefined: only one class present (2 positive of 2)")
	require.True(t, errors.Is(err, ErrUndefined))

	// A logit is a fine score for ROC AUC but not a probability.
	require.NoError(t, s.Add(false, -1.5))
	got, err := s.Value(ROCAUC)
	require.NoError(t, err)
	require.Equal(t, 1.0, got)
	_, err = s.Value(LogLoss)
	require.EqualError(t, err, "log_loss: 1 of 3 scores are not probabilities in [0, 1]")
	_, err = s.Value(Brier)
	require.EqualError(t, err, "brier: 1 of 3 scores are not probabilities in [0, 1]")
	_, err = s.Value(MAE)
	require.EqualError(t, err, "scores: mae needs regression inputs, not scores")

	require.EqualError(t, s.Merge(s), "scores: cannot merge into itself")
	other, err := NewScores(20, 1)
	require.NoError(t, err)
	require.EqualError(t, s.Merge(other), "scores: cannot merge capacity 20 into capacity 10")
}

func TestScoresReset(t *testing.T) {
	positive, scores := syntheticScores(3, 400, 0.5)
	s, err := NewScores(1000, 3)
	require.NoError(t, err)
	for i := range 100 {
		require.NoError(t, s.Add(!positive[i], 1-scores[i]))
	}
	s.Reset()
	require.Equal(t, int64(0), s.Count())
	for i := range positive {
		require.NoError(t, s.Add(positive[i], scores[i]))
	}
	want, err := ROCAUCScore(positive, scores)
	require.NoError(t, err)
	got, err := s.Value(ROCAUC)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.True(t, s.Exact())
}

// TestScoresReservoir checks that past its capacity a Scores keeps a
// uniform sample: the AUC estimate is close to the exact value, and the
// sample's class mix follows the whole stream even when the stream is
// sorted by class.
func TestScoresReservoir(t *testing.T) {
	const n, capacity = 40_000, 4_000
	positive, scores := syntheticScores(5, n, 0.3)
	exact, err := ROCAUCScore(positive, scores)
	require.NoError(t, err)

	s, err := NewScores(capacity, 42)
	require.NoError(t, err)
	for i := range positive {
		require.NoError(t, s.Add(positive[i], scores[i]))
	}
	require.False(t, s.Exact())
	require.Equal(t, int64(n), s.Count())
	require.Len(t, s.sample, capacity)
	estimate, err := s.Value(ROCAUC)
	require.NoError(t, err)
	// The standard error at this sample size is about 0.008.
	require.InDelta(t, exact, estimate, 0.03)

	again, err := NewScores(capacity, 42)
	require.NoError(t, err)
	for i := range positive {
		require.NoError(t, again.Add(positive[i], scores[i]))
	}
	repeat, err := again.Value(ROCAUC)
	require.NoError(t, err)
	require.Equal(t, estimate, repeat, "same seed, same sample")

	// All positives first, then all negatives: keeping the first pairs
	// would hold no negatives at all.
	sorted, err := NewScores(capacity, 9)
	require.NoError(t, err)
	for i := range n {
		require.NoError(t, sorted.Add(i < n/4, 0.5))
	}
	require.InDelta(t, 0.25, positiveShare(sorted), 0.03)
}

// TestScoresMergeSampled merges windows with different class mixes past
// capacity: the merged sample must weight each window by its size.
func TestScoresMergeSampled(t *testing.T) {
	const capacity = 2_000
	rich, scoresRich := syntheticScores(21, 10_000, 0.9)
	poor, scoresPoor := syntheticScores(22, 30_000, 0.1)

	a, err := NewScores(capacity, 1)
	require.NoError(t, err)
	b, err := NewScores(capacity, 2)
	require.NoError(t, err)
	for i := range rich {
		require.NoError(t, a.Add(rich[i], scoresRich[i]))
	}
	for i := range poor {
		require.NoError(t, b.Add(poor[i], scoresPoor[i]))
	}
	require.NoError(t, a.Merge(b))
	require.Equal(t, int64(40_000), a.Count())
	require.Len(t, a.sample, capacity)
	require.Len(t, b.sample, capacity, "merge leaves its argument alone")
	// 9,000 + 3,000 positives of 40,000; a 50/50 merge would give 0.5.
	require.InDelta(t, 0.3, positiveShare(a), 0.04)

	exact, err := ROCAUCScore(append(rich, poor...), append(scoresRich, scoresPoor...))
	require.NoError(t, err)
	estimate, err := a.Value(ROCAUC)
	require.NoError(t, err)
	require.InDelta(t, exact, estimate, 0.04)

	// The streaming sums stay exact however the sample was drawn.
	probs := make([]float64, len(scoresRich))
	c, err := NewScores(capacity, 3)
	require.NoError(t, err)
	d, err := NewScores(capacity, 4)
	require.NoError(t, err)
	for i, x := range scoresRich {
		probs[i] = 1 / (1 + math.Exp(-x))
		if i%2 == 0 {
			require.NoError(t, c.Add(rich[i], probs[i]))
		} else {
			require.NoError(t, d.Add(rich[i], probs[i]))
		}
	}
	require.NoError(t, c.Merge(d))
	want, err := BinaryLogLoss(rich, probs)
	require.NoError(t, err)
	got, err := c.Value(LogLoss)
	require.NoError(t, err)
	requireClose(t, want, got)
}

func positiveShare(s *Scores) float64 {
	pos := 0
	for _, p := range s.labels {
		if p {
			pos++
		}
	}
	return float64(pos) / float64(len(s.labels))
}

func TestScoresMemoryBound(t *testing.T) {
	s, err := NewScores(1_000, 1)
	require.NoError(t, err)
	for i := range 5_000 {
		require.NoError(t, s.Add(i%3 == 0, float64(i%100)/100))
	}
	require.Equal(t, 1_000, cap(s.sample))
	require.Equal(t, 1_000, cap(s.labels))
}
