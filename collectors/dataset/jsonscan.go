package dataset

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The lexical half of the JSON Lines parser: numbers, strings, literals and
// values that are checked but not stored.

// number parses a JSON number, or one of the tokens NaN, Infinity and
// -Infinity.
func (s *jsonScan) number() (float64, error) {
	start := s.pos
	for _, special := range [...]string{"NaN", "Infinity", "-Infinity"} {
		if bytes.HasPrefix(s.buf[s.pos:], []byte(special)) {
			s.pos += len(special)
			x, _ := parseSpecial(s.buf[start:s.pos])
			return x, nil
		}
	}
	if s.peek() == '-' {
		s.pos++
	}
	switch {
	case s.peek() == '0':
		s.pos++
	case isDigit(s.peek()):
		s.digits()
	default:
		return 0, s.errorf("unexpected %s, want a JSON value", s.describe())
	}
	if s.peek() == '.' {
		s.pos++
		if !isDigit(s.peek()) {
			return 0, s.errorf("unexpected %s in number, want a digit", s.describe())
		}
		s.digits()
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.pos++
		if c := s.peek(); c == '+' || c == '-' {
			s.pos++
		}
		if !isDigit(s.peek()) {
			return 0, s.errorf("unexpected %s in number, want a digit", s.describe())
		}
		s.digits()
	}
	text := s.buf[start:s.pos]
	d, _ := scanDecimal(text) // JSON numbers are a subset of decimals.
	return parseDecimal(text, d), nil
}

func (s *jsonScan) digits() {
	for isDigit(s.peek()) {
		s.pos++
	}
}

// literal consumes word or reports an error.
func (s *jsonScan) literal(word string) error {
	if !bytes.HasPrefix(s.buf[s.pos:], []byte(word)) {
		return s.errorf("unexpected %s, want a JSON value", s.describe())
	}
	s.pos += len(word)
	return nil
}

// skipValue checks the value at s.pos without storing it.
func (s *jsonScan) skipValue(depth int) error {
	switch s.peek() {
	case '{', '[':
		return s.skipContainer(depth)
	case '"':
		_, err := s.str()
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		_, err := s.number()
		return err
	}
}

// skipContainer checks the array or object at s.pos.
func (s *jsonScan) skipContainer(depth int) error {
	if depth >= maxDepth {
		return s.errorf("nesting deeper than %d", maxDepth)
	}
	isObject := s.peek() == '{'
	closer := byte(']')
	if isObject {
		closer = '}'
	}
	s.pos++
	s.skipSpace()
	if s.peek() == closer {
		s.pos++
		return nil
	}
	for {
		s.skipSpace()
		if isObject {
			if err := s.skipKey(); err != nil {
				return err
			}
		}
		if err := s.skipValue(depth + 1); err != nil {
			return err
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.pos++
		case closer:
			s.pos++
			return nil
		default:
			return s.errorf("unexpected %s, want ',' or '%c'", s.describe(), closer)
		}
	}
}

// skipKey checks an object key and the colon after it.
func (s *jsonScan) skipKey() error {
	if s.peek() != '"' {
		return s.errorf("unexpected %s, want a string key", s.describe())
	}
	if _, err := s.str(); err != nil {
		return err
	}
	s.skipSpace()
	if s.peek() != ':' {
		return s.errorf("unexpected %s, want ':'", s.describe())
	}
	s.pos++
	s.skipSpace()
	return nil
}

// str parses the string at s.pos and returns its decoded bytes, which stay
// valid until the next call. Plain ASCII strings are returned in place.
func (s *jsonScan) str() ([]byte, error) {
	start := s.pos + 1
	for i := start; i < len(s.buf); i++ {
		c := s.buf[i]
		if c == '"' {
			s.pos = i + 1
			return s.buf[start:i], nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			return s.strSlow(start, i)
		}
	}
	return nil, s.errorAt(s.pos, "unterminated string")
}

// strSlow decodes a string with escapes, control characters or non-ASCII
// bytes, from start, where plain ASCII runs up to i. Like encoding/json it
// turns invalid UTF-8 bytes and unpaired surrogates into U+FFFD.
func (s *jsonScan) strSlow(start, i int) ([]byte, error) {
	out := append(s.scratch[:0], s.buf[start:i]...)
	defer func() { s.scratch = out }()
	for i < len(s.buf) {
		c := s.buf[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return out, nil
		case c < 0x20:
			return nil, s.errorAt(i, "control character %#02x in string", c)
		case c == '\\':
			var err error
			if out, i, err = s.escape(out, i); err != nil {
				return nil, err
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(s.buf[i:])
			out = utf8.AppendRune(out, r)
			i += size
		}
	}
	return nil, s.errorAt(start-1, "unterminated string")
}

// escape decodes the escape sequence at i and returns the position after
// it.
func (s *jsonScan) escape(out []byte, i int) ([]byte, int, error) {
	if i+1 >= len(s.buf) {
		return out, i, s.errorAt(i, "unterminated string")
	}
	switch c := s.buf[i+1]; c {
	case '"', '\\', '/':
		return append(out, c), i + 2, nil
	case 'b':
		return append(out, '\b'), i + 2, nil
	case 'f':
		return append(out, '\f'), i + 2, nil
	case 'n':
		return append(out, '\n'), i + 2, nil
	case 'r':
		return append(out, '\r'), i + 2, nil
	case 't':
		return append(out, '\t'), i + 2, nil
	case 'u':
		r := hex4(s.buf[i+2:])
		if r < 0 {
			return out, i, s.errorAt(i, `invalid \u escape`)
		}
		i += 6
		if utf16.IsSurrogate(r) {
			if r2 := hex4AfterU(s.buf[i:]); r2 >= 0 {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return utf8.AppendRune(out, d), i + 6, nil
				}
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(out, r), i, nil
	default:
		return out, i, s.errorAt(i, "invalid escape %q", []byte{'\\', c})
	}
}

// hex4 decodes four hex digits, or returns -1.
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
		r = r*16 + rune(c)
	}
	return r
}

// hex4AfterU decodes a \uXXXX escape at the start of b, or returns -1.
func hex4AfterU(b []byte) rune {
	if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
		return -1
	}
	return hex4(b[2:])
}

func (s *jsonScan) skipSpace() {
	for s.pos < len(s.buf) {
		switch s.buf[s.pos] {
		case ' ', '\t', '\r', '\n':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the byte at s.pos, or 0 at the end of the line.
func (s *jsonScan) peek() byte {
	if s.pos < len(s.buf) {
		return s.buf[s.pos]
	}
	return 0
}

// describe names the byte at s.pos for error messages.
func (s *jsonScan) describe() string {
	if s.pos >= len(s.buf) {
		return "end of line"
	}
	return strconv.QuoteRune(rune(s.buf[s.pos]))
}

func (s *jsonScan) errorf(format string, args ...any) error {
	return s.errorAt(s.pos, format, args...)
}

// errorAt returns a ParseError at byte offset at of the current line.
func (s *jsonScan) errorAt(at int, format string, args ...any) error {
	return &ParseError{File: s.p.file, Line: s.line, Column: at + 1, Msg: fmt.Sprintf(format, args...)}
}
