package dataset

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// Options control how a file is read.
type Options struct {
	// Categorical names columns to read as categorical whatever their
	// values. Names that match no column are ignored.
	Categorical []string
	// Workers is the number of goroutines that parse chunks in parallel;
	// zero means runtime.GOMAXPROCS(0).
	Workers int

	// chunkSize overrides defaultChunkSize; tests shrink it to exercise
	// chunk boundaries and restarts.
	chunkSize int
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

func (o Options) chunk() int {
	if o.chunkSize > 0 {
		return o.chunkSize
	}
	return defaultChunkSize
}

// ReadFile reads a CSV file (extension .csv) or a JSON Lines file (.jsonl
// or .ndjson) and names it by path in errors.
func ReadFile(path string, opts Options) (*Table, error) {
	var f format
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		f = &csvFormat{file: path}
	case ".jsonl", ".ndjson":
		f = &jsonlFormat{file: path}
	default:
		return nil, fmt.Errorf("read %s: unsupported file extension %q (want .csv, .jsonl or .ndjson)", path, filepath.Ext(path))
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read data file: %w", err)
	}
	defer file.Close()
	var size int64
	if st, err := file.Stat(); err == nil {
		size = st.Size()
	}
	return read(file, f, opts, size)
}

// ReadCSV reads RFC 4180 CSV with a header row from r; name identifies r in
// errors. Records end in LF or CRLF; fields are separated by commas and may
// be double-quoted, with "" standing for a quote inside a quoted field.
// Quoted fields may span lines; CRLF inside them reads as LF. Blank lines
// are skipped and a leading UTF-8 byte order mark is ignored. Every record
// must have as many fields as the header, header names must be unique, and
// an empty field is a missing cell, quoted or not.
//
// A column is categorical if opts names it or if any non-empty cell in it
// is not a number (see Column); otherwise it is numeric. Numbers are decimal
// literals such as "3", "-0.5", ".5" and "6.02e23", optionally surrounded
// by spaces or tabs, and the special values "NaN", "Inf" and "Infinity" in
// any case, the infinities optionally signed; they read as the float64 NaN
// and ±Inf, which are values, not missing cells. Hexadecimal literals and
// digit separators are not numbers. The text of a categorical cell is kept
// exactly.
//
// Chunks are parsed in parallel as if every column not named categorical
// were numeric; when a chunk shows that a column is categorical, reading
// starts again from the beginning with that column categorical. A reader
// that is also an io.Seeker is rewound by seeking; any other reader is
// kept in memory as it is read so that it can be replayed.
func ReadCSV(r io.Reader, name string, opts Options) (*Table, error) {
	return read(r, &csvFormat{file: name}, opts, 0)
}

// ReadJSONL reads JSON Lines from r: one JSON object per line, whose keys
// are columns; name identifies r in errors. The value of a nested object's
// key is the column named by the dotted path of keys, so {"a":{"b":1}}
// fills column "a.b". Columns appear in order of first appearance. A null
// or an absent key is a missing cell; a line that gives one column two values,
// such as {"a":1,"a":2} or {"a":{"b":1},"a.b":2}, is an error. Blank lines are
// skipped.
//
// JSON numbers are numeric, and so are the bare tokens NaN, Infinity and
// -Infinity that Python's json module writes. Strings, true and false are
// categorical, as is an array, whose category is its JSON text as written.
// A column is categorical if opts names it or if any of its values is not
// a number; in a categorical column a number's category is its JSON text.
// Restarts work as in ReadCSV.
func ReadJSONL(r io.Reader, name string, opts Options) (*Table, error) {
	return read(r, &jsonlFormat{file: name}, opts, 0)
}

// format parses one file format, chunk by chunk.
type format interface {
	// plan returns a fresh parser for one pass that reads the named
	// columns as categorical.
	plan(categorical map[string]bool) parser
	// quoted reports whether records can span lines inside quotes.
	quoted() bool
	// name identifies the input in errors.
	name() string
}

// parser parses the chunks of one pass. Its parse method is called
// concurrently, after header has returned done for an earlier chunk.
type parser interface {
	// header consumes a header from the front of c and returns the rest of
	// c; done is false when c held only blank lines.
	header(c chunk) (rest chunk, done bool, err error)
	// noHeader returns the error for an input that ended before a header.
	noHeader() error
	parse(c chunk) *part
}

// read runs passes over r until one finishes without finding a new
// categorical column.
func read(r io.Reader, f format, opts Options, size int64) (*Table, error) {
	categorical := make(map[string]bool, len(opts.Categorical))
	for _, name := range opts.Categorical {
		categorical[name] = true
	}
	rw := newRewinder(r)
	src := rw.r
	for {
		t, flipped, err := pass(src, f, f.plan(categorical), opts, size)
		if err != nil {
			return nil, err
		}
		if len(flipped) == 0 {
			return t, nil
		}
		for _, name := range flipped {
			categorical[name] = true
		}
		if src, err = rw.rewind(); err != nil {
			return nil, err
		}
	}
}

// pass reads the input once with a fixed plan. It returns the table, or the
// columns that turned out categorical when the plan must change.
//
// A splitter goroutine cuts the input into chunks, workers parse them, and
// this goroutine appends the parts in input order, so that memory stays at
// a few chunks beyond the table itself.
func pass(r io.Reader, f format, p parser, opts Options, size int64) (*Table, []string, error) {
	workers := opts.workers()
	free := make(chan []byte, workers+2)
	chunks := make(chan chunk, workers)
	results := make(chan *part, workers)
	done := make(chan struct{})
	sp := newSplitter(r, f.name(), opts.chunk(), f.quoted(), free)

	var splitErr error
	go func() {
		defer close(chunks)
		splitErr = feed(sp, p, chunks, done)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { work(p, chunks, results, free, done) })
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	t, flipped, err := assemble(results, done, newBuilder(f.name(), 0), size)
	if err == nil && flipped == nil {
		err = splitErr // Read after the results drained: close(chunks) happened before.
	}
	return t, flipped, err
}

// work parses chunks until the splitter stops or the pass is abandoned.
func work(p parser, chunks <-chan chunk, results chan<- *part, free chan<- []byte, done <-chan struct{}) {
	for c := range chunks {
		select {
		case <-done:
			continue
		default:
		}
		res := p.parse(c)
		select {
		case free <- c.data[:0]:
		default:
		}
		results <- res
	}
}

// feed sends the input's chunks, past any header, until the input ends or
// done closes. It numbers the chunks it sends, and sends none before the
// header has been read, since parsers need the header.
func feed(sp *splitter, p parser, out chan<- chunk, done <-chan struct{}) error {
	headerDone := false
	for seq := 0; ; {
		c, err := sp.next()
		if err == io.EOF {
			if !headerDone {
				return p.noHeader()
			}
			return nil
		}
		if err != nil {
			return err
		}
		if !headerDone {
			if c, headerDone, err = p.header(c); err != nil || !headerDone {
				if err != nil {
					return err
				}
				continue // Blank lines before the header: nothing to parse.
			}
		}
		c.seq = seq
		seq++
		select {
		case out <- c:
		case <-done:
			return nil
		}
	}
}

// assemble appends parts to the table in sequence order. On the first
// error or change of plan it closes done and drains the rest.
func assemble(results <-chan *part, done chan struct{}, b *builder, size int64) (*Table, []string, error) {
	pending := make(map[int]*part)
	next := 0
	var flipped []string
	var err error
	stop := func() {
		if flipped == nil && err == nil {
			close(done)
		}
	}
	for res := range results {
		if flipped != nil || err != nil {
			continue
		}
		pending[res.seq] = res
		for q, ok := pending[next]; ok; q, ok = pending[next] {
			delete(pending, next)
			next++
			switch {
			case q.err != nil:
				stop()
				err = q.err
			case len(q.flipped) > 0:
				stop()
				flipped = q.flipped
			default:
				if b.table.Rows == 0 && size > 0 && q.bytes > 0 {
					b.rowsCap = estimateRows(size, q)
				}
				if aerr := b.add(q); aerr != nil {
					stop()
					err = fmt.Errorf("read %s: %w", b.table.Name, aerr)
				}
			}
			if flipped != nil || err != nil {
				break
			}
		}
	}
	return b.table, flipped, err
}

// estimateRows extrapolates the row count of a size-byte input from its
// first part, so columns are allocated once instead of grown by copying.
func estimateRows(size int64, first *part) int {
	est := float64(size) / float64(first.bytes) * float64(first.rows) * 1.02
	return int(est) + 1
}
