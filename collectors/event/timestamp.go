package event

import (
	"math"
	"time"
)

// Unix times: a number below unixMillisFrom is in seconds, and from there
// up to unixLimit in milliseconds. 1e11 seconds is in the year 5138 while
// 1e11 milliseconds is in 1973, so the two ranges cannot be confused for
// any event time since then; both end in the year 5138.
const (
	unixMillisFrom = 1e11
	unixLimit      = 1e14
)

// parseRFC3339 parses an RFC 3339 timestamp as time.RFC3339Nano writes it:
// 2006-01-02T15:04:05, an optional fraction of any length (digits beyond
// nanoseconds are dropped), then Z or a ±hh:mm offset. It accepts what
// time.Parse(time.RFC3339, s) accepts in this shape, and returns the time in
// UTC without allocating.
func parseRFC3339(s []byte) (time.Time, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") {
		return time.Time{}, false
	}
	ok := s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':'
	year := digits(s[0:4], 0, 9999, &ok)
	month := digits(s[5:7], 1, 12, &ok)
	day := digits(s[8:10], 1, 31, &ok)
	hour := digits(s[11:13], 0, 23, &ok)
	minute := digits(s[14:16], 0, 59, &ok)
	sec := digits(s[17:19], 0, 59, &ok)
	if !ok || day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	s = s[19:]
	nsec := 0
	if len(s) >= 2 && s[0] == '.' && isDigit(s[1]) {
		n := 1
		for ; n < len(s) && isDigit(s[n]); n++ {
			if n <= 9 {
				nsec = nsec*10 + int(s[n]-'0')
			}
		}
		for i := n; i <= 9; i++ {
			nsec *= 10
		}
		s = s[n:]
	}
	offset := 0
	switch {
	case len(s) == 1 && s[0] == 'Z':
	case len(s) == len("+07:00") && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		offset = (digits(s[1:3], 0, 23, &ok)*60 + digits(s[4:6], 0, 59, &ok)) * 60
		if s[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	if !ok {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// digits parses the decimal digits of b within [lo, hi], or clears ok.
func digits(b []byte, lo, hi int, ok *bool) int {
	x := 0
	for _, c := range b {
		if !isDigit(c) {
			*ok = false
			return lo
		}
		x = x*10 + int(c-'0')
	}
	if x < lo || x > hi {
		*ok = false
		return lo
	}
	return x
}

// daysIn returns the number of days in month m of year y.
func daysIn(m time.Month, y int) int {
	if m == time.February {
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 31 - int(m-1)%7%2
}

// unixTime returns the time of a Unix timestamp in seconds or milliseconds
// (see unixMillisFrom), or false outside [0, unixLimit). A literal without
// exponent converts exactly, to the nanosecond (digits beyond are
// dropped); one with an exponent goes through float64.
func unixTime(dec decimal, lit []byte) (time.Time, bool) {
	v, _ := toFloat(dec, lit)
	if !(v >= 0 && v < unixLimit) {
		return time.Time{}, false
	}
	millis := v >= unixMillisFrom
	if lit[0] == '-' { // -0
		lit = lit[1:]
	}
	var whole, frac int64
	fracDigits := 9
	if millis {
		fracDigits = 6
	}
	i := 0
	for ; i < len(lit) && isDigit(lit[i]); i++ {
		whole = whole*10 + int64(lit[i]-'0')
	}
	switch {
	case i == len(lit):
	case lit[i] == '.':
		n := 0
		for i++; i < len(lit) && isDigit(lit[i]); i++ {
			if n < fracDigits {
				frac = frac*10 + int64(lit[i]-'0')
				n++
			}
		}
		for ; n < fracDigits; n++ {
			frac *= 10
		}
	}
	if i < len(lit) { // an exponent
		if millis {
			v /= 1000
		}
		sec := math.Floor(v)
		return time.Unix(int64(sec), int64(math.Round((v-sec)*1e9))).UTC(), true
	}
	if millis {
		return time.Unix(whole/1000, (whole%1000)*1e6+frac).UTC(), true
	}
	return time.Unix(whole, frac).UTC(), true
}
