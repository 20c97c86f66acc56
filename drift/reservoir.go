package drift

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// maxSkip caps the number of values Algorithm L may skip at once. It only
// matters when the reservoir's threshold underflows after some 2^62 values.
const maxSkip = math.MaxInt64 / 2

// Reservoir is a bounded, seeded, uniform random sample of a stream of
// float64 values. After n values it holds min(n, k) of them, and every
// k-subset of the stream is equally likely to be the sample.
//
// It uses Algorithm L (Li, "Reservoir-sampling algorithms of time complexity
// O(n(1+log(N/n)))", ACM TOMS 1994): instead of drawing a random number per
// value, it draws how many values to skip before the next replacement, so it
// makes O(k(1+log(N/k))) random draws for N values and the per-value cost is
// a counter increment and a comparison.
//
// It is written here rather than imported because no well-kept Go library
// offers what driftwatch needs together: a skip-based sampler driven by an
// explicit math/rand/v2 source, a Merge that is exact for uniform samples
// of different stream lengths, and a Reset that reuses memory.
// (github.com/lightstep/varopt, the closest, samples with Algorithm R on
// math/rand and merges only its weighted VarOpt sampler.)
//
// A Reservoir is not safe for concurrent use.
type Reservoir struct {
	k     int
	n     int64     // values seen
	items []float64 // the sample; len(items) == min(n, k)
	w     float64   // Algorithm L's threshold, valid once n >= k
	next  int64     // zero-based stream position of the next replacement
	src   *rand.PCG
	rng   *rand.Rand
}

// NewReservoir returns an empty reservoir that keeps at most k values and
// draws its randomness from a PCG generator seeded with seed. Two
// reservoirs with the same k and seed that see the same values hold the same
// sample. It panics if k < 1.
func NewReservoir(k int, seed uint64) *Reservoir {
	if k < 1 {
		panic(fmt.Sprintf("drift: reservoir capacity %d must be at least 1", k))
	}
	src := rand.NewPCG(seed, splitmix64(seed))
	return &Reservoir{k: k, src: src, rng: rand.New(src)}
}

// Cap returns the most values the reservoir keeps.
func (r *Reservoir) Cap() int { return r.k }

// Len returns the number of values the reservoir holds: min(Seen(), Cap()).
func (r *Reservoir) Len() int { return len(r.items) }

// Seen returns the number of values offered to the reservoir, including
// those that reached it through Merge.
func (r *Reservoir) Seen() int64 { return r.n }

// Values returns the sample in no particular order. The slice aliases the
// reservoir's memory: it is valid until the next Add, Merge or Reset and must
// not be modified.
func (r *Reservoir) Values() []float64 { return r.items }

// Add offers x to the reservoir.
func (r *Reservoir) Add(x float64) {
	if len(r.items) < r.k {
		r.fill(x)
		return
	}
	if r.n == r.next {
		r.items[r.rng.IntN(r.k)] = x
		r.w *= math.Exp(math.Log(r.uniform()) / float64(r.k))
		r.next += r.skip() + 1
	}
	r.n++
}

// fill appends x while the reservoir is not yet full. Memory grows by
// doubling but never beyond k values, so a reservoir that sees few values
// stays small and a full one holds exactly k.
func (r *Reservoir) fill(x float64) {
	if len(r.items) == cap(r.items) {
		r.grow(max(64, 2*cap(r.items)))
	}
	r.items = append(r.items, x)
	r.n++
	if r.n == int64(r.k) {
		r.w = math.Exp(math.Log(r.uniform()) / float64(r.k))
		r.next = r.n + r.skip()
	}
}

// grow makes room for at least want values, capped at k.
func (r *Reservoir) grow(want int) {
	want = min(want, r.k)
	if want <= cap(r.items) {
		return
	}
	items := make([]float64, len(r.items), want)
	copy(items, r.items)
	r.items = items
}

// uniform returns a uniform draw from (0, 1], safe to take the log of.
func (r *Reservoir) uniform() float64 { return 1 - r.rng.Float64() }

// skip draws how many values pass before the next replacement: a geometric
// variate with success probability w.
func (r *Reservoir) skip() int64 {
	s := math.Floor(math.Log(r.uniform()) / math.Log1p(-r.w))
	if !(s < maxSkip) { // also catches +Inf and NaN
		return maxSkip
	}
	return int64(s)
}

// Reset empties the reservoir and keeps its memory. The generator is not
// reseeded: successive uses of one reservoir draw fresh random numbers, and
// the whole sequence stays reproducible from the seed.
func (r *Reservoir) Reset() {
	r.items = r.items[:0]
	r.n, r.w, r.next = 0, 0, 0
}

// Merge folds o into r so that r becomes a uniform sample of the
// concatenation of both streams; o is not modified. Both must have the same
// capacity, and o must not be r.
//
// Each retained value of a full reservoir stands for n/k values of its
// stream, so the merged sample cannot simply keep k of the 2k values at
// random. Merge draws how many of the merged values come from each side
// from the hypergeometric distribution (m draws without replacement from
// r.Seen() values of one kind and o.Seen() of the other, m = min(k, total)),
// then takes that many values uniformly from each side's sample. A uniform
// subset of a uniform sample is a uniform sample, so the result is exact.
// Algorithm L then continues from a threshold drawn from its distribution
// after that many values, Beta(k, n-k+1). All draws come from r's
// generator, so the result is deterministic given r's seed and history.
func (r *Reservoir) Merge(o *Reservoir) error {
	if r.k != o.k {
		return fmt.Errorf("merge reservoirs: capacities differ (%d and %d)", r.k, o.k)
	}
	if r == o {
		return errors.New("merge reservoirs: cannot merge a reservoir into itself")
	}
	if o.n == 0 {
		return nil
	}
	total := r.n + o.n
	m := int(min(int64(r.k), total))
	fromR := r.hypergeometric(m, r.n, o.n)
	r.items = r.selectInPlace(r.items, fromR)
	r.grow(m)
	r.items = r.selectAppend(r.items, o.items, m-fromR)
	r.n = total
	if total >= int64(r.k) {
		beta := distuv.Beta{Alpha: float64(r.k), Beta: float64(total-int64(r.k)) + 1, Src: r.src}
		r.w = beta.Rand()
		r.next = r.n + r.skip()
	}
	return nil
}

// hypergeometric draws how many of m values taken without replacement from
// a values of one kind and b of the other are of the first kind.
func (r *Reservoir) hypergeometric(m int, a, b int64) int {
	got := 0
	for range m {
		if r.rng.Int64N(a+b) < a {
			a--
			got++
		} else {
			b--
		}
	}
	return got
}

// selectInPlace keeps a uniform random subset of want values of items,
// using selection sampling (Knuth's Algorithm S), and returns it.
func (r *Reservoir) selectInPlace(items []float64, want int) []float64 {
	kept := 0
	for i, x := range items {
		if kept == want {
			break
		}
		if r.rng.IntN(len(items)-i) < want-kept {
			items[kept] = x
			kept++
		}
	}
	return items[:kept]
}

// selectAppend appends a uniform random subset of want values of from to
// dst with selection sampling, leaving from untouched.
func (r *Reservoir) selectAppend(dst, from []float64, want int) []float64 {
	for i, x := range from {
		if want == 0 {
			break
		}
		if r.rng.IntN(len(from)-i) < want {
			dst = append(dst, x)
			want--
		}
	}
	return dst
}

// splitmix64 scrambles x. It turns one user seed into well-separated seeds
// for the generators of many features.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// streamSeed derives the seed of stream i (a feature's position) from seed.
func streamSeed(seed uint64, i int) uint64 {
	return splitmix64(seed ^ splitmix64(uint64(i)+1))
}
