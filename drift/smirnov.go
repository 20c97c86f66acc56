package drift

import "math"

// Constants of the one-sided Smirnov computation, as in scipy's xsf library.
const (
	// smirnovMaxComputeN is the largest n summed exactly; beyond it a
	// closed-form approximation is used.
	smirnovMaxComputeN = 1000000
	// smirnovUpperMaxTerms and smirnovUpperMinN decide when the short upper
	// sum replaces the lower one.
	smirnovUpperMaxTerms = 3
	smirnovUpperMinN     = 10
	// smirnovMaxExponent bounds the binary exponent of intermediate powers.
	smirnovMaxExponent = 960
	// smirnovMinLog is log(2^-1075): exp of anything smaller is zero.
	smirnovMinLog = -7.451332191019412076235245305675398106812e2
)

// smirnovSF returns P(D+_n >= x), the survival function of the one-sided
// one-sample Kolmogorov-Smirnov statistic, scipy.special.smirnov(n, x). It
// sums the Birnbaum-Tingey series in double-double arithmetic with a
// separately tracked binary exponent, like scipy's xsf implementation, so the
// tail stays accurate for n in the hundreds of thousands.
func smirnovSF(n int, x float64) float64 {
	if !(n > 0 && x >= 0 && x <= 1) {
		return math.NaN()
	}
	switch {
	case n == 1:
		return 1 - x
	case x == 0:
		return 1
	case x == 1:
		return 0
	}
	alpha, nxfl := smirnovModNX(n, x)
	n1mxfl := n - nxfl
	if alpha != 0 {
		n1mxfl--
	}
	n1mxceil := n - nxfl
	if alpha == 0 {
		n1mxfl--
		n1mxceil++
	}
	fn := float64(n)
	if nxfl == 0 || (nxfl == 1 && alpha == 0) {
		return 1 - x*ddPowInt(ddAdd1(ddFrom(1), x), n-1).hi
	}
	if float64(-2*n)*x*x < smirnovMinLog {
		return 0
	}
	if nxfl >= n-1 {
		return ddPowInt(ddAdd1(ddFrom(1), -x), n).hi
	}
	if n > smirnovMaxComputeN {
		logp := -math.Pow(6*fn*x+1, 2) / 18 / fn
		if logp < -math.Ln2 {
			return math.Exp(logp)
		}
		return 1 - -math.Expm1(logp)
	}
	nUpperTerms := n - n1mxceil + 1
	upper := (nUpperTerms <= 1 && x < 0.5) ||
		(n >= smirnovUpperMinN && nUpperTerms <= smirnovUpperMaxTerms && x <= 0.5/math.Sqrt(fn))
	sum := smirnovSum(n, x, n1mxfl, n1mxceil, upper)
	prob := ddMul1(sum, x).hi
	if upper {
		return clamp01(1 - prob)
	}
	return clamp01(prob)
}

// smirnovSum adds the terms A_v = C(n,v) (1-x-v/n)^(n-v) (x+v/n)^(v-1) of
// the lower sum (v = 0, 1, ...) or the upper sum (v = n, n-1, ...), stopping
// once the remaining terms cannot change the double-double total.
func smirnovSum(n int, x float64, n1mxfl, n1mxceil int, upper bool) doubleDouble {
	start, step, nTerms := 0, 1, n1mxfl+1
	var aj doubleDouble
	if upper {
		start, step, nTerms = n, -1, n-n1mxceil+1
		aj = ddPow4(1, x, 1, 0, n-1)
	} else {
		aj = ddDiv(ddPow4(1, -x, 1, 0, n), ddFrom(x))
	}
	sum := aj
	cman, cexpt := ddFrom(1), 0
	cman, cexpt = smirnovNextBinomial(cman, cexpt, n, 0)
	vmid := n / 2
	for j := 1; j < nTerms; j++ {
		v := start + j*step
		aj = smirnovTerm(n, x, v, cman, cexpt)
		if !math.IsInf(aj.hi, 0) && !math.IsNaN(aj.hi) && !aj.isZero() {
			sum = ddAdd(sum, aj)
		}
		if !aj.isZero() {
			if 4*float64(nTerms-j)*math.Abs(aj.hi) < float64Eps*sum.hi && j != nTerms-1 {
				break
			}
		} else if j > vmid {
			break
		}
		cman, cexpt = smirnovNextBinomial(cman, cexpt, n, j)
	}
	return sum
}

// float64Eps is the spacing of float64 values just above 1.
const float64Eps = 0x1p-52

// smirnovModNX returns the fractional part alpha of n*x and floor(n*x),
// computed exactly in double-double arithmetic.
func smirnovModNX(n int, x float64) (float64, int) {
	nxD := ddMulD(float64(n), ddFrom(x))
	nxFloor := ddFloor(nxD)
	alpha := ddSub(nxD, nxFloor).hi
	nxfl := int(nxFloor.hi)
	if alpha == 1 {
		nxfl++
		alpha = 0
	}
	return alpha, nxfl
}

// smirnovNextBinomial turns C(n, j), held as a mantissa in [0.5, 1) and a
// binary exponent, into C(n, j+1).
func smirnovNextBinomial(man doubleDouble, expt, n, j int) (doubleDouble, int) {
	rat := ddDiv(ddFrom(float64(n-j)), ddFrom(float64(j)+1))
	man, e := ddFrexp(ddMul(man, rat))
	return man, expt + e
}

// smirnovTerm returns A_v(n, x) = C(n,v) (1-x-v/n)^(n-v) (x+v/n)^(v-1)
// given C(n, v) as mantissa and exponent.
func smirnovTerm(n int, x float64, v int, cman doubleDouble, cexpt int) doubleDouble {
	fn := float64(n)
	t2x := ddAdd1(ddDiv(ddFrom(float64(n-v)), ddFrom(fn)), -x)
	t2, t2e := ddPowScaled(t2x, n-v)
	t1x := ddAdd1(ddDiv(ddFrom(float64(v)), ddFrom(fn)), x)
	t1, t1e := ddPowScaled(t1x, v-1)
	ans := ddMul(ddMul(t1, t2), cman)
	return ddLdexp(ans, cexpt+t1e+t2e)
}

// ddPowScaled returns a^m as a mantissa in [0.5, 1) and a binary exponent,
// splitting the power so that no intermediate result leaves the range of
// float64.
func ddPowScaled(a doubleDouble, m int) (doubleDouble, int) {
	if m <= 0 {
		if m == 0 {
			return ddFrom(1), 0
		}
		ans, e1 := ddPowScaled(a, -m)
		inv, e2 := ddFrexp(ddDiv(ddFrom(1), ans))
		return inv, -e1 + e2
	}
	y, ye := ddFrexp(a)
	if m == 1 {
		return y, ye
	}
	maxExpt := smirnovMaxExponent
	if float64(m)*(y.hi-1)/y.hi < -smirnovMaxExponent*math.Ln2 {
		lg2y := math.Log(y.hi) / math.Ln2
		if float64(m)*lg2y <= -smirnovMaxExponent {
			maxExpt = int(smirnovNextPowerOf2(-smirnovMaxExponent/lg2y+1) / 2)
		}
	}
	if m <= maxExpt {
		ans, e := ddFrexp(ddPowInt(y, m))
		return ans, e + m*ye
	}
	q, r := m/maxExpt, m%maxExpt
	y2r, y2re := ddPowScaled(y, r)
	y2m, y2me := ddPowScaled(y, maxExpt)
	y2mq, y2mqe := ddPowScaled(y2m, q)
	ans, e := ddFrexp(ddMul(y2r, y2mq))
	y2mqe += y2me * q
	return ans, e + y2mqe + y2re + m*ye
}

// smirnovNextPowerOf2 reproduces xsf's nextPowerOf2 helper, which nudges x
// up by one unit in the last place and keeps integral results integral.
func smirnovNextPowerOf2(x float64) float64 {
	q := math.Ldexp(x, 1-53)
	l := math.Abs(q + x)
	if l == 0 {
		return math.Abs(x)
	}
	if li := float64(int(l)); li == l {
		return li
	}
	return l
}

// ddPow4 returns ((a+b)/(c+d))^m in double-double arithmetic.
func ddPow4(a, b, c, d float64, m int) doubleDouble {
	if m <= 0 {
		if m == 0 {
			return ddFrom(1)
		}
		return ddPow4(c, d, a, b, -m)
	}
	num := ddAdd1(ddFrom(a), b)
	den := ddAdd1(ddFrom(c), d)
	switch {
	case num.isZero() && den.isZero():
		return ddFrom(math.NaN())
	case num.isZero():
		return ddFrom(0)
	case den.isZero():
		return ddFrom(math.Copysign(math.Inf(1), num.hi))
	}
	return ddPowInt(ddDiv(num, den), m)
}

// ddPowInt returns a^m: the float64 power of the high word, corrected to
// first order (or through expm1/log1p) for the low word.
func ddPowInt(a doubleDouble, m int) doubleDouble {
	if m <= 0 {
		if m == 0 {
			return ddFrom(1)
		}
		return ddDiv(ddFrom(1), ddPowInt(a, -m))
	}
	if a.isZero() {
		return ddFrom(0)
	}
	ans := math.Pow(a.hi, float64(m))
	r := a.lo / a.hi
	fm := float64(m)
	adj := fm * r
	if math.Abs(adj) > 1e-8 {
		if math.Abs(adj) < 1e-4 {
			adj += (fm * r) * ((fm - 1) / 2 * r)
		} else {
			adj = math.Expm1(fm * math.Log1p(r))
		}
	}
	return ddAdd1(ddFrom(ans), float64(ans*adj))
}
