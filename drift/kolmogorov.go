package drift

import (
	"math"
	"slices"
)

// Scaling constants of scipy's Kolmogorov code: intermediate results are
// rescaled by 2^128 to stay clear of overflow and underflow.
const (
	kolmScaleExp = 128
	kolmScale    = 0x1p128
	kolmUnscale  = 0x1p-128
)

// kolmogorovSF returns P(D_n >= x) for the two-sided one-sample Kolmogorov
// statistic, scipy.stats.kstwo.sf(x, n). It follows the algorithm selection
// of Simard and L'Ecuyer (2011) exactly as scipy's _kolmogn does:
// Ruben-Gambino closed forms at the edges, twice the one-sided Smirnov tail
// where the two one-sided events are disjoint or nearly so, and otherwise one
// minus the CDF from the Durbin matrix (Marsaglia-Tsang-Wang), the Pomeranz
// recursion or the Pelz-Good expansion.
func kolmogorovSF(n int, x float64) float64 {
	if n < 1 || math.IsNaN(x) {
		return math.NaN()
	}
	fn := float64(n)
	if x <= 0.5/fn {
		return 1
	}
	if x >= 1 {
		return 0
	}
	t := fn * x
	if t <= 0.5 {
		return 1
	}
	if t <= 1 {
		return clamp01(1 - kolmogorovRubenGambinoCDF(n, t))
	}
	if t >= fn-1 {
		return clamp01(2 * math.Pow(1-x, fn))
	}
	if x >= 0.5 {
		return clamp01(2 * smirnovSF(n, x))
	}
	nxsquared := t * x
	if n <= 140 {
		switch {
		case nxsquared <= 0.754693:
			return clamp01(1 - kolmogorovDurbinCDF(n, x))
		case nxsquared <= 4:
			return clamp01(1 - kolmogorovPomeranzCDF(n, x))
		default:
			return clamp01(2 * smirnovSF(n, x))
		}
	}
	if nxsquared >= 370 {
		return 0
	}
	if nxsquared >= 2.2 {
		return clamp01(2 * smirnovSF(n, x))
	}
	if n <= 100000 && fn*math.Pow(x, 1.5) <= 1.4 {
		return clamp01(1 - kolmogorovDurbinCDF(n, x))
	}
	return clamp01(1 - kolmogorovPelzGoodCDF(n, x))
}

// kolmogorovRubenGambinoCDF returns P(D_n <= t/n) = n!/n^n (2t-1)^n for
// 1/2 < t <= 1.
func kolmogorovRubenGambinoCDF(n int, t float64) float64 {
	if n <= 140 {
		fn, p := float64(n), 1.0
		for i := 1; i <= n; i++ {
			p *= float64(i) * (1 / fn) * (2*t - 1)
		}
		return p
	}
	return math.Exp(logFactorialOverPower(n) + float64(n)*math.Log(2*t-1))
}

// logFactorialOverPower returns log(n!/n^n) from Stirling's series, with the
// n*log(n) terms cancelled analytically.
func logFactorialOverPower(n int) float64 {
	// B_2j/(2j(2j-1)) for j = 8, 7, ..., 1.
	coeffs := [...]float64{
		-2.955065359477124183e-2, 6.4102564102564102564e-3,
		-1.9175269175269175269e-3, 8.4175084175084175084e-4,
		-5.952380952380952381e-4, 7.9365079365079365079e-4,
		-2.7777777777777777778e-3, 8.3333333333333333333e-2,
	}
	fn := float64(n)
	rn := 1 / fn
	poly := 0.0
	for _, c := range coeffs {
		poly = poly*(rn/fn) + c
	}
	return math.Log(fn)/2 - fn + math.Log(2*math.Pi)/2 + rn*poly
}

// kolmogorovDurbinCDF returns P(D_n <= d) with Durbin's matrix method in the
// form of Marsaglia, Tsang and Wang (2003): write d = (k-h)/n and take the
// k-th diagonal entry of n!/n^n * H^n, rescaling powers of H by 2^128 as
// needed. Its cost is O(k^3 log n).
func kolmogorovDurbinCDF(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	nd := float64(n) * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1
	hm := durbinMatrix(m, h)
	pw := identityMatrix(m)
	expnt, hexpnt := 0, 0
	scratch := make([]float64, m*m)
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			durbinMatMul(scratch, pw, hm, m)
			pw, scratch = scratch, pw
			expnt += hexpnt
		}
		if nn/2 == 0 {
			break
		}
		durbinMatMul(scratch, hm, hm, m)
		hm, scratch = scratch, hm
		hexpnt *= 2
		if math.Abs(hm[(k-1)*m+k-1]) > kolmScale {
			for i := range hm {
				hm[i] /= kolmScale
			}
			hexpnt += kolmScaleExp
		}
	}
	p := pw[(k-1)*m+k-1]
	fn := float64(n)
	for i := 1; i <= n; i++ {
		p = float64(i) * p / fn
		if math.Abs(p) < kolmUnscale {
			p *= kolmScale
			expnt -= kolmScaleExp
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return clamp01(p)
}

// durbinMatrix builds the m-by-m matrix H of Durbin's method for the
// fractional offset h, stored row-major.
func durbinMatrix(m int, h float64) []float64 {
	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		v[j-1] = 1 - math.Pow(h, float64(j))
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] *= fac
	}
	tt := math.Pow(max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac
	hm := make([]float64, m*m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			hm[r*m+i] = w[r-i+1]
		}
	}
	for r := 0; r < m; r++ {
		hm[r*m] = v[r]
		hm[(m-1)*m+r] = v[m-1-r]
	}
	return hm
}

// identityMatrix returns the m-by-m identity matrix, row-major.
func identityMatrix(m int) []float64 {
	id := make([]float64, m*m)
	for i := 0; i < m; i++ {
		id[i*m+i] = 1
	}
	return id
}

// durbinMatMul stores a*b in dst; all three are m-by-m and row-major, and
// dst must not alias a or b.
func durbinMatMul(dst, a, b []float64, m int) {
	clear(dst)
	for i := 0; i < m; i++ {
		row := dst[i*m : (i+1)*m]
		for k := 0; k < m; k++ {
			aik := a[i*m+k]
			if aik == 0 {
				continue
			}
			for j, bkj := range b[k*m : (k+1)*m] {
				row[j] += aik * bkj
			}
		}
	}
}

// kolmogorovPomeranzCDF returns P(D_n <= x) with Pomeranz's recursion
// (1974): 2n+1 convolutions of a sliding row with truncated Poisson weights,
// rescaled by 2^128 against underflow. scipy uses it for n <= 140.
func kolmogorovPomeranzCDF(n int, x float64) float64 {
	t := float64(n) * x
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := min(f, 1-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	gpower := make([]float64, npwrs)
	twogpower := make([]float64, npwrs)
	onem2gpower := make([]float64, npwrs)
	gpower[0], twogpower[0], onem2gpower[0] = 1, 1, 1
	fn := float64(n)
	gOverN, twoGOverN, oneMinusTwoGOverN := g/fn, 2*g/fn, (1-2*g)/fn
	for m := 1; m < npwrs; m++ {
		fm := float64(m)
		gpower[m] = gpower[m-1] * gOverN / fm
		twogpower[m] = twogpower[m-1] * twoGOverN / fm
		onem2gpower[m] = onem2gpower[m-1] * oneMinusTwoGOverN / fm
	}

	v0 := make([]float64, npwrs)
	v1 := make([]float64, npwrs)
	v1[0] = 1
	v0s, v1s := 0, 0
	expnt := 0
	j1, _ := pomeranzBounds(0, n, ll, ceilf, roundf)
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		v0, v1 = v1, v0
		v0s, v1s = v1s, v0s
		clear(v1)
		var j2 int
		j1, j2 = pomeranzBounds(i, n, ll, ceilf, roundf)
		pwrs := onem2gpower
		switch {
		case i == 1 || i == 2*n+1:
			pwrs = gpower
		case i%2 == 1:
			pwrs = twogpower
		}
		ln2 := j2 - k1 + 1
		if ln2 <= 0 {
			continue
		}
		src := v0[min(k1-v0s, len(v0)):min(k1-v0s+ln2, len(v0))]
		convolveRange(v1[:j2-j1+1], src, pwrs[:ln2], j1-k1)
		if top := slices.Max(v1); top > 0 && top < kolmUnscale {
			for idx := range v1 {
				v1[idx] *= kolmScale
			}
			expnt -= kolmScaleExp
		}
		v1s = v0s + j1 - k1
	}
	ans := v1[n-v1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > kolmScale {
			ans *= kolmUnscale
			expnt += kolmScaleExp
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return clamp01(ans)
}

// pomeranzBounds returns the first and last non-zero column of row i of the
// Pomeranz recursion.
func pomeranzBounds(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		half, odd := (i+1)/2, (i+1)%2
		switch {
		case odd == 0 && half == n+1:
			j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
		case odd == 0:
			j1, j2 = half-1-ll-roundf-1, half+ll-1+ceilf-1
		default:
			j1, j2 = half-1-ll-1, half+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// convolveRange stores entries start, start+1, ... of the full discrete
// convolution of a and b in dst.
func convolveRange(dst, a, b []float64, start int) {
	for idx := range dst {
		c := start + idx
		s := 0.0
		for j := max(0, c-len(b)+1); j <= min(c, len(a)-1); j++ {
			s += a[j] * b[c-j]
		}
		dst[idx] = s
	}
}

// kolmogorovPelzGoodCDF returns the Pelz-Good (1976) approximation to
// P(D_n <= x): the Li-Chien/Korolyuk expansion in powers of 1/sqrt(n),
// transformed with Jacobi theta identities so that it converges for small
// sqrt(n)*x.
func kolmogorovPelzGoodCDF(n int, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	const (
		pi2 = math.Pi * math.Pi
		pi4 = pi2 * pi2
		pi6 = pi4 * pi2
	)
	sqrt2pi := math.Sqrt(2 * math.Pi)
	z := math.Sqrt(float64(n)) * x
	z2, z3, z4, z6 := z*z, z*z*z, z*z*z*z, math.Pow(z, 6)
	qlog := -pi2 / 8 / z2
	if qlog < -708 {
		return 0
	}
	q := math.Exp(qlog)

	k1a, k1b := -z2, pi2/4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)

	var k0to3 [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2, m4, m6 := m*m, m*m*m*m, math.Pow(m, 6)
		qpower := math.Pow(q, float64(8*k))
		coeffs := [4]float64{
			1,
			k1a + k1b*m2,
			k2a + k2b*m2 + k2c*m4,
			k3a + k3b*m2 + k3c*m4 + k3d*m6,
		}
		for i := range k0to3 {
			k0to3[i] = k0to3[i]*qpower + coeffs[i]
		}
	}
	denom := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range k0to3 {
		k0to3[i] = k0to3[i] * q * sqrt2pi / denom[i]
	}

	q = math.Exp(-pi2 / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		fk := float64(k)
		qk := math.Pow(q, fk*fk)
		k2extra += fk * fk * qk
		kpi := math.Pi * fk
		k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * fk * fk * qk
	}
	k0to3[2] += k2extra * pi2 * sqrt2pi / (-36 * z3)
	k0to3[3] += k3extra * pi2 * sqrt2pi / (216 * z6)
	sum := 0.0
	for i, v := range k0to3 {
		sum += v / math.Pow(float64(n), float64(i)/2)
	}
	return sum
}
