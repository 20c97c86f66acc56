package cli

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const compareData = "testdata/compare/"

// TestCompareGolden runs compare on the fixtures and checks stdout against
// the golden files; go test -update rewrites them.
func TestCompareGolden(t *testing.T) {
	ref, cur := compareData+"ref.csv", compareData+"cur.csv"
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "json", args: []string{"--output", "json"}, golden: "default.json.golden"},
		{name: "table", args: []string{"--output", "table"}, golden: "default.table.golden"},
		{name: "psi and chisquare", args: []string{"--method", "psi,chisquare", "-o", "table"}, golden: "psi.table.golden"},
		{name: "threshold and categorical", args: []string{"--threshold", "0.2", "--categorical", "age", "--method", "jensenshannon", "--output", "json"},
			golden: "categorical.json.golden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"compare", "--reference", ref, "--current", cur}, tc.args...)
			code, stdout, stderr := run(t, args...)
			require.Equal(t, ExitOK, code, "stderr:\n%s", stderr)
			path := filepath.Join(compareData, tc.golden)
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(stdout), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			if diff := cmp.Diff(string(want), stdout); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", tc.golden, diff)
			}
		})
	}
}

// TestCompareJSONShape checks the fields a consumer of --output json relies
// on, independently of the golden file.
func TestCompareJSONShape(t *testing.T) {
	code, stdout, stderr := run(t, "compare", "--reference", compareData+"ref.csv", "--current", compareData+"cur.csv", "-o", "json",
		"--method", "ks,jensenshannon")
	require.Equal(t, ExitOK, code, stderr)
	var doc struct {
		Features []map[string]any `json:"features"`
		Dataset  map[string]any   `json:"dataset"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	var names []string
	for _, f := range doc.Features {
		names = append(names, f["feature"].(string))
		require.Len(t, f, 11, "feature %v", f["feature"])
	}
	require.Equal(t, []string{"age", "income", "color", "member"}, names, "reference column order")
	income := doc.Features[1]
	require.Equal(t, "ks", income["method"])
	require.Equal(t, 18.0, income["reference_count"], "one empty cell and one NaN are missing")
	require.Equal(t, 18.0, income["current_count"])
	require.InDelta(t, 0.1, income["missing_share_reference"], 1e-15)
	color := doc.Features[2]
	require.Equal(t, "jensenshannon", color["method"])
	require.Contains(t, color, "p_value")
	require.Nil(t, color["p_value"], "distances have no p-value")
	require.Equal(t, map[string]any{"features": 4.0, "drifted": 2.0, "share": 0.5, "threshold": 0.5, "drift": true}, doc.Dataset)
}

// TestCompareJSONLMatchesCSV reads the same current data from JSON Lines.
func TestCompareJSONLMatchesCSV(t *testing.T) {
	args := []string{"compare", "--reference", compareData + "ref.csv", "-o", "json", "--current"}
	code, fromCSV, stderr := run(t, append(args, compareData+"cur.csv")...)
	require.Equal(t, ExitOK, code, stderr)
	code, fromJSONL, stderr := run(t, append(args, compareData+"cur.jsonl")...)
	require.Equal(t, ExitOK, code, stderr)
	require.Equal(t, fromCSV, fromJSONL)
	require.Contains(t, stderr, "only in testdata/compare/cur.jsonl: meta.channel")
}

func TestCompareExitCodes(t *testing.T) {
	ref, cur := compareData+"ref.csv", compareData+"cur.csv"
	compare := func(args ...string) []string { return append([]string{"compare"}, args...) }
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "drift without --fail-on-drift", args: compare("--reference", ref, "--current", cur),
			wantCode: ExitOK, wantStdout: "DATASET DRIFT: 2 of 4 columns drifted (share 0.5 >= threshold 0.5)",
			wantStderr: "warning: not compared, only in testdata/compare/ref.csv: segment"},
		{name: "drift with --fail-on-drift", args: compare("--reference", ref, "--current", cur, "--fail-on-drift"),
			wantCode: ExitDrift, wantStdout: "DATASET DRIFT"},
		{name: "no drift with --fail-on-drift", args: compare("--reference", ref, "--current", ref, "--fail-on-drift"),
			wantCode: ExitOK, wantStdout: "no dataset drift: 0 of 5 columns drifted"},
		{name: "higher drift share", args: compare("--reference", ref, "--current", cur, "--fail-on-drift", "--drift-share", "0.75"),
			wantCode: ExitOK, wantStdout: "no dataset drift: 2 of 4 columns drifted (share 0.5 < threshold 0.75)"},
		{name: "malformed file", args: compare("--reference", ref, "--current", compareData+"bad.csv"),
			wantCode: ExitError, wantStderr: `testdata/compare/bad.csv:3:3: column "color": row has 2 fields, header has 3`},
		{name: "missing file", args: compare("--reference", ref, "--current", compareData+"nope.csv"),
			wantCode: ExitError, wantStderr: "no such file or directory"},
		{name: "unsupported extension", args: compare("--reference", ref, "--current", compareData+"default.json.golden"),
			wantCode: ExitError, wantStderr: `unsupported file extension ".golden"`},
		{name: "unknown method", args: compare("--reference", ref, "--current", cur, "--method", "magic"),
			wantCode: ExitUsage, wantStderr: `--method: unknown method "magic"`},
		{name: "zero threshold", args: compare("--reference", ref, "--current", cur, "--threshold", "0"),
			wantCode: ExitUsage, wantStderr: "--threshold: 0 must be a positive number"},
		{name: "negative threshold", args: compare("--reference", ref, "--current", cur, "--threshold=-0.1"),
			wantCode: ExitUsage, wantStderr: "--threshold: -0.1 must be a positive number"},
		{name: "method not applicable", args: compare("--reference", ref, "--current", cur, "--method", "ks"),
			wantCode: ExitUsage, wantStderr: `feature "color": method ks does not apply to a categorical feature`},
		{name: "ztest on many categories", args: compare("--reference", ref, "--current", cur, "--method", "wasserstein,ztest"),
			wantCode: ExitUsage, wantStderr: `feature "color": method wasserstein,ztest does not apply to a categorical feature with 4 categories`},
		{name: "unknown categorical column", args: compare("--reference", ref, "--current", cur, "--categorical", "colour"),
			wantCode: ExitUsage, wantStderr: `--categorical: no column "colour" in either file`},
		{name: "bad output", args: compare("--reference", ref, "--current", cur, "--output", "xml"),
			wantCode: ExitUsage, wantStderr: "--output"},
		{name: "missing --current", args: compare("--reference", ref),
			wantCode: ExitUsage, wantStderr: "missing flags: --current"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			require.Contains(t, stdout, tc.wantStdout)
			require.Contains(t, stderr, tc.wantStderr)
		})
	}
}
