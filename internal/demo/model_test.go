package demo

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestModelRoundTrip(t *testing.T) {
	examples := draw(1000, Baseline, 1)
	m := fit(t, examples, "v1")
	path := filepath.Join(t.TempDir(), "model.json")
	require.NoError(t, m.WriteFile(path))
	got, err := ReadModel(path)
	require.NoError(t, err)
	for _, e := range examples[:50] {
		require.Equal(t, m.Predict(e.Row), got.Predict(e.Row))
	}
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	again, err := got.Encode()
	require.NoError(t, err)
	require.Equal(t, string(data), string(again))
	t.Logf("artifact: %d bytes", len(data))
}

func TestModelIgnoresUnknownCategories(t *testing.T) {
	m := fit(t, draw(1000, Baseline, 1), "v1")
	r := draw(1, Baseline, 2)[0].Row
	known := m.Predict(r)
	r.Cat[Purpose] = "wedding"
	unknown := m.Predict(r)
	require.NotEqual(t, known, unknown)
	require.True(t, unknown > 0 && unknown < 1)
}

func TestDecodeModelErrors(t *testing.T) {
	good, err := fit(t, draw(1000, Baseline, 1), "v1").Encode()
	require.NoError(t, err)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		require.NoError(t, json.Unmarshal(good, &m))
		f(m)
		data, err := json.Marshal(m)
		require.NoError(t, err)
		return data
	}
	numeric := func(m map[string]any, i int) map[string]any { return m["numeric"].([]any)[i].(map[string]any) }
	categorical := func(m map[string]any, i int) map[string]any {
		return m["categorical"].([]any)[i].(map[string]any)
	}
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"not json", []byte("{"), []string{"unexpected EOF"}},
		{"unknown field", edit(func(m map[string]any) { m["bias"] = 1 }), []string{`unknown field "bias"`}},
		{"two objects", append(append([]byte(nil), good...), good...), []string{"data after the model object"}},
		{"other format", edit(func(m map[string]any) { m["format"] = 2 }), []string{"format 2 is not supported"}},
		{"no version", edit(func(m map[string]any) { delete(m, "version") }), []string{"version: is required"}},
		{"every problem at once", edit(func(m map[string]any) {
			m["threshold"] = 1
			numeric(m, 1)["name"] = "salary"
			numeric(m, 2)["std"] = 0
			categorical(m, 0)["levels"] = []string{"36", "48"}
			categorical(m, 1)["weights"] = []float64{1}
		}), []string{
			"threshold: 1 is outside (0, 1)",
			`numeric[1].name: "salary", want "income"`,
			"numeric[2].std: 0 is not a positive number",
			`categorical[0].levels: ["36" "48"], want ["36" "60"]`,
			"categorical[1].weights: 1 weights for 5 levels",
		}},
		{"missing features", edit(func(m map[string]any) { m["numeric"] = m["numeric"].([]any)[:3] }), []string{"numeric: 3 features, want 7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeModel(tt.data)
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
			require.True(t, strings.HasPrefix(err.Error(), "decode model: "), err.Error())
		})
	}
}
