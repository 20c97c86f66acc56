package dataset

import (
	"bytes"
	"fmt"
)

// csvFormat is RFC 4180 CSV with a header row.
type csvFormat struct {
	file string
}

func (f *csvFormat) quoted() bool { return true }
func (f *csvFormat) name() string { return f.file }

func (f *csvFormat) plan(categorical map[string]bool) parser {
	return &csvParser{file: f.file, categorical: categorical}
}

// csvParser holds the header and plan of one pass; they are read-only once
// header has run, so parse may run concurrently.
type csvParser struct {
	file        string
	categorical map[string]bool
	names       []string
}

func (p *csvParser) noHeader() error {
	return &ParseError{File: p.file, Line: 1, Column: 1, Msg: "no header row"}
}

// header reads the first non-blank record as column names.
func (p *csvParser) header(c chunk) (chunk, bool, error) {
	s := &csvScan{p: p, data: c.data, line: c.line, headerMode: true}
	for s.pos < len(s.data) && len(s.names) == 0 {
		if err := s.record(); err != nil {
			return c, false, err
		}
	}
	if len(s.names) == 0 {
		return chunk{seq: c.seq, line: s.line}, false, nil
	}
	seen := make(map[string]int, len(s.names))
	for i, n := range s.names {
		if j, dup := seen[n]; dup {
			return c, false, &ParseError{File: p.file, Line: s.recLine, Column: i + 1,
				Msg: fmt.Sprintf("duplicate column name %q (also column %d)", n, j+1)}
		}
		seen[n] = i
	}
	p.names = s.names
	return chunk{seq: c.seq, line: s.line, data: c.data[s.pos:]}, true, nil
}

// parse reads the records of one chunk.
func (p *csvParser) parse(c chunk) *part {
	s := &csvScan{p: p, data: c.data, line: c.line, cols: make([]*partCol, len(p.names))}
	rows := bytes.Count(c.data, []byte{'\n'}) + 1
	for i, n := range p.names {
		s.cols[i] = newPartCol(n, p.categorical[n], rows)
	}
	res := &part{seq: c.seq, bytes: len(c.data), cols: s.cols}
	for s.pos < len(s.data) {
		if err := s.record(); err != nil {
			res.err = err
			break
		}
	}
	res.rows = s.row
	for _, col := range s.cols {
		if col.flipped {
			res.flipped = append(res.flipped, col.name)
		}
	}
	return res
}

// csvScan walks the records of one chunk.
type csvScan struct {
	p       *csvParser
	data    []byte
	pos     int
	line    int // line of data[pos]
	recLine int // line where the current record starts
	row     int
	cols    []*partCol
	scratch []byte

	headerMode bool
	names      []string
}

// record reads one record, or skips one blank line. Most records have no
// quotes and fit on one line; they take a fast path that splits the line
// with bytes.IndexByte.
func (s *csvScan) record() error {
	s.recLine = s.line
	rest := s.data[s.pos:]
	end := bytes.IndexByte(rest, '\n')
	next := s.pos + end + 1
	if end < 0 {
		end, next = len(rest), len(s.data)
	}
	line := rest[:end]
	if bytes.IndexByte(line, '"') >= 0 {
		return s.quotedRecord()
	}
	line = trimCR(line) // CRLF ends a line like LF, and a CR before the end of input is dropped.
	s.pos = next
	if end < len(rest) {
		s.line++
	}
	if len(line) == 0 {
		return nil // A blank line is not a record.
	}
	i := 0
	for {
		c := bytes.IndexByte(line, ',')
		field := line
		if c >= 0 {
			field = line[:c]
		}
		if i >= s.width() {
			return s.fieldCount(i + 1 + bytes.Count(line, []byte{','}))
		}
		s.cell(i, field)
		i++
		if c < 0 {
			break
		}
		line = line[c+1:]
	}
	return s.endRecord(i)
}

// quotedRecord reads a record that contains quotes, field by field; it may
// span lines.
func (s *csvScan) quotedRecord() error {
	i := 0
	for {
		field, last, err := s.field(i)
		if err != nil {
			return err
		}
		if i < s.width() {
			s.cell(i, field)
		}
		i++
		if last {
			break
		}
	}
	if i > s.width() {
		return s.fieldCount(i)
	}
	return s.endRecord(i)
}

// field reads the field starting at s.pos and reports whether it ends the
// record.
func (s *csvScan) field(i int) (field []byte, last bool, err error) {
	if s.pos < len(s.data) && s.data[s.pos] == '"' {
		return s.quotedField(i)
	}
	start := s.pos
	for j := start; j < len(s.data); j++ {
		switch s.data[j] {
		case ',':
			s.pos = j + 1
			return s.data[start:j], false, nil
		case '\n':
			s.pos = j + 1
			s.line++
			return trimCR(s.data[start:j]), true, nil
		case '"':
			return nil, false, s.errorf(s.line, i, `bare " in non-quoted field`)
		}
	}
	s.pos = len(s.data)
	return trimCR(s.data[start:]), true, nil
}

// quotedField reads a quoted field into scratch, undoubling quotes and
// turning CRLF into LF.
func (s *csvScan) quotedField(i int) (field []byte, last bool, err error) {
	startLine := s.line
	s.pos++
	buf := s.scratch[:0]
	for {
		q := bytes.IndexByte(s.data[s.pos:], '"')
		if q < 0 {
			s.scratch = buf
			return nil, false, s.errorf(startLine, i, `extraneous or missing " in quoted field`)
		}
		seg := s.data[s.pos : s.pos+q]
		s.line += bytes.Count(seg, []byte{'\n'})
		buf = appendCRLFAsLF(buf, seg)
		s.pos += q + 1
		if s.pos < len(s.data) && s.data[s.pos] == '"' {
			buf = append(buf, '"')
			s.pos++
			continue
		}
		break
	}
	s.scratch = buf
	rest := s.data[s.pos:]
	switch {
	case len(rest) == 0 || (len(rest) == 1 && rest[0] == '\r'):
		s.pos = len(s.data)
		return buf, true, nil
	case rest[0] == ',':
		s.pos++
		return buf, false, nil
	case rest[0] == '\n':
		s.pos++
		s.line++
		return buf, true, nil
	case len(rest) > 1 && rest[0] == '\r' && rest[1] == '\n':
		s.pos += 2
		s.line++
		return buf, true, nil
	}
	return nil, false, s.errorf(s.line, i, `extraneous or missing " in quoted field`)
}

// appendCRLFAsLF appends seg to buf with every CRLF replaced by LF.
func appendCRLFAsLF(buf, seg []byte) []byte {
	for {
		j := bytes.Index(seg, []byte("\r\n"))
		if j < 0 {
			return append(buf, seg...)
		}
		buf = append(buf, seg[:j]...)
		seg = seg[j+1:]
	}
}

func trimCR(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\r' {
		return b[:n-1]
	}
	return b
}

// width returns the number of fields a record must have; while reading the
// header every field counts.
func (s *csvScan) width() int {
	if s.headerMode {
		return int(^uint(0) >> 1)
	}
	return len(s.cols)
}

// cell stores field i of the current record.
func (s *csvScan) cell(i int, field []byte) {
	if s.headerMode {
		s.names = append(s.names, string(field))
		return
	}
	c := s.cols[i]
	switch {
	case len(field) == 0:
		c.addMissing(s.row)
	case c.categorical:
		c.addText(field)
	case c.flipped:
	default:
		if x, ok := parseNumber(field); ok {
			c.addNumber(x)
		} else {
			c.flipped = true
		}
	}
}

// endRecord checks that a record had every field.
func (s *csvScan) endRecord(fields int) error {
	if s.headerMode {
		return nil
	}
	if fields < len(s.cols) {
		return s.fieldCount(fields)
	}
	s.row++
	return nil
}

// fieldCount reports a record with the wrong number of fields at the first
// missing field, or at the first field beyond the header's.
func (s *csvScan) fieldCount(fields int) error {
	if fields > len(s.cols) {
		return s.errorf(s.recLine, len(s.cols), "row has %d fields, header has %d", fields, len(s.cols))
	}
	return s.errorf(s.recLine, fields, "column %q: row has %d fields, header has %d", s.p.names[fields], fields, len(s.cols))
}

// errorf returns a ParseError at field i (0-based) of the given line.
func (s *csvScan) errorf(line, i int, format string, args ...any) error {
	return &ParseError{File: s.p.file, Line: line, Column: i + 1, Msg: fmt.Sprintf(format, args...)}
}
