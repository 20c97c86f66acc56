package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// defaultChunkSize is the size of the chunks handed to parsing workers:
// large enough that per-chunk overhead vanishes, small enough that a few
// chunks in flight per worker keep memory low.
const defaultChunkSize = 4 << 20

// firstChunkSize is the size of the first chunk; later chunks double up to
// the chunk size, so small inputs do not pay for large buffers.
const firstChunkSize = 64 << 10

// chunk is a run of whole records from the input.
type chunk struct {
	seq  int // position among the chunks sent to parsers
	line int // line number of the chunk's first byte
	data []byte
}

// splitter cuts the input into chunks of whole records. For CSV it cuts
// only at newlines outside quoted fields; JSON Lines has no quoting across
// lines, so any newline will do.
type splitter struct {
	r      io.Reader
	name   string
	size   int // the size of the next new buffer
	max    int // the size buffers grow to
	quoted bool
	carry  []byte
	line   int
	first  bool
	eof    bool
	free   chan []byte
}

func newSplitter(r io.Reader, name string, size int, quoted bool, free chan []byte) *splitter {
	return &splitter{r: r, name: name, size: min(firstChunkSize, size), max: size, quoted: quoted, line: 1, first: true, free: free}
}

// next returns the next chunk, or io.EOF after the last one.
func (s *splitter) next() (chunk, error) {
	if s.eof && len(s.carry) == 0 {
		return chunk{}, io.EOF
	}
	buf := s.buffer()
	buf = append(buf, s.carry...)
	for {
		var err error
		buf, err = s.fill(buf)
		if err != nil {
			return chunk{}, err
		}
		cut := s.cut(buf)
		if cut < 0 && !s.eof {
			buf = grow(buf)
			continue
		}
		if cut < 0 {
			cut = len(buf)
		}
		s.carry = append(s.carry[:0], buf[cut:]...)
		c := chunk{line: s.line, data: buf[:cut]}
		s.line += bytes.Count(c.data, []byte{'\n'})
		if s.first {
			c.data = bytes.TrimPrefix(c.data, []byte("\uFEFF"))
			s.first = false
		}
		return c, nil
	}
}

// buffer returns an empty buffer, reusing one a worker has finished with.
func (s *splitter) buffer() []byte {
	select {
	case b := <-s.free:
		return b[:0]
	default:
		b := make([]byte, 0, s.size)
		s.size = min(2*s.size, s.max)
		return b
	}
}

// fill reads until buf is full or the input ends.
func (s *splitter) fill(buf []byte) ([]byte, error) {
	for !s.eof && len(buf) < cap(buf) {
		n, err := s.r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
		case err != nil:
			return nil, fmt.Errorf("read %s: %w", s.name, err)
		}
	}
	return buf, nil
}

// cut returns the end of the last whole record in buf, or -1 if buf holds
// none. At end of input the whole of buf is a record.
func (s *splitter) cut(buf []byte) int {
	if s.eof {
		return len(buf)
	}
	if !s.quoted {
		if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
			return i + 1
		}
		return -1
	}
	return lastUnquotedNewline(buf)
}

// lastUnquotedNewline returns the position after the last newline outside
// double quotes in buf, which starts outside quotes, or -1. A doubled quote
// inside a quoted field toggles the state twice, so counting quotes is
// enough.
func lastUnquotedNewline(buf []byte) int {
	inQuote := false
	last := -1
	pos := 0
	for {
		q := bytes.IndexByte(buf[pos:], '"')
		end := len(buf)
		if q >= 0 {
			end = pos + q
		}
		if !inQuote {
			if i := bytes.LastIndexByte(buf[pos:end], '\n'); i >= 0 {
				last = pos + i + 1
			}
		}
		if q < 0 {
			return last
		}
		inQuote = !inQuote
		pos = end + 1
	}
}

// grow doubles buf's capacity, keeping its contents.
func grow(buf []byte) []byte {
	n := make([]byte, len(buf), 2*cap(buf)+1)
	copy(n, buf)
	return n
}
