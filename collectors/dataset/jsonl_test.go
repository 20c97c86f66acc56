package dataset

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/drift"
)

func TestReadJSONL(t *testing.T) {
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
		{name: "numbers, strings and nulls",
			in:   `{"a": 1, "b": "x"}` + "\n" + `{"a": null, "b": "y"}` + "\n" + `{"b": "x", "a": -2.5e1}`,
			want: []col{{"a", num, []string{"1", "<missing>", "-25"}}, {"b", cat, []string{"x", "y", "x"}}}},
		{name: "nested objects flatten to dotted paths",
			in:   `{"user": {"age": 31, "geo": {"country": "DE"}}, "n": 2}` + "\n" + `{"user": {"age": 40}}`,
			want: []col{{"user.age", num, []string{"31", "40"}}, {"user.geo.country", cat, []string{"DE", "<missing>"}}, {"n", num, []string{"2", "<missing>"}}}},
		{name: "columns in order of first appearance", in: `{"b": 1}` + "\n" + `{"a": 2, "b": 3}`,
			want: []col{{"b", num, []string{"1", "3"}}, {"a", num, []string{"<missing>", "2"}}}},
		{name: "a string makes a column categorical and numbers keep their text",
			in:   `{"a": 1.50}` + "\n" + `{"a": "1.5"}` + "\n" + `{"a": 1e2}`,
			want: []col{{"a", cat, []string{"1.50", "1.5", "1e2"}}}},
		{name: "booleans, arrays and empty strings are categories",
			in:   `{"b": true, "l": [1, {"k": "v"}], "s": ""}` + "\n" + `{"b": false, "l": [], "s": "x"}`,
			want: []col{{"b", cat, []string{"true", "false"}}, {"l", cat, []string{`[1, {"k": "v"}]`, "[]"}}, {"s", cat, []string{"", "x"}}}},
		{name: "Python's special numbers", in: `{"a": NaN}` + "\n" + `{"a": -Infinity}` + "\n" + `{"a": Infinity}`,
			want: []col{{"a", num, []string{"NaN", "-Inf", "+Inf"}}}},
		{name: "escapes and unicode",
			in:   `{"k\u00e9y": "a\"b\\c\/\n\t\u00e9\ud83d\ude00", "x": "\ud800 lone", "y": "caf` + "\xe9" + `"}`,
			want: []col{{"kéy", cat, []string{"a\"b\\c/\n\té😀"}}, {"x", cat, []string{"\uFFFD lone"}}, {"y", cat, []string{"caf\uFFFD"}}}},
		{name: "blank lines, CRLF and whitespace", in: "\n  {\"a\" : 1 }  \r\n\r\n\t{\"a\":2}\n\n",
			want: []col{{"a", num, []string{"1", "2"}}}},
		{name: "empty object is a row of missing cells", in: `{"a": 1}` + "\n{}\n",
			want: []col{{"a", num, []string{"1", "<missing>"}}}},
		{name: "named categorical", in: `{"zip": 2134}`, opts: Options{Categorical: []string{"zip"}},
			want: []col{{"zip", cat, []string{"2134"}}}},
		{name: "empty input", in: "", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 9} {
				opts := tc.opts
				opts.chunkSize = chunk
				tb, err := ReadJSONL(strings.NewReader(tc.in), "in.jsonl", opts)
				require.NoError(t, err)
				if diff := cmp.Diff(tc.want, describe(t, tb)); diff != "" {
					t.Errorf("chunk size %d: table mismatch (-want +got):\n%s", chunk, diff)
				}
			}
		})
	}
}

func TestReadJSONLErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "not an object", in: `{"a":1}` + "\n[1, 2]\n", want: "in.jsonl:2:1: line is not a JSON object"},
		{name: "duplicate key", in: `{"a": 1, "a": 2}`, want: `in.jsonl:1:15: duplicate key "a"`},
		{name: "duplicate dotted path", in: `{"a": {"b": 1}, "a.b": 2}`, want: `in.jsonl:1:24: duplicate key "a.b"`},
		{name: "trailing comma", in: `{"a": 1,}`, want: `in.jsonl:1:9: unexpected '}', want a string key`},
		{name: "missing colon", in: `{"a" 1}`, want: `in.jsonl:1:6: unexpected '1', want ':'`},
		{name: "unterminated string", in: `{"a": "xyz}`, want: "in.jsonl:1:7: unterminated string"},
		{name: "raw newline in string", in: "{\"a\": \"x\n\"}", want: "in.jsonl:1:7: unterminated string"},
		{name: "control character", in: "{\"a\": \"x\ty\"}", want: "in.jsonl:1:9: control character 0x09 in string"},
		{name: "bad escape", in: `{"a": "\x"}`, want: `in.jsonl:1:8: invalid escape "\\x"`},
		{name: "bad unicode escape", in: `{"a": "\u12G4"}`, want: `in.jsonl:1:8: invalid \u escape`},
		{name: "leading zero", in: `{"a": 01}`, want: `in.jsonl:1:8: unexpected '1', want ',' or '}'`},
		{name: "bare fraction", in: `{"a": .5}`, want: `in.jsonl:1:7: unexpected '.', want a JSON value`},
		{name: "incomplete exponent", in: `{"a": 1e}`, want: `in.jsonl:1:9: unexpected '}' in number, want a digit`},
		{name: "bad literal", in: `{"a": tru}`, want: `in.jsonl:1:7: unexpected 't', want a JSON value`},
		{name: "garbage after object", in: `{"a": 1} x`, want: `in.jsonl:1:10: unexpected 'x' after the object`},
		{name: "unclosed object", in: `{"a": 1`, want: `in.jsonl:1:8: unexpected end of line, want ',' or '}'`},
		{name: "bad value inside array", in: `{"a": [1, 2,]}`, want: `in.jsonl:1:13: unexpected ']', want a JSON value`},
		{name: "too deep", in: `{"a": ` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`,
			want: "in.jsonl:1:10006: nesting deeper than 10000"},
		{name: "error in a later chunk", in: strings.Repeat(`{"a": 1}`+"\n", 3000) + `{"a": }`,
			want: `in.jsonl:3001:7: unexpected '}', want a JSON value`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, chunk := range []int{0, 1, 100} {
				_, err := ReadJSONL(strings.NewReader(tc.in), "in.jsonl", Options{chunkSize: chunk})
				require.EqualError(t, err, tc.want, "chunk size %d", chunk)
				var pe *ParseError
				require.True(t, errors.As(err, &pe))
			}
		})
	}
}

// TestReadJSONLRestart checks a column that turns categorical in a later
// chunk and a column that first appears late.
func TestReadJSONLRestart(t *testing.T) {
	var b strings.Builder
	for i := range 2000 {
		switch {
		case i == 1500:
			b.WriteString(`{"v": "high", "w": 1}` + "\n")
		default:
			b.WriteString(`{"v": 1.25}` + "\n")
		}
	}
	for _, chunk := range []int{0, 512} {
		tb, err := ReadJSONL(onlyReader{strings.NewReader(b.String())}, "in.jsonl", Options{chunkSize: chunk})
		require.NoError(t, err)
		require.Equal(t, 2000, tb.Rows)
		describe(t, tb)
		v, _ := tb.Column("v")
		require.Equal(t, drift.Categorical, v.Type)
		require.Equal(t, []string{"1.25", "high"}, v.Categories)
		w, _ := tb.Column("w")
		require.Equal(t, drift.Numeric, w.Type)
		require.Equal(t, 1999, w.MissingCount())
		require.False(t, w.Missing(1500))
	}
}
