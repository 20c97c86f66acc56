package dataset

import "math"

// parseNumber reports whether b is a number and returns its value.
//
// A number is a decimal floating-point literal, optionally signed, with an
// optional fraction and exponent ("3", "-0.5", ".5", "1.", "6.02e23"), or one
// of the special values "NaN", "Inf" and "Infinity" in any letter case, the
// infinities optionally signed. Spaces and tabs around it are ignored.
// Hexadecimal literals and digit separators, which strconv.ParseFloat also
// accepts, are not numbers here, because the tools that write data files do
// not produce them and a value like "1_000" is more likely an identifier.
// Literals beyond the float64 range become ±Inf, and those too small to
// represent become zero, as in strconv.ParseFloat.
func parseNumber(b []byte) (float64, bool) {
	d, ok := scanDecimal(b)
	if !ok {
		b = trimBlank(b)
		if d, ok = scanDecimal(b); !ok {
			return parseSpecial(b)
		}
	}
	return parseDecimal(b, d), true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseSpecial recognises NaN and the infinities.
func parseSpecial(b []byte) (float64, bool) {
	sign := 1.0
	body := b
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		if body[0] == '-' {
			sign = -1
		}
		body = body[1:]
	}
	switch {
	case len(body) == len(b) && equalFold(body, "nan"):
		return math.NaN(), true
	case equalFold(body, "inf") || equalFold(body, "infinity"):
		return math.Inf(int(sign)), true
	}
	return 0, false
}

// equalFold reports whether b equals the lower-case ASCII word, ignoring
// case.
func equalFold(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := range b {
		if b[i]|0x20 != word[i] {
			return false
		}
	}
	return true
}

func trimBlank(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
