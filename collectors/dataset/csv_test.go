package dataset

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/drift"
)

// col describes a column as tests expect it: its type and every row as
// text, "" for missing and the FormatFloat form for numbers.
type col struct {
	Name string
	Type drift.FeatureType
	Rows []string
}

// describe turns a table into cols, checking the invariants every table
// must satisfy on the way.
func describe(t *testing.T, tb *Table) []col {
	t.Helper()
	var out []col
	for _, c := range tb.Columns {
		checkColumn(t, tb, c)
		d := col{Name: c.Name, Type: c.Type}
		for i := 0; i < tb.Rows; i++ {
			v := c.Value(i)
			if c.Missing(i) {
				v = "<missing>"
			}
			d.Rows = append(d.Rows, v)
		}
		out = append(out, d)
	}
	return out
}

// checkColumn checks that a column is consistent: one cell per row, missing
// cells marked in every representation, codes inside the dictionary, and a
// dictionary without duplicates.
func checkColumn(t testing.TB, tb *Table, c *Column) {
	t.Helper()
	require.Equal(t, tb.Rows, c.Len(), "column %q", c.Name)
	require.Equal(t, c.countMissing(), c.MissingCount(), "column %q", c.Name)
	seen := make(map[string]bool, len(c.Categories))
	for _, s := range c.Categories {
		require.False(t, seen[s], "column %q: category %q twice", c.Name, s)
		seen[s] = true
	}
	for i := 0; i < tb.Rows; i++ {
		switch {
		case c.Type == drift.Categorical && c.Missing(i):
			require.Equal(t, uint32(MissingCode), c.Codes[i], "column %q row %d", c.Name, i)
		case c.Type == drift.Categorical:
			require.Less(t, int(c.Codes[i]), len(c.Categories), "column %q row %d", c.Name, i)
		case c.Missing(i):
			require.True(t, math.IsNaN(c.Numbers[i]), "column %q row %d", c.Name, i)
		}
	}
	if c.Type == drift.Numeric {
		require.Empty(t, c.Codes)
		require.Empty(t, c.Categories)
	} else {
		require.Empty(t, c.Numbers)
	}
}

func TestReadCSV(t *testing.T) {
	const (
		num = drift.Numeric
		cat = drift.Categorical
	)
	tests := []struct {
		name string
		in   string
		opts Options
		want []col
	}{
		{name: "numbers and missing cells", in: "a,b\n1,2.5\n,-3e2\n4,\n",
			want: []col{{"a", num, []string{"1", "<missing>", "4"}}, {"b", num, []string{"2.5", "-300", "<missing>"}}}},
		{name: "one word makes a column categorical", in: "a,b\n1,x\n2,3\n",
			want: []col{{"a", num, []string{"1", "2"}}, {"b", cat, []string{"x", "3"}}}},
		{name: "categorical text is kept exactly", in: "a\n1.50\n007\n x \nz\n",
			want: []col{{"a", cat, []string{"1.50", "007", " x ", "z"}}}},
		{name: "named categorical", in: "zip,n\n02134,1\n10001,2\n", opts: Options{Categorical: []string{"zip", "absent"}},
			want: []col{{"zip", cat, []string{"02134", "10001"}}, {"n", num, []string{"1", "2"}}}},
		{name: "special values are numbers", in: "a\nNaN\n-Inf\ninfinity\n 7 \n1e400\n",
			want: []col{{"a", num, []string{"NaN", "-Inf", "+Inf", "7", "+Inf"}}}},
		{name: "quoted fields", in: "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"1\",\"\"\n",
			want: []col{{"a", cat, []string{"x,y", "1"}}, {"b", cat, []string{`say "hi"`, "<missing>"}}}},
		{name: "quoted newline and CRLF", in: "a,b\r\n\"line1\r\nline2\",1\r\nz,2\r\n",
			want: []col{{"a", cat, []string{"line1\nline2", "z"}}, {"b", num, []string{"1", "2"}}}},
		{name: "blank lines and BOM", in: "\uFEFF\n\na,b\n\n1,2\n\r\n3,4",
			want: []col{{"a", num, []string{"1", "3"}}, {"b", num, []string{"2", "4"}}}},
		{name: "carriage return before end of input", in: "a\nx\r",
			want: []col{{"a", cat, []string{"x"}}}},
		{name: "header only", in: "a,b\n",
			want: []col{{"a", num, nil}, {"b", num, nil}}},
		{name: "all missing stays numeric", in: "a,b\n,1\n,2\n",
			want: []col{{"a", num, []string{"<missing>", "<missing>"}}, {"b", num, []string{"1", "2"}}}},
		{name: "hexadecimal and separators are text", in: "a,b\n0x1p-2,1_000\n",
			want: []col{{"a", cat, []string{"0x1p-2"}}, {"b", cat, []string{"1_000"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 7} {
				opts := tc.opts
				opts.chunkSize = chunk
				tb, err := ReadCSV(strings.NewReader(tc.in), "in.csv", opts)
				require.NoError(t, err)
				if diff := cmp.Diff(tc.want, describe(t, tb)); diff != "" {
					t.Errorf("chunk size %d: table mismatch (-want +got):\n%s", chunk, diff)
				}
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: "in.csv:1:1: no header row"},
		{name: "blank lines only", in: "\n\r\n", want: "in.csv:1:1: no header row"},
		{name: "too few fields", in: "a,b,c\n1,2,3\n4,5\n", want: `in.csv:3:3: column "c": row has 2 fields, header has 3`},
		{name: "too many fields", in: "a,b\n1,2\n3,4,5,6\n", want: "in.csv:3:3: row has 4 fields, header has 2"},
		{name: "too many quoted fields", in: "a\n\"1\",\"2\"\n", want: "in.csv:2:2: row has 2 fields, header has 1"},
		{name: "line counts quoted newlines", in: "a,b\n\"x\ny\",1\n2\n", want: `in.csv:4:2: column "b": row has 1 fields, header has 2`},
		{name: "bare quote", in: "a,b\n1,x\"y\n", want: `in.csv:2:2: bare " in non-quoted field`},
		{name: "text after closing quote", in: "a,b\n\"x\"y,1\n", want: `in.csv:2:1: extraneous or missing " in quoted field`},
		{name: "unterminated quote", in: "a,b\n1,\"abc\n2,3\n", want: `in.csv:2:2: extraneous or missing " in quoted field`},
		{name: "duplicate header", in: "a,b,a\n1,2,3\n", want: `in.csv:1:3: duplicate column name "a" (also column 1)`},
		{name: "error in a later chunk", in: "a,b\n" + strings.Repeat("1,2\n", 5000) + "3\n",
			want: `in.csv:5002:2: column "b": row has 1 fields, header has 2`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 64} {
				_, err := ReadCSV(strings.NewReader(tc.in), "in.csv", Options{chunkSize: chunk})
				require.EqualError(t, err, tc.want, "chunk size %d", chunk)
				var pe *ParseError
				require.True(t, errors.As(err, &pe))
			}
		})
	}
}

// TestReadCSVRestart checks that a column revealed as categorical late in
// the input is read again as text from the start, for seekable and
// non-seekable readers.
func TestReadCSVRestart(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,code,late\n")
	for i := range 3000 {
		late := "1.0"
		if i == 2999 {
			late = "n/a"
		}
		b.WriteString(strings.Join([]string{strconv.Itoa(i), "0" + strconv.Itoa(i%7), late}, ",") + "\n")
	}
	in := b.String()
	offset := func() io.Reader {
		r := strings.NewReader("junk" + in)
		_, err := r.Seek(4, io.SeekStart)
		require.NoError(t, err)
		return r
	}
	readers := map[string]func() io.Reader{
		"seeker":  func() io.Reader { return strings.NewReader(in) },
		"stream":  func() io.Reader { return onlyReader{strings.NewReader(in)} },
		"offset":  offset,
		"chunked": func() io.Reader { return onlyReader{strings.NewReader(in)} },
	}
	for name, mk := range readers {
		t.Run(name, func(t *testing.T) {
			opts := Options{}
			if name == "chunked" {
				opts.chunkSize = 256
			}
			tb, err := ReadCSV(mk(), "in.csv", opts)
			require.NoError(t, err)
			require.Equal(t, 3000, tb.Rows)
			late, _ := tb.Column("late")
			require.Equal(t, drift.Categorical, late.Type)
			require.Equal(t, []string{"1.0", "n/a"}, late.Categories, "numbers keep their text")
			code, _ := tb.Column("code")
			require.Equal(t, drift.Numeric, code.Type)
			require.Equal(t, 3.0, code.Numbers[2999], "2999 mod 7")
			describe(t, tb)
		})
	}
}

// onlyReader hides every method but Read, so the reader cannot seek.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	tests := []struct {
		name    string
		path    string
		wantErr string
		want    []col
	}{
		{name: "csv", path: write("a.csv", "x\n1\n"), want: []col{{"x", drift.Numeric, []string{"1"}}}},
		{name: "upper-case extension", path: write("b.CSV", "x\ny\n"), want: []col{{"x", drift.Categorical, []string{"y"}}}},
		{name: "jsonl", path: write("c.jsonl", `{"x":1}`), want: []col{{"x", drift.Numeric, []string{"1"}}}},
		{name: "ndjson", path: write("d.ndjson", `{"x":"1"}`), want: []col{{"x", drift.Categorical, []string{"1"}}}},
		{name: "unknown extension", path: write("e.parquet", ""), wantErr: `unsupported file extension ".parquet"`},
		{name: "missing file", path: filepath.Join(dir, "nope.csv"), wantErr: "no such file or directory"},
		{name: "error names the path", path: write("f.csv", "x,y\n1\n"), wantErr: filepath.Join(dir, "f.csv") + `:2:2: column "y"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := ReadFile(tc.path, Options{})
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.path, tb.Name)
			if diff := cmp.Diff(tc.want, describe(t, tb)); diff != "" {
				t.Errorf("table mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadCSVLarge reads a file big enough for many chunks in parallel and
// checks every value against the generator.
func TestReadCSVLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.csv")
	writeNumericCSV(t, path, 50_000, 4, 9)
	for _, workers := range []int{1, 3} {
		tb, err := ReadFile(path, Options{Workers: workers, chunkSize: 64 << 10})
		require.NoError(t, err)
		require.Equal(t, 50_000, tb.Rows)
		want := numericValues(50_000, 4, 9)
		for j, c := range tb.Columns {
			require.Equal(t, drift.Numeric, c.Type)
			require.Equal(t, want[j], c.Numbers, "column %d with %d workers", j, workers)
		}
	}
}
