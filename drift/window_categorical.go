package drift

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultMaxUnseen bounds the distinct unseen values a categorical
// accumulator counts one by one.
const DefaultMaxUnseen = 1000

// CategoricalAccumulator gathers one window of a categorical feature
// against its reference profile. Every present value lands in one bucket:
//
//   - one of the reference's categories;
//   - other, when the reference has an other bucket (its long tail beyond
//     the top-K categories): a value outside the reference's categories
//     may belong to that tail, and the profile cannot tell, so it counts
//     here;
//   - unseen, when the reference lists every value it saw (no other
//     bucket): a value outside its categories is new. Unseen values are
//     counted one by one up to a bound; values first seen after that are
//     lumped together.
//
// The empty string counts as missing. Memory is fixed by the reference and
// the unseen bound, whatever the number of values.
//
// A CategoricalAccumulator is not safe for concurrent use.
type CategoricalAccumulator struct {
	ref       *FeatureProfile
	fp        uint64
	index     map[string]int // reference category -> position
	counts    []int64        // aligned with the reference's categories
	tailOther bool           // the reference has an other bucket

	other          int64
	unseenIndex    map[string]int // unseen value -> position in unseenValues
	unseenValues   []string
	unseenCounts   []int64
	unseenOverflow int64
	maxUnseen      int

	count, missing int64
}

// NewCategoricalAccumulator returns an empty accumulator over the
// categories of ref, which must be a categorical feature profile and must
// not change afterwards. It counts at most maxUnseen distinct unseen values
// one by one.
func NewCategoricalAccumulator(ref *FeatureProfile, maxUnseen int) (*CategoricalAccumulator, error) {
	if ref.Type != Categorical {
		return nil, fmt.Errorf("categorical accumulator for %q: feature type is %q", ref.Name, ref.Type)
	}
	if len(ref.Counts) != len(ref.Categories) {
		return nil, fmt.Errorf("categorical accumulator for %q: reference has %d counts for %d categories", ref.Name, len(ref.Counts), len(ref.Categories))
	}
	if maxUnseen < 1 {
		return nil, fmt.Errorf("categorical accumulator for %q: unseen bound %d must be positive", ref.Name, maxUnseen)
	}
	index := make(map[string]int, len(ref.Categories))
	for i, c := range ref.Categories {
		index[c] = i
	}
	a := &CategoricalAccumulator{
		ref:       ref,
		fp:        ref.fingerprint(),
		index:     index,
		counts:    make([]int64, len(ref.Categories)),
		tailOther: ref.Other > 0,
		maxUnseen: maxUnseen,
	}
	if !a.tailOther {
		a.unseenIndex = make(map[string]int)
	}
	return a, nil
}

// Add observes v; the empty string counts as missing.
func (a *CategoricalAccumulator) Add(v string) {
	if v == "" {
		a.AddMissing()
		return
	}
	a.count++
	if i, ok := a.index[v]; ok {
		a.counts[i]++
		return
	}
	a.addTail(v, 1, false)
}

// AddBytes observes the value b, like Add(string(b)), without allocating
// unless b is an unseen value met for the first time.
func (a *CategoricalAccumulator) AddBytes(b []byte) {
	if len(b) == 0 {
		a.AddMissing()
		return
	}
	a.count++
	if i, ok := a.index[string(b)]; ok { // the conversion does not allocate
		a.counts[i]++
		return
	}
	if a.tailOther {
		a.other++
		return
	}
	if j, ok := a.unseenIndex[string(b)]; ok {
		a.unseenCounts[j]++
		return
	}
	a.addTail(string(b), 1, true)
}

// addTail counts n observations of v, a value outside the reference's
// categories. Unless owned, v is copied before it is kept, so that a value
// sliced from a large message does not pin the message in memory.
func (a *CategoricalAccumulator) addTail(v string, n int64, owned bool) {
	if a.tailOther {
		a.other += n
		return
	}
	if j, ok := a.unseenIndex[v]; ok {
		a.unseenCounts[j] += n
		return
	}
	if len(a.unseenValues) >= a.maxUnseen {
		a.unseenOverflow += n
		return
	}
	if !owned {
		v = strings.Clone(v)
	}
	a.unseenIndex[v] = len(a.unseenValues)
	a.unseenValues = append(a.unseenValues, v)
	a.unseenCounts = append(a.unseenCounts, n)
}

// AddMissing observes an absent or empty value.
func (a *CategoricalAccumulator) AddMissing() {
	a.count++
	a.missing++
}

// Reference returns the feature profile the accumulator compares with.
func (a *CategoricalAccumulator) Reference() *FeatureProfile { return a.ref }

// Count returns the number of observations, including missing ones.
func (a *CategoricalAccumulator) Count() int64 { return a.count }

// Missing returns the number of missing observations.
func (a *CategoricalAccumulator) Missing() int64 { return a.missing }

// Unseen returns the number of present values outside the reference's
// categories that were counted as unseen (zero when the reference has an
// other bucket).
func (a *CategoricalAccumulator) Unseen() int64 {
	return sumInt64(a.unseenCounts) + a.unseenOverflow
}

// MissingCounts compares the share of missing observations.
func (a *CategoricalAccumulator) MissingCounts() Proportion {
	return Proportion{
		ReferenceHits: a.ref.Missing, ReferenceTotal: a.ref.Count,
		CurrentHits: a.missing, CurrentTotal: a.count,
	}
}

// CategoryCounts returns the reference's and the window's counts over the
// buckets seen in either: the reference's categories in profile order, then
// other if the reference has that bucket, then each unseen value in byte
// order, then the lumped unseen values if there are any. Missing values
// are left out; see MissingCounts.
func (a *CategoricalAccumulator) CategoryCounts() CategoryCounts {
	n := len(a.counts) + 1 + len(a.unseenValues) + 1
	c := CategoryCounts{
		Buckets:       make([]Bucket, 0, n),
		AlignedCounts: AlignedCounts{Reference: make([]float64, 0, n), Current: make([]float64, 0, n)},
	}
	a.eachBucket(nil, c.add)
	return c
}

// appendCounts is CategoryCounts without the buckets, written into dst's
// vectors from length zero. order is scratch space, returned for reuse, so
// that an evaluator keeping dst and order does not allocate.
func (a *CategoricalAccumulator) appendCounts(dst AlignedCounts, order []int) (AlignedCounts, []int) {
	dst.Reference, dst.Current = dst.Reference[:0], dst.Current[:0]
	order = a.eachBucket(order, func(_ Bucket, ref, cur int64) {
		dst.Reference = append(dst.Reference, float64(ref))
		dst.Current = append(dst.Current, float64(cur))
	})
	return dst, order
}

// eachBucket calls yield with every bucket in the order CategoryCounts
// lists them, and the reference's and the window's counts in it. It sorts
// the unseen values through order, scratch space that it returns for
// reuse.
func (a *CategoricalAccumulator) eachBucket(order []int, yield func(b Bucket, ref, cur int64)) []int {
	for i, v := range a.ref.Categories {
		yield(Bucket{Kind: BucketCategory, Value: v}, a.ref.Counts[i], a.counts[i])
	}
	if a.tailOther {
		yield(Bucket{Kind: BucketOther}, a.ref.Other, a.other)
	}
	order = order[:0]
	for j := range a.unseenValues {
		order = append(order, j)
	}
	slices.SortFunc(order, func(x, y int) int { return strings.Compare(a.unseenValues[x], a.unseenValues[y]) })
	for _, j := range order {
		yield(Bucket{Kind: BucketUnseen, Value: a.unseenValues[j]}, 0, a.unseenCounts[j])
	}
	if a.unseenOverflow > 0 {
		yield(Bucket{Kind: BucketUnseenRest}, 0, a.unseenOverflow)
	}
	return order
}

// Merge adds o's observations to a, as if a had seen them too; o is not
// modified. Both must come from the same reference feature. Unseen values
// of o that do not fit under a's bound are lumped, so which unseen values
// are counted one by one depends on the order of observations and merges.
func (a *CategoricalAccumulator) Merge(o *CategoricalAccumulator) error {
	if a.fp != o.fp {
		return fmt.Errorf("merge %q: accumulators come from different reference profiles (%q)", a.ref.Name, o.ref.Name)
	}
	for i, c := range o.counts {
		a.counts[i] += c
	}
	a.other += o.other
	for j, v := range o.unseenValues {
		a.addTail(v, o.unseenCounts[j], true) // strings are immutable; sharing is safe
	}
	a.unseenOverflow += o.unseenOverflow
	a.count += o.count
	a.missing += o.missing
	return nil
}

// Reset empties the accumulator for the next window, keeping its memory.
// It does not allocate.
func (a *CategoricalAccumulator) Reset() {
	clear(a.counts)
	clear(a.unseenIndex)
	clear(a.unseenValues) // drop the strings so they can be collected
	a.unseenValues = a.unseenValues[:0]
	a.unseenCounts = a.unseenCounts[:0]
	a.other, a.unseenOverflow, a.count, a.missing = 0, 0, 0, 0
}
