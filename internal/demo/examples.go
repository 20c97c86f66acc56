package demo

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/driftwatch/driftwatch/internal/atomicfile"
)

// timeLayout is RFC 3339 with milliseconds, as the replay fixtures write
// event times.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// maxLine bounds one line of an examples file; a line is about 400 bytes.
const maxLine = 64 << 10

// An examples file holds one labelled application per line, as a flat JSON
// object: the id, the timestamp, every feature by name, and the label,
// "1" for a default and "0" otherwise:
//
//	{"id":"cr-00000042","timestamp":"2026-05-04T08:00:01.000Z","age":43,...,"purpose":"car","label":"0"}
//
// Files are what the Recorder writes and the steps read; `driftwatch
// reference build` reads them too, since each feature is a top-level key.

// MarshalJSON writes e as a line of an examples file.
func (e Example) MarshalJSON() ([]byte, error) {
	return e.appendJSON(nil), nil
}

// appendJSON appends e's line, without the newline.
func (e Example) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, e.ID)
	b = append(b, `,"timestamp":"`...)
	b = e.Time.UTC().AppendFormat(b, timeLayout)
	b = append(b, `",`...)
	b = e.Row.appendFields(b)
	b = append(b, `,"label":`...)
	b = appendString(b, e.Label())
	return append(b, '}')
}

// UnmarshalJSON reads a line of an examples file. Every key is required
// and no other is allowed.
func (e *Example) UnmarshalJSON(data []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return err
	}
	id, err := takeString(fields, "id")
	if err != nil {
		return err
	}
	stamp, err := takeString(fields, "timestamp")
	if err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339Nano, stamp)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	label, err := takeString(fields, "label")
	if err != nil {
		return err
	}
	if label != positiveClass && label != negativeClass {
		return fmt.Errorf("label: %q is neither %q nor %q", label, positiveClass, negativeClass)
	}
	out := Example{ID: id, Time: t.UTC(), Default: label == positiveClass}
	if err := out.Row.take(fields); err != nil {
		return err
	}
	if err := unknownKeys(fields); err != nil {
		return err
	}
	*e = out
	return nil
}

// takeString reads the non-empty string at key and deletes the key.
func takeString(fields map[string]json.RawMessage, key string) (string, error) {
	raw, ok := fields[key]
	if !ok {
		return "", fmt.Errorf("%s is missing", key)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || s == "" {
		return "", fmt.Errorf("%s: want a non-empty string, got %s", key, raw)
	}
	delete(fields, key)
	return s, nil
}

// EncodeExamples returns examples as the lines of an examples file.
func EncodeExamples(examples []Example) []byte {
	var b []byte
	for _, e := range examples {
		b = append(e.appendJSON(b), '\n')
	}
	return b
}

// WriteExamples writes examples to path atomically.
func WriteExamples(path string, examples []Example) error {
	return atomicfile.Write(path, EncodeExamples(examples))
}

// ReadExamples reads an examples file. An error names the line at fault.
func ReadExamples(path string) ([]Example, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read examples: %w", err)
	}
	var out []Example
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxLine)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var e Example
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("read examples: %s:%d: %w", path, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read examples: %s: %w", path, err)
	}
	return out, nil
}
