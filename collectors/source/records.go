package source

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/driftwatch/driftwatch/collectors/event"
)

// records reads one replay file record by record.
type records interface {
	// next decodes the next record into ev and returns its line number,
	// counted from 1. An *event.Error rejects the record; io.EOF ends the
	// file; any other error is a failure to read it.
	next(ev *event.Event) (line int64, err error)
	close() error
}

// noTime makes the decoder require a timestamp in every record: a replay
// has no arrival time to fall back on.
var noTime time.Time

// jsonlRecords reads JSON Lines. Blank lines are skipped; a line longer
// than max bytes is rejected as oversized without being held in memory.
type jsonlRecords struct {
	f    *os.File
	r    *bufio.Reader
	dec  *event.Decoder
	kind event.Kind
	max  int
	line int64
	buf  []byte
}

func openJSONL(path string, dec *event.Decoder, kind event.Kind, maxBytes int) (*jsonlRecords, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &jsonlRecords{f: f, r: bufio.NewReaderSize(f, 64<<10), dec: dec, kind: kind, max: maxBytes}, nil
}

func (j *jsonlRecords) next(ev *event.Event) (int64, error) {
	for {
		payload, size, err := j.readLine()
		if err != nil {
			return j.line, err
		}
		if size > j.max {
			return j.line, event.Oversized(size, j.max)
		}
		if len(bytes.TrimSpace(payload)) == 0 {
			continue
		}
		return j.line, j.dec.DecodeJSON(ev, j.kind, payload, noTime)
	}
}

// readLine returns the next line without its line ending, and its size.
// The line points into the reader's buffer or j.buf, and stays valid until
// the next call. A line longer than max is skipped and returned empty,
// with its full size.
func (j *jsonlRecords) readLine() ([]byte, int, error) {
	j.buf = j.buf[:0]
	size := 0
	for {
		chunk, err := j.r.ReadSlice('\n')
		size += len(chunk)
		switch {
		case err == nil || (errors.Is(err, io.EOF) && size > 0):
			j.line++
			if size > j.max {
				return nil, size, nil
			}
			var line []byte
			if len(j.buf) == 0 {
				line = chunk
			} else {
				line = append(j.buf, chunk...)
				j.buf = line
			}
			line = bytes.TrimSuffix(line, []byte("\n"))
			return bytes.TrimSuffix(line, []byte("\r")), size, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if size <= j.max {
				j.buf = append(j.buf, chunk...)
			}
		default:
			return nil, 0, err
		}
	}
}

func (j *jsonlRecords) close() error { return j.f.Close() }

// csvRecords reads CSV with a header row that names the fields (see
// event.Decoder.CSV). A record that is not valid CSV is rejected as
// malformed_csv, and reading goes on with the next one.
type csvRecords struct {
	f   *os.File
	r   *csv.Reader
	dec *event.CSVDecoder
}

func openCSV(path string, dec *event.Decoder, kind event.Kind) (*csvRecords, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.ReuseRecord = true
	r.FieldsPerRecord = -1 // the decoder rejects a record of the wrong length
	header, err := r.Read()
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty: it needs a header row")
		}
		return nil, fmt.Errorf("header: %w", err)
	}
	cd, err := dec.CSV(kind, header)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &csvRecords{f: f, r: r, dec: cd}, nil
}

func (c *csvRecords) next(ev *event.Event) (int64, error) {
	record, err := c.r.Read()
	var perr *csv.ParseError
	switch {
	case errors.As(err, &perr):
		return int64(perr.StartLine), &event.Error{Reason: event.ReasonMalformedCSV, Detail: perr.Err.Error()}
	case err != nil:
		return 0, err
	}
	line, _ := c.r.FieldPos(0)
	return int64(line), c.dec.Decode(ev, record, noTime)
}

func (c *csvRecords) close() error { return c.f.Close() }
