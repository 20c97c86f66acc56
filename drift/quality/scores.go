package quality

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// DefaultScoreCapacity is a reasonable bound on the (score, outcome) pairs a
// Scores keeps for ROC AUC: 900 KB when full, and an exact AUC for windows
// of up to that many pairs.
const DefaultScoreCapacity = 100_000

// Scores accumulates (outcome, score) pairs of a binary classifier for the
// ScoreKind metrics.
//
// Log loss and the Brier score are compensated sums over every pair, so they
// cover the whole window whatever its size; they need scores in [0, 1] and
// report an error if any pair had a score outside. ROC AUC needs the pairs
// themselves: Scores keeps at most capacity of them. Up to capacity pairs the
// AUC is exact. Past it Scores keeps a uniform random sample of the pairs
// (reservoir sampling, Vitter's algorithm R, from a generator seeded at
// construction), the AUC is an estimate from that sample, and Exact reports
// false. The estimate's standard error is that of an AUC measured on
// capacity random pairs (Hanley and McNeil): about 0.009 for 4,000 pairs
// with 30% positives, and larger when the positive class is rare.
//
// A Scores is not safe for concurrent use.
type Scores struct {
	capacity int
	rng      *rand.Rand
	seen     int64
	outside  int64 // scores that are not probabilities
	logLoss  compensated
	brier    compensated
	sample   []float64
	labels   []bool
}

// NewScores returns an empty Scores that keeps at most capacity pairs for
// ROC AUC, sampling past that with a generator seeded by seed.
func NewScores(capacity int, seed uint64) (*Scores, error) {
	if capacity < 2 {
		return nil, fmt.Errorf("scores: capacity %d is below 2", capacity)
	}
	return &Scores{
		capacity: capacity,
		rng:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}, nil
}

// Add records one pair: whether the sample is of the positive class, and the
// model's score for that class. The score must be finite.
func (s *Scores) Add(positive bool, score float64) error {
	if math.IsNaN(score) || math.IsInf(score, 0) {
		return fmt.Errorf("scores: score %v: values must be finite", score)
	}
	s.seen++
	if score >= 0 && score <= 1 {
		s.logLoss.add(logLossTerm(positive, score))
		s.brier.add(brierTerm(positive, score))
	} else {
		s.outside++
	}
	if len(s.sample) < s.capacity {
		s.reserve(1)
		s.sample = append(s.sample, score)
		s.labels = append(s.labels, positive)
		return nil
	}
	if j := s.rng.Int64N(s.seen); j < int64(s.capacity) {
		s.sample[j] = score
		s.labels[j] = positive
	}
	return nil
}

// Merge adds the pairs accumulated by o, which must be a different Scores of
// the same capacity, to s. If together they saw more pairs than capacity, s
// keeps a uniform sample of the union drawn with its own generator.
func (s *Scores) Merge(o *Scores) error {
	if o == s {
		return fmt.Errorf("scores: cannot merge into itself")
	}
	if o.capacity != s.capacity {
		return fmt.Errorf("scores: cannot merge capacity %d into capacity %d", o.capacity, s.capacity)
	}
	s.logLoss.merge(o.logLoss)
	s.brier.merge(o.brier)
	s.outside += o.outside
	total := s.seen + o.seen
	if total <= int64(s.capacity) {
		s.reserve(len(o.sample))
		s.sample = append(s.sample, o.sample...)
		s.labels = append(s.labels, o.labels...)
	} else {
		s.mergeSample(o)
	}
	s.seen = total
	return nil
}

// mergeSample replaces s's sample with capacity pairs drawn uniformly from
// the union of both windows. It draws how many come from each side as
// sampling without replacement from the two populations (s.seen and o.seen
// pairs), then takes that many at random from each side's own uniform
// sample, which always holds enough.
func (s *Scores) mergeSample(o *Scores) {
	fromS := 0
	remS, remO := s.seen, o.seen
	for range s.capacity {
		if s.rng.Int64N(remS+remO) < remS {
			fromS++
			remS--
		} else {
			remO--
		}
	}
	// A partial Fisher-Yates shuffle moves a uniform subset to the front.
	for i := range fromS {
		j := i + s.rng.IntN(len(s.sample)-i)
		s.sample[i], s.sample[j] = s.sample[j], s.sample[i]
		s.labels[i], s.labels[j] = s.labels[j], s.labels[i]
	}
	s.sample, s.labels = s.sample[:fromS], s.labels[:fromS]
	s.reserve(s.capacity - fromS)
	for _, j := range s.rng.Perm(len(o.sample))[:s.capacity-fromS] {
		s.sample = append(s.sample, o.sample[j])
		s.labels = append(s.labels, o.labels[j])
	}
}

// reserve makes room for n more pairs, doubling the buffers but never past
// capacity, so a full Scores holds exactly capacity pairs.
func (s *Scores) reserve(n int) {
	if len(s.sample)+n <= cap(s.sample) {
		return
	}
	size := min(s.capacity, max(2*cap(s.sample), len(s.sample)+n, 64))
	s.sample = append(make([]float64, 0, size), s.sample...)
	s.labels = append(make([]bool, 0, size), s.labels...)
}

// Reset empties s for the next window, keeping its memory. The generator
// continues its sequence.
func (s *Scores) Reset() {
	s.seen, s.outside = 0, 0
	s.logLoss, s.brier = compensated{}, compensated{}
	s.sample, s.labels = s.sample[:0], s.labels[:0]
}

// Count returns the number of pairs added since the last Reset.
func (s *Scores) Count() int64 {
	return s.seen
}

// Exact reports whether ROC AUC is computed from every pair rather than
// estimated from a sample.
func (s *Scores) Exact() bool {
	return s.seen <= int64(s.capacity)
}

// Value returns metric m, which must be a ScoreKind metric, over the pairs
// added so far. No pairs, or a single class among the pairs kept for
// roc_auc, return an error wrapping ErrUndefined.
func (s *Scores) Value(m Metric) (float64, error) {
	if err := checkKind(m, ScoreKind); err != nil {
		return 0, fmt.Errorf("scores: %w", err)
	}
	if s.seen == 0 {
		return 0, fmt.Errorf("%s: %w: no samples", m, ErrUndefined)
	}
	if m == ROCAUC {
		auc, err := rocAUC(s.labels, s.sample)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", m, err)
		}
		return auc, nil
	}
	if s.outside > 0 {
		return 0, fmt.Errorf("%s: %d of %d scores are not probabilities in [0, 1]", m, s.outside, s.seen)
	}
	if m == LogLoss {
		return s.logLoss.value() / float64(s.seen), nil
	}
	return brierMean(s.brier.value(), int(s.seen)), nil
}
