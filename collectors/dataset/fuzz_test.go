package dataset

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/drift"
)

// FuzzReadCSV checks that no input panics, that every table read satisfies
// the column invariants whatever the chunk size, and that the reader agrees
// with encoding/csv cell by cell.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n3,x\n", "a\n\"q\"\"uote\"\n", "a,b\r\n,\r\n\"1\n2\",3", "\uFEFFa\n1e5\nNaN\n-inf\n",
		"a,b\n1,\"x", "a,a\n", "a\n\"x\"y\n", "x,y\n 1 ,\t2\n", "\n\na\r\n1\r",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tb, err := ReadCSV(strings.NewReader(in), "f.csv", Options{})
		small, smallErr := ReadCSV(onlyReader{strings.NewReader(in)}, "f.csv", Options{chunkSize: 7, Workers: 3})
		if err != nil {
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "error %v is not a ParseError", err)
			require.EqualError(t, smallErr, err.Error(), "chunking must not change the error")
		} else {
			require.NoError(t, smallErr)
			require.Equal(t, describeFuzz(t, tb), describeFuzz(t, small), "chunking must not change the table")
		}
		records, csvErr := csv.NewReader(strings.NewReader(strings.TrimPrefix(in, "\uFEFF"))).ReadAll()
		if csvErr != nil || len(records) == 0 || !uniqueNames(records[0]) {
			require.Error(t, err, "encoding/csv rejects or has no unique header (%v), the reader accepts", csvErr)
			return
		}
		require.NoError(t, err, "encoding/csv accepts")
		checkAgainstRecords(t, tb, records)
	})
}

func uniqueNames(names []string) bool {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return false
		}
		seen[n] = true
	}
	return true
}

// checkAgainstRecords compares a table with the records encoding/csv read.
func checkAgainstRecords(t *testing.T, tb *Table, records [][]string) {
	require.Equal(t, len(records)-1, tb.Rows)
	require.Len(t, tb.Columns, len(records[0]))
	for j, c := range tb.Columns {
		require.Equal(t, records[0][j], c.Name)
		numeric := true
		for i, rec := range records[1:] {
			cell := rec[j]
			require.Equal(t, cell == "", c.Missing(i), "column %q row %d: %q", c.Name, i, cell)
			if cell == "" {
				continue
			}
			x, ok := parseNumber([]byte(cell))
			numeric = numeric && ok
			if c.Type == drift.Categorical {
				require.Equal(t, cell, c.Categories[c.Codes[i]], "column %q row %d", c.Name, i)
			} else {
				require.True(t, ok, "column %q row %d: %q is not a number", c.Name, i, cell)
				requireSameFloat(t, x, c.Numbers[i])
			}
		}
		require.Equal(t, numeric, c.Type == drift.Numeric, "column %q type", c.Name)
	}
}

// FuzzReadJSONL checks that no input panics, that every table read
// satisfies the column invariants whatever the chunk size, and that the
// reader agrees with encoding/json on every input encoding/json accepts.
func FuzzReadJSONL(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":"x"}` + "\n" + `{"a":null}`, `{"a":{"b":[1,{"c":2}]},"d":true}`, `{"a":NaN}`,
		`{"a":1,"a":2}`, `{"\u00e9":"\ud83d\ude00"}`, "\n\n{}\r\n", `{"a":1e400,"b":-0}`, `[1]`,
		`{"a":"` + "\xff" + `"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tb, err := ReadJSONL(strings.NewReader(in), "f.jsonl", Options{})
		small, smallErr := ReadJSONL(onlyReader{strings.NewReader(in)}, "f.jsonl", Options{chunkSize: 5, Workers: 3})
		if err != nil {
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "error %v is not a ParseError", err)
			require.EqualError(t, smallErr, err.Error(), "chunking must not change the error")
		} else {
			require.NoError(t, smallErr)
			require.Equal(t, describeFuzz(t, tb), describeFuzz(t, small), "chunking must not change the table")
		}
		rows, ok := decodeLines(in)
		if !ok {
			return
		}
		if err != nil && strings.Contains(err.Error(), "duplicate key") {
			return // encoding/json lets a later key win; the reader refuses.
		}
		require.NoError(t, err, "encoding/json accepts every line")
		checkAgainstObjects(t, tb, rows)
	})
}

// decodeLines decodes every non-blank line with encoding/json into a
// flattened row, or reports false if encoding/json rejects a line or a
// line is not an object.
func decodeLines(in string) ([]map[string]any, bool) {
	var rows []map[string]any
	for _, line := range strings.Split(in, "\n") {
		trimmed := strings.TrimLeft(line, " \t\r")
		if trimmed == "" {
			continue
		}
		if trimmed[0] != '{' {
			return nil, false
		}
		dec := json.NewDecoder(strings.NewReader(line))
		dec.UseNumber()
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return nil, false
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, false
		}
		if hasDuplicateKeys(line) {
			return nil, false // encoding/json lets the last one win.
		}
		row := make(map[string]any)
		flatten(row, "", obj)
		rows = append(rows, row)
	}
	return rows, true
}

// hasDuplicateKeys reports whether an object in the valid JSON text holds
// a key twice.
func hasDuplicateKeys(text string) bool {
	dec := json.NewDecoder(strings.NewReader(text))
	type frame struct {
		keys   map[string]bool
		object bool
		isKey  bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.isKey {
			if k, ok := tok.(string); ok {
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				top.isKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			if top != nil && top.object {
				top.isKey = true
			}
			stack = append(stack, &frame{keys: map[string]bool{}, object: true, isKey: true})
		case json.Delim('['):
			if top != nil && top.object {
				top.isKey = true
			}
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if top != nil && top.object {
				top.isKey = true
			}
		}
	}
}

func flatten(row map[string]any, prefix string, obj map[string]any) {
	for k, v := range obj {
		if m, ok := v.(map[string]any); ok {
			flatten(row, prefix+k+".", m)
			continue
		}
		row[prefix+k] = v
	}
}

// checkAgainstObjects compares a table with the rows encoding/json read.
func checkAgainstObjects(t *testing.T, tb *Table, rows []map[string]any) {
	require.Equal(t, len(rows), tb.Rows)
	for _, c := range tb.Columns {
		numeric := true
		for i, row := range rows {
			v, present := row[c.Name]
			require.Equal(t, !present || v == nil, c.Missing(i), "column %q row %d", c.Name, i)
			if !present || v == nil {
				continue
			}
			switch v := v.(type) {
			case json.Number:
				if c.Type == drift.Numeric {
					want, err := strconv.ParseFloat(string(v), 64)
					if err != nil && !errors.Is(err, strconv.ErrRange) {
						t.Fatalf("column %q row %d: %v", c.Name, i, err)
					}
					requireSameFloat(t, want, c.Numbers[i])
				} else {
					require.Equal(t, string(v), c.Value(i), "column %q row %d", c.Name, i)
				}
			case string:
				numeric = false
				require.Equal(t, v, c.Value(i), "column %q row %d", c.Name, i)
			case bool:
				numeric = false
				require.Equal(t, strconv.FormatBool(v), c.Value(i), "column %q row %d", c.Name, i)
			default: // An array, kept as its JSON text.
				numeric = false
				require.True(t, json.Valid([]byte(c.Value(i))), "column %q row %d: %q", c.Name, i, c.Value(i))
			}
		}
		require.Equal(t, numeric, c.Type == drift.Numeric, "column %q type", c.Name)
	}
	for _, row := range rows {
		for name := range row {
			_, ok := tb.Column(name)
			require.True(t, ok, "column %q is missing from the table", name)
		}
	}
}

// describeFuzz renders a table for equality checks, checking invariants.
func describeFuzz(t *testing.T, tb *Table) string {
	var b bytes.Buffer
	for _, c := range tb.Columns {
		checkColumn(t, tb, c)
		b.WriteString(strconv.Quote(c.Name) + " " + string(c.Type) + ":")
		for i := 0; i < tb.Rows; i++ {
			if c.Missing(i) {
				b.WriteString(" <missing>")
				continue
			}
			b.WriteString(" " + strconv.Quote(c.Value(i)))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func requireSameFloat(t *testing.T, want, got float64) {
	t.Helper()
	if math.IsNaN(want) {
		require.True(t, math.IsNaN(got), "want NaN, got %v", got)
		return
	}
	require.Equal(t, math.Float64bits(want), math.Float64bits(got), "want %v, got %v", want, got)
}
