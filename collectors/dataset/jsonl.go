package dataset

import "bytes"

// maxDepth bounds the nesting of objects and arrays, as encoding/json does.
const maxDepth = 10000

// jsonlFormat is JSON Lines: one JSON object per line.
type jsonlFormat struct {
	file string
}

func (f *jsonlFormat) quoted() bool { return false }
func (f *jsonlFormat) name() string { return f.file }

func (f *jsonlFormat) plan(categorical map[string]bool) parser {
	return &jsonlParser{file: f.file, categorical: categorical}
}

// jsonlParser holds the plan of one pass.
type jsonlParser struct {
	file        string
	categorical map[string]bool
}

// header does nothing: JSON Lines has no header.
func (p *jsonlParser) header(c chunk) (chunk, bool, error) { return c, true, nil }

// noHeader accepts empty input as a table without rows or columns.
func (p *jsonlParser) noHeader() error { return nil }

// parse reads the lines of one chunk.
func (p *jsonlParser) parse(c chunk) *part {
	s := &jsonScan{p: p, byName: make(map[string]int), line: c.line, rowsHint: bytes.Count(c.data, []byte{'\n'}) + 1}
	res := &part{seq: c.seq, bytes: len(c.data)}
	for data := c.data; len(data) > 0; s.line++ {
		end := bytes.IndexByte(data, '\n')
		if end < 0 {
			end = len(data)
		}
		if err := s.row(data[:end]); err != nil {
			res.err = err
			break
		}
		data = data[min(end+1, len(data)):]
	}
	res.rows, res.cols = s.rows, s.cols
	for _, col := range s.cols {
		if col.flipped {
			res.flipped = append(res.flipped, col.name)
		}
	}
	return res
}

// jsonScan parses the lines of one chunk. It is a hand-written scanner
// because encoding/json's token API costs several times more per value,
// and it needs no intermediate maps.
type jsonScan struct {
	p        *jsonlParser
	byName   map[string]int
	cols     []*partCol
	rows     int
	rowsHint int
	line     int
	buf      []byte // the current line
	pos      int
	path     []byte
	scratch  []byte
}

// row parses one line as an object and fills the absent columns with
// missing cells. A line of only whitespace is skipped.
func (s *jsonScan) row(line []byte) error {
	s.buf, s.pos = line, 0
	s.skipSpace()
	if s.pos == len(s.buf) {
		return nil
	}
	if s.buf[s.pos] != '{' {
		return s.errorf("line is not a JSON object")
	}
	s.path = s.path[:0]
	if err := s.object(0, 1); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos != len(s.buf) {
		return s.errorf("unexpected %s after the object", s.describe())
	}
	for _, c := range s.cols {
		if c.lastRow != s.rows {
			c.addMissing(s.rows)
		}
	}
	s.rows++
	return nil
}

// object parses the object at s.pos, whose keys extend s.path[:prefix].
func (s *jsonScan) object(prefix, depth int) error {
	s.pos++ // '{'
	s.skipSpace()
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		s.skipSpace()
		if s.peek() != '"' {
			return s.errorf("unexpected %s, want a string key", s.describe())
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		s.path = append(s.path[:prefix], key...)
		s.skipSpace()
		if s.peek() != ':' {
			return s.errorf("unexpected %s, want ':'", s.describe())
		}
		s.pos++
		s.skipSpace()
		if err := s.value(depth); err != nil {
			return err
		}
		s.skipSpace()
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.errorf("unexpected %s, want ',' or '}'", s.describe())
		}
	}
}

// value parses the value at s.pos and stores it in the column s.path.
func (s *jsonScan) value(depth int) error {
	start := s.pos
	switch c := s.peek(); {
	case c == '{':
		if depth >= maxDepth {
			return s.errorf("nesting deeper than %d", maxDepth)
		}
		s.path = append(s.path, '.')
		return s.object(len(s.path), depth+1)
	case c == '"':
		v, err := s.str()
		if err != nil {
			return err
		}
		return s.setText(v, start)
	case c == '[':
		if err := s.skipValue(depth); err != nil {
			return err
		}
		return s.setText(s.buf[start:s.pos], start)
	case c == 't' || c == 'f':
		if err := s.skipValue(depth); err != nil {
			return err
		}
		return s.setText(s.buf[start:s.pos], start)
	case c == 'n':
		if err := s.literal("null"); err != nil {
			return err
		}
		col, err := s.column(start)
		if err == nil {
			col.addMissing(s.rows)
		}
		return err
	default:
		x, err := s.number()
		if err != nil {
			return err
		}
		return s.setNumber(x, s.buf[start:s.pos], start)
	}
}

// column returns the part column for s.path, creating it with every
// earlier row missing, and marks it set in the current row.
func (s *jsonScan) column(at int) (*partCol, error) {
	i, ok := s.byName[string(s.path)]
	if !ok {
		name := string(s.path)
		col := newPartCol(name, s.p.categorical[name], s.rowsHint)
		for r := 0; r < s.rows; r++ {
			col.addMissing(r)
		}
		i = len(s.cols)
		s.byName[name] = i
		s.cols = append(s.cols, col)
	}
	col := s.cols[i]
	if col.lastRow == s.rows {
		return nil, s.errorAt(at, "duplicate key %q", col.name)
	}
	col.lastRow = s.rows
	return col, nil
}

// setText stores a category, or marks a numeric column as needing a
// restart.
func (s *jsonScan) setText(v []byte, at int) error {
	col, err := s.column(at)
	switch {
	case err != nil:
		return err
	case col.categorical:
		col.addText(v)
	default:
		col.flipped = true
	}
	return nil
}

// setNumber stores a number, as its text in a categorical column.
func (s *jsonScan) setNumber(x float64, text []byte, at int) error {
	col, err := s.column(at)
	switch {
	case err != nil:
		return err
	case col.categorical:
		col.addText(text)
	default:
		col.addNumber(x)
	}
	return nil
}
