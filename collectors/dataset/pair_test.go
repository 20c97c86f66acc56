package dataset

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/drift"
)

func TestReadPairAndFeatures(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	ref := write("ref.csv", "x,code,only_ref,kind\n1.5,10,a,u\n,20,b,v\n2.5,010,c,u\n")
	cur := write("cur.jsonl", `{"kind":"v","x":3,"code":"A1","only_cur":1}`+"\n"+`{"x":null,"code":10,"kind":"v"}`)

	refT, curT, err := ReadPair(ref, cur, Options{})
	require.NoError(t, err)
	features, onlyRef, onlyCur, err := Features(refT, curT)
	require.NoError(t, err)
	require.Equal(t, []string{"only_ref"}, onlyRef)
	require.Equal(t, []string{"only_cur"}, onlyCur)

	nan := math.NaN()
	want := []drift.FeatureData{
		{Name: "x", Type: drift.Numeric,
			Reference: drift.Sample{Values: []float64{1.5, nan, 2.5}},
			Current:   drift.Sample{Values: []float64{3, nan}}},
		{Name: "code", Type: drift.Categorical,
			Reference: drift.Sample{Categories: []string{"10", "20", "010"}, Counts: []int64{1, 1, 1}},
			Current:   drift.Sample{Categories: []string{"A1", "10"}, Counts: []int64{1, 1}}},
		{Name: "kind", Type: drift.Categorical,
			Reference: drift.Sample{Categories: []string{"u", "v"}, Counts: []int64{2, 1}},
			Current:   drift.Sample{Categories: []string{"v"}, Counts: []int64{2}}},
	}
	if diff := cmp.Diff(want, features, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("features mismatch (-want +got):\n%s", diff)
	}
}

func TestFeaturesTypeMismatch(t *testing.T) {
	ref := &Table{Name: "ref.csv", Columns: []*Column{{Name: "a", Type: drift.Numeric}}}
	cur := &Table{Name: "cur.csv", Columns: []*Column{{Name: "a", Type: drift.Categorical}}}
	_, _, _, err := Features(ref, cur)
	require.EqualError(t, err, `column "a" is numeric in ref.csv but categorical in cur.csv`)
}

func TestColumnSampleCountsMissing(t *testing.T) {
	tb, err := ReadFile(writeTemp(t, "m.csv", "c\nx\n\ny\nx\n\n\"\"\n"), Options{})
	require.NoError(t, err)
	c, _ := tb.Column("c")
	require.Equal(t, drift.Sample{Categories: []string{"x", "y"}, Counts: []int64{2, 1}, Missing: 1}, c.Sample())
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}
