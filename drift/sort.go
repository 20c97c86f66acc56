package drift

import (
	"math"
	"slices"
)

// radixSortMin is the sample size from which sortedCopy uses a radix sort;
// below it the eight counting passes cost more than a comparison sort.
const radixSortMin = 512

// sortedCopy returns an ascending copy of x with any NaN first, the order
// slices.Sort produces (except that -0 sorts before +0, which no statistic
// distinguishes).
func sortedCopy(x []float64) []float64 {
	var s radixSorter
	return s.sort(nil, x)
}

// radixSorter sorts float64 samples with a least-significant-digit radix sort
// on order-preserving 64-bit keys, about three times faster than a comparison
// sort for samples of 10000 values. It keeps its key buffers between calls,
// so a long-lived sorter (one per Evaluator) sorts without allocating. The
// zero value is ready to use.
type radixSorter struct {
	keys, tmp []uint64
}

// sort appends x to dst[:0] in ascending order with any NaN first and
// returns the result; x is not modified. NaN gets the smallest key.
func (s *radixSorter) sort(dst, x []float64) []float64 {
	dst = append(dst[:0], x...)
	if len(x) < radixSortMin {
		slices.Sort(dst)
		return dst
	}
	keys := slices.Grow(s.keys[:0], len(x))[:len(x)]
	tmp := slices.Grow(s.tmp[:0], len(x))[:len(x)]
	for i, v := range x {
		b := math.Float64bits(v)
		switch {
		case v != v:
			b = 0
		case b>>63 == 1:
			b = ^b
		default:
			b |= 1 << 63
		}
		keys[i] = b
	}
	var count [256]int
	for shift := uint(0); shift < 64; shift += 8 {
		clear(count[:])
		for _, k := range keys {
			count[(k>>shift)&0xff]++
		}
		if count[(keys[0]>>shift)&0xff] == len(keys) {
			continue // every key has this digit
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for _, k := range keys {
			d := (k >> shift) & 0xff
			tmp[count[d]] = k
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	for i, b := range keys {
		if b>>63 == 1 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		dst[i] = math.Float64frombits(b)
	}
	s.keys, s.tmp = keys, tmp
	return dst
}
