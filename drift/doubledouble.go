package drift

import "math"

// doubleDouble is an unevaluated sum hi+lo of two float64 values with
// |lo| <= ulp(hi)/2, giving about 106 bits of precision (Hida, Li and
// Bailey's QD arithmetic, as used by scipy).
type doubleDouble struct{ hi, lo float64 }

// ddFrom converts a float64 to a double-double.
func ddFrom(x float64) doubleDouble { return doubleDouble{hi: x} }

func (a doubleDouble) isZero() bool { return a.hi == 0 && a.lo == 0 }

// twoSum returns s = fl(a+b) and the rounding error e with a+b = s+e.
func twoSum(a, b float64) (float64, float64) {
	s := a + b
	c := s - a
	d := b - c
	e := s - c
	return s, (a - e) + d
}

// quickTwoSum is twoSum for |a| >= |b|.
func quickTwoSum(a, b float64) (float64, float64) {
	s := a + b
	c := s - a
	return s, b - c
}

// twoProd returns p = fl(a*b) and the rounding error e with a*b = p+e.
func twoProd(a, b float64) (float64, float64) {
	p := float64(a * b)
	return p, math.FMA(a, b, -p)
}

// ddAdd adds two double-doubles with an IEEE-style error bound.
func ddAdd(a, b doubleDouble) doubleDouble {
	s1, s2 := twoSum(a.hi, b.hi)
	t1, t2 := twoSum(a.lo, b.lo)
	s2 += t1
	s1, s2 = quickTwoSum(s1, s2)
	s2 += t2
	s1, s2 = quickTwoSum(s1, s2)
	return doubleDouble{s1, s2}
}

// ddAdd1 adds a float64 to a double-double.
func ddAdd1(a doubleDouble, b float64) doubleDouble {
	s1, s2 := twoSum(a.hi, b)
	s2 += a.lo
	s1, s2 = quickTwoSum(s1, s2)
	return doubleDouble{s1, s2}
}

// ddSub subtracts two double-doubles.
func ddSub(a, b doubleDouble) doubleDouble {
	return ddAdd(a, doubleDouble{-b.hi, -b.lo})
}

// ddMul multiplies two double-doubles.
func ddMul(a, b doubleDouble) doubleDouble {
	p1, p2 := twoProd(a.hi, b.hi)
	p2 += float64(a.hi*b.lo) + float64(a.lo*b.hi)
	p1, p2 = quickTwoSum(p1, p2)
	return doubleDouble{p1, p2}
}

// ddMul1 multiplies a double-double by a float64.
func ddMul1(a doubleDouble, b float64) doubleDouble {
	p1, e1 := twoProd(a.hi, b)
	p2, e2 := twoProd(a.lo, b)
	p1, e1 = quickTwoSum(p1, e2+p2+e1)
	return doubleDouble{p1, e1}
}

// ddMulD multiplies a float64 by a double-double.
func ddMulD(a float64, b doubleDouble) doubleDouble { return ddMul1(b, a) }

// ddDiv divides two double-doubles by long division in three steps.
func ddDiv(a, b doubleDouble) doubleDouble {
	q1 := a.hi / b.hi
	r := ddSub(a, ddMul1(b, q1))
	q2 := r.hi / b.hi
	r = ddSub(r, ddMul1(b, q2))
	q3 := r.hi / b.hi
	q1, q2 = quickTwoSum(q1, q2)
	return ddAdd1(doubleDouble{q1, q2}, q3)
}

// ddFloor rounds a double-double down to an integer.
func ddFloor(a doubleDouble) doubleDouble {
	hi := math.Floor(a.hi)
	if hi != a.hi {
		return doubleDouble{hi, 0}
	}
	hi, lo := quickTwoSum(hi, math.Floor(a.lo))
	return doubleDouble{hi, lo}
}

// ddFrexp splits a into a mantissa with 0.5 <= |hi| < 1 (or |hi| == 1 with
// a low word of opposite sign) and a binary exponent.
func ddFrexp(a doubleDouble) (doubleDouble, int) {
	man, e := math.Frexp(a.hi)
	lo := math.Ldexp(a.lo, -e)
	if math.Abs(man) == 0.5 && man*lo < 0 {
		man *= 2
		lo *= 2
		e--
	}
	return doubleDouble{man, lo}, e
}

// ddLdexp multiplies a by 2^e.
func ddLdexp(a doubleDouble, e int) doubleDouble {
	return doubleDouble{math.Ldexp(a.hi, e), math.Ldexp(a.lo, e)}
}
