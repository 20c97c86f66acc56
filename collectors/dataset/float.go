package dataset

//go:generate go run gen_pow10.go

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strconv"
)

// decimal is a decimal literal split into at most 19 significant digits
// and a power of ten: value = ±mantissa × 10^exp10, where truncated says
// that nonzero digits beyond the 19th were dropped.
type decimal struct {
	mantissa  uint64
	exp10     int
	neg       bool
	truncated bool
}

// scanDecimal parses b as [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)? and reports
// whether all of b matched. It finds the digit runs first and then
// accumulates them in tight loops, which is twice as fast as one loop with
// a branch per character.
func scanDecimal(b []byte) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		d.neg = b[i] == '-'
		i++
	}
	intStart := i
	i = skipDigits(b, i)
	intDigits := b[intStart:i]
	var fracDigits []byte
	if i < len(b) && b[i] == '.' {
		fracStart := i + 1
		i = skipDigits(b, fracStart)
		fracDigits = b[fracStart:i]
	}
	if len(intDigits)+len(fracDigits) == 0 {
		return d, false
	}
	exp := 0
	if i < len(b) && (b[i]|0x20) == 'e' {
		e, n, ok := scanExponent(b[i+1:])
		if !ok {
			return d, false
		}
		exp = e
		i += 1 + n
	}
	if i != len(b) {
		return d, false
	}
	var acc digits
	acc.add(intDigits)
	acc.add(fracDigits)
	d.mantissa, d.truncated = acc.mantissa, acc.truncated
	if d.mantissa != 0 {
		d.exp10 = exp - len(fracDigits) + acc.dropped
	}
	return d, true
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	return i
}

// digits accumulates the first 19 significant digits of a digit string
// into a mantissa and counts the rest.
type digits struct {
	mantissa  uint64
	kept      int
	dropped   int
	truncated bool
}

func (a *digits) add(digs []byte) {
	if a.kept == 0 {
		for len(digs) > 0 && digs[0] == '0' {
			digs = digs[1:]
		}
	}
	take := min(19-a.kept, len(digs))
	head := digs[:take]
	for len(head) >= 8 {
		a.mantissa = a.mantissa*100_000_000 + eightDigits(head)
		head = head[8:]
	}
	for _, c := range head {
		a.mantissa = a.mantissa*10 + uint64(c-'0')
	}
	a.kept += take
	for _, c := range digs[take:] {
		if c != '0' {
			a.truncated = true
		}
	}
	a.dropped += len(digs) - take
}

// scanExponent parses [+-]?d+ at the start of b, saturating at ±10000,
// beyond which every float64 is zero or infinite anyway.
func scanExponent(b []byte) (e, n int, ok bool) {
	sign := 1
	if n < len(b) && (b[n] == '+' || b[n] == '-') {
		if b[n] == '-' {
			sign = -1
		}
		n++
	}
	start := n
	for ; n < len(b) && isDigit(b[n]); n++ {
		if e < 10000 {
			e = e*10 + int(b[n]-'0')
		}
	}
	return sign * e, n, n > start
}

// float returns d's value rounded to the nearest float64, or false when
// the fast algorithms cannot decide and strconv must.
func (d decimal) float() (float64, bool) {
	if !d.truncated {
		if f, ok := d.exact(); ok {
			return f, true
		}
		return eiselLemire(d.mantissa, d.exp10, d.neg)
	}
	// The true mantissa lies between mantissa and mantissa+1; if both
	// round to the same float, that float is the answer.
	f, ok := eiselLemire(d.mantissa, d.exp10, d.neg)
	if !ok {
		return 0, false
	}
	g, ok := eiselLemire(d.mantissa+1, d.exp10, d.neg)
	return f, ok && f == g
}

// eightDigits returns the value of the eight ASCII digits at the start of
// b, combining them pairwise in one register (the SWAR method of
// Lemire's fast_float) instead of in a chain of eight multiplications.
func eightDigits(b []byte) uint64 {
	v := binary.LittleEndian.Uint64(b) - 0x3030303030303030
	v = v*10 + v>>8
	return ((v&0x000000FF000000FF)*(100+1000000<<32) +
		(v>>16&0x000000FF000000FF)*(1+10000<<32)) >> 32
}

// exactPow10 are the powers of ten that float64 represents exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// exact handles a mantissa and power of ten that are both exact float64
// values, where one correctly rounded multiplication or division gives the
// correctly rounded result (Clinger's fast path).
func (d decimal) exact() (float64, bool) {
	if d.mantissa>>53 != 0 {
		return 0, false
	}
	f := float64(d.mantissa)
	if d.neg {
		f = -f
	}
	switch {
	case d.exp10 == 0:
		return f, true
	case d.exp10 > 0 && d.exp10 <= 22:
		return f * exactPow10[d.exp10], true
	case d.exp10 < 0 && d.exp10 >= -22:
		return f / exactPow10[-d.exp10], true
	}
	return 0, false
}

// eiselLemire converts ±man × 10^exp10 to the nearest float64 with the
// Eisel-Lemire algorithm (https://nigeltao.github.io/blog/2020/eisel-lemire.html),
// following Go's strconv step by step. It gives up (ok false) on the rare
// inputs that need more than 128 bits of 10^exp10, and on subnormal and
// overflowing results.
func eiselLemire(man uint64, exp10 int, neg bool) (float64, bool) {
	if man == 0 {
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	if exp10 < pow10MinExp10 || exp10 > pow10MaxExp10 {
		return 0, false
	}
	pow := pow10Table[exp10-pow10MinExp10]
	clz := bits.LeadingZeros64(man)
	man <<= uint(clz)
	// 1 + floor(exp10 × log2(10)) is the binary exponent of pow; 1023 is
	// the float64 exponent bias.
	retExp2 := uint64((exp10*108853)>>15+1+63+1023) - uint64(clz)

	xHi, xLo := bits.Mul64(man, pow[1])
	if xHi&0x1FF == 0x1FF && xLo+man < man {
		yHi, yLo := bits.Mul64(man, pow[0])
		mergedHi, mergedLo := xHi, xLo+yHi
		if mergedLo < xLo {
			mergedHi++
		}
		if mergedHi&0x1FF == 0x1FF && mergedLo+1 == 0 && yLo+man < man {
			return 0, false
		}
		xHi, xLo = mergedHi, mergedLo
	}

	msb := xHi >> 63
	retMantissa := xHi >> (msb + 9)
	retExp2 -= 1 ^ msb
	if xLo == 0 && xHi&0x1FF == 0 && retMantissa&3 == 1 {
		return 0, false // Exactly half-way between two floats.
	}
	retMantissa += retMantissa & 1
	retMantissa >>= 1
	if retMantissa>>53 > 0 {
		retMantissa >>= 1
		retExp2++
	}
	if retExp2-1 >= 0x7FF-1 {
		return 0, false // Subnormal, or beyond the float64 range.
	}
	retBits := retExp2<<52 | retMantissa&(1<<52-1)
	if neg {
		retBits |= 1 << 63
	}
	return math.Float64frombits(retBits), true
}

// parseDecimal converts a decimal literal, which must match scanDecimal,
// with the fast algorithms when they decide and strconv otherwise.
func parseDecimal(b []byte, d decimal) float64 {
	if f, ok := d.float(); ok {
		return f
	}
	f, _ := strconv.ParseFloat(string(b), 64) // Out of range gives ±Inf.
	return f
}
