package event

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// stringStop marks the bytes that end a run of plain string content: the
// closing quote, a backslash and the control characters JSON forbids.
var stringStop = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// stringFlags say what a string needs before its text can be used.
type stringFlags uint8

const (
	hasEscape    stringFlags = 1 << iota
	mayBeInvalid             // may have bytes from 0x80 on, so may be invalid UTF-8
)

// scanString checks the string at d.pos and moves past it.
func (d *Decoder) scanString() (stringFlags, error) {
	in := d.in
	i := d.pos + 1
	var flags stringFlags
	for {
		var high bool
		i, high = plainRun(in, i)
		if high {
			flags |= mayBeInvalid
		}
		if i >= len(in) {
			d.pos = len(in)
			return 0, d.syntax(`the closing '"' of a string`)
		}
		switch c := in[i]; {
		case c == '"':
			d.pos = i + 1
			return flags, nil
		case c == '\\':
			flags |= hasEscape
			if i+1 < len(in) {
				switch in[i+1] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
					i += 2
					continue
				case 'u':
					if hex4(in[min(i+2, len(in)):]) >= 0 {
						i += 6
						continue
					}
				}
			}
			d.pos = i
			return 0, d.syntax(`a valid escape`)
		default:
			d.pos = i
			return 0, d.syntax("no control characters in a string")
		}
	}
}

// Bytes repeated across a word, for plainRun.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainRun returns the position of the first byte from i on that stops
// plain string content (see stringStop), or len(in), and whether bytes from
// 0x80 on may be among those it passed. It tests eight bytes at a time: in
// each mask, the lowest set high bit marks the first byte that equals the
// quote or the backslash, or is below 0x20; higher bits may be borrows, so
// only the lowest is used. The last word may include bytes past the stop,
// which at worst reports high bytes that are not in the string.
func plainRun(in []byte, i int) (int, bool) {
	var seen uint64
	for ; i+8 <= len(in); i += 8 {
		x := binary.LittleEndian.Uint64(in[i:])
		seen |= x
		q := x ^ (ones * '"')
		b := x ^ (ones * '\\')
		m := ((q - ones) &^ q) | ((b - ones) &^ b) | ((x - ones*0x20) &^ x)
		if m &= highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3, seen&highs != 0
		}
	}
	high := seen&highs != 0
	for ; i < len(in) && !stringStop[in[i]]; i++ {
		high = high || in[i] >= utf8.RuneSelf
	}
	return i, high
}

// stringValue returns the decoded text of raw, the checked content of a
// string. Like encoding/json it turns invalid UTF-8 and unpaired surrogates
// into U+FFFD. Text that needs no change is returned in place; the rest is
// appended to the event's buffer.
func (d *Decoder) stringValue(raw []byte, flags stringFlags) []byte {
	if flags == 0 || flags == mayBeInvalid && utf8.Valid(raw) {
		return raw
	}
	start := len(d.text)
	d.text = unescape(d.text, raw)
	return d.text[start:len(d.text):len(d.text)]
}

// unescape appends the decoded text of raw, the checked content of a
// string, to dst.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			var r rune
			r, i = escapeAt(raw, i)
			dst = utf8.AppendRune(dst, r)
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			dst = utf8.AppendRune(dst, r)
			i += size
		}
	}
	return dst
}

// escapeAt decodes the checked escape at raw[i] and returns the position
// after it. A surrogate pair is one rune; an unpaired surrogate is U+FFFD.
func escapeAt(raw []byte, i int) (rune, int) {
	switch c := raw[i+1]; c {
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	case 'u':
	default:
		return rune(c), i + 2
	}
	r := hex4(raw[i+2:])
	i += 6
	if !utf16.IsSurrogate(r) {
		return r, i
	}
	if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
		if d := utf16.DecodeRune(r, hex4(raw[i+2:])); d != utf8.RuneError {
			return d, i + 6
		}
	}
	return utf8.RuneError, i
}

// hex4 decodes four hex digits at the start of b, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}
