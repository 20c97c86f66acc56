package event

import "strconv"

// decimal is a JSON number as scanned: value = ±mantissa × 10^exp10 when
// exact; with more than 19 significant digits it is not exact and only the
// literal text gives the value.
type decimal struct {
	mantissa uint64
	exp10    int
	neg      bool
	exact    bool
}

// maxExp10 caps the exponent that number accumulates, far beyond float64's
// range, so that huge exponents cannot overflow an int.
const maxExp10 = 1 << 20

// number checks the JSON number at d.pos, moves past it and returns its
// parts in dec.
func (d *Decoder) number(dec *decimal) error {
	in := d.in
	i := d.pos
	*dec = decimal{exact: true}
	if i < len(in) && in[i] == '-' {
		dec.neg = true
		i++
	}
	digits := 0 // significant digits in the mantissa
	switch {
	case i < len(in) && in[i] == '0':
		i++
	case i < len(in) && '1' <= in[i] && in[i] <= '9':
		for ; i < len(in) && isDigit(in[i]); i++ {
			if digits < 19 {
				dec.mantissa = dec.mantissa*10 + uint64(in[i]-'0')
				digits++
			} else {
				dec.exp10++
				dec.exact = dec.exact && in[i] == '0'
			}
		}
	default:
		want := "a JSON value"
		if dec.neg {
			want = "a digit"
		}
		d.pos = i
		return d.syntax(want)
	}
	if i < len(in) && in[i] == '.' {
		i++
		if i >= len(in) || !isDigit(in[i]) {
			d.pos = i
			return d.syntax("a digit")
		}
		for ; i < len(in) && isDigit(in[i]); i++ {
			switch {
			case digits < 19 && (digits > 0 || in[i] != '0'):
				dec.mantissa = dec.mantissa*10 + uint64(in[i]-'0')
				digits++
				dec.exp10--
			case digits == 0: // a leading zero of the fraction
				dec.exp10--
			default:
				dec.exact = dec.exact && in[i] == '0'
			}
		}
	}
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		i++
		neg := false
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			neg = in[i] == '-'
			i++
		}
		if i >= len(in) || !isDigit(in[i]) {
			d.pos = i
			return d.syntax("a digit")
		}
		e := 0
		for ; i < len(in) && isDigit(in[i]); i++ {
			if e < maxExp10 {
				e = e*10 + int(in[i]-'0')
			}
		}
		if neg {
			e = -e
		}
		dec.exp10 += e
	}
	d.pos = i
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// exactPow10 holds the powers of ten that float64 represents exactly.
var exactPow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// toFloat returns the value of the number whose literal text is lit, and
// false when it overflows float64. Most numbers in events have few digits
// and a small exponent, and take the exact fast path: a mantissa below 2^53
// and a power of ten below 10^23 are both exact in float64, so one
// multiplication or division rounds correctly. The rest go to
// strconv.ParseFloat, which allocates only for literals longer than 32
// bytes.
func toFloat(dec decimal, lit []byte) (float64, bool) {
	if dec.exact && dec.mantissa < 1<<53 && -22 <= dec.exp10 && dec.exp10 <= 22 {
		f := float64(dec.mantissa)
		if dec.exp10 >= 0 {
			f *= exactPow10[dec.exp10]
		} else {
			f /= exactPow10[-dec.exp10]
		}
		if dec.neg {
			f = -f
		}
		return f, true
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	return f, err == nil
}
