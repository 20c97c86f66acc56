package demo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestExamplesRoundTrip(t *testing.T) {
	at := time.Date(2026, 5, 4, 8, 0, 1, 250e6, time.UTC)
	examples := stamp(draw(300, Shifted, 1), at)
	path := filepath.Join(t.TempDir(), "examples.jsonl")
	require.NoError(t, WriteExamples(path, examples))
	got, err := ReadExamples(path)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(examples, got))
}

func TestExampleLine(t *testing.T) {
	e := Example{
		ID: "cr-00000042", Time: time.Date(2026, 5, 4, 8, 0, 1, 0, time.UTC), Default: true,
		Row: Row{
			Num: [NumNumeric]float64{43, 26280, 0.371, 4, 0.62, 18, 12500},
			Cat: [NumCategorical]string{"60", "contract", "south", "rent", "car"},
		},
	}
	want := `{"id":"cr-00000042","timestamp":"2026-05-04T08:00:01.000Z","age":43,"income":26280,"debt_ratio":0.371,` +
		`"credit_lines":4,"utilization":0.62,"months_employed":18,"loan_amount":12500,"term":"60","employment":"contract",` +
		`"region":"south","home_ownership":"rent","purpose":"car","label":"1"}`
	got, err := json.Marshal(e)
	require.NoError(t, err)
	require.Equal(t, want, string(got))
}

func TestReadExamplesErrors(t *testing.T) {
	good := `{"id":"a","timestamp":"2026-05-04T08:00:01.000Z","age":43,"income":26280,"debt_ratio":0.371,` +
		`"credit_lines":4,"utilization":0.62,"months_employed":18,"loan_amount":12500,"term":"60","employment":"contract",` +
		`"region":"south","home_ownership":"rent","purpose":"car","label":"1"}`
	edit := func(f func(m map[string]any)) string {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(good), &m))
		f(m)
		data, err := json.Marshal(m)
		require.NoError(t, err)
		return string(data)
	}
	tests := []struct {
		name string
		line string
		want string
	}{
		{"missing feature", edit(func(m map[string]any) { delete(m, "income") }), "income is missing"},
		{"text for a number", edit(func(m map[string]any) { m["age"] = "43" }), `age: want a number, got "43"`},
		{"null number", edit(func(m map[string]any) { m["age"] = nil }), "age: want a number, got null"},
		{"number for a category", edit(func(m map[string]any) { m["term"] = 60 }), "term: want a non-empty string, got 60"},
		{"unknown key", edit(func(m map[string]any) { m["score"] = 0.2 }), `unknown key "score"`},
		{"bad label", edit(func(m map[string]any) { m["label"] = "yes" }), `label: "yes" is neither "1" nor "0"`},
		{"no id", edit(func(m map[string]any) { delete(m, "id") }), "id is missing"},
		{"bad time", edit(func(m map[string]any) { m["timestamp"] = "yesterday" }), "timestamp: parsing time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "examples.jsonl")
			require.NoError(t, os.WriteFile(path, []byte(good+"\n\n"+tt.line+"\n"), 0o644))
			_, err := ReadExamples(path)
			require.ErrorContains(t, err, "examples.jsonl:3: "+tt.want)
		})
	}
}
