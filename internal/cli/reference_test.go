package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/drift"
)

const referenceData = "testdata/reference/"

// buildArgs returns the arguments of "reference build" for the churn
// model with a fixed build time.
func buildArgs(data, out string, extra ...string) []string {
	args := []string{"reference", "build", "-c", referenceData + "churn.yaml", "--model", "churn",
		"--data", data, "--out", out, "--created-at", "2026-01-02T03:04:05Z"}
	return append(args, extra...)
}

// TestReferenceBuildGolden builds the churn profile from CSV and from JSON
// Lines holding the same rows, and checks both against one golden file;
// go test -update rewrites it from the CSV build.
func TestReferenceBuildGolden(t *testing.T) {
	const golden = referenceData + "churn.profile.golden.json"
	tests := []struct {
		name string
		data string
		args []string
	}{
		{name: "csv", data: referenceData + "train.csv"},
		{name: "jsonl", data: referenceData + "train.jsonl"},
		{name: "explicit format", data: copyTo(t, referenceData+"train.jsonl", "train.data"), args: []string{"--format", "jsonl"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "churn.profile.json")
			code, stdout, stderr := run(t, buildArgs(tc.data, out, tc.args...)...)
			require.Equal(t, ExitOK, code, "stderr:\n%s", stderr)
			require.Equal(t, out+`: model churn, 24 rows, 5 features (2 numeric, 3 categorical), prediction "churned" (categorical)`+"\n", stdout)
			require.Empty(t, stderr)
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			if *update && tc.name == "csv" {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
			}
			entries, err := os.ReadDir(filepath.Dir(out))
			require.NoError(t, err)
			require.Len(t, entries, 1, "no temporary file is left behind")
		})
	}
}

// TestReferenceBuildProfile checks what the runtime relies on in the built
// profile, independently of the golden file.
func TestReferenceBuildProfile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "p.json")
	code, _, stderr := run(t, buildArgs(referenceData+"train.csv", out)...)
	require.Equal(t, ExitOK, code, stderr)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	p, err := drift.DecodeProfile(data)
	require.NoError(t, err)

	require.Equal(t, "churn", p.Model)
	require.Equal(t, "v3", p.ModelVersion)
	require.Equal(t, int64(24), p.Rows)
	require.Equal(t, drift.ProfileOptions{Bins: 4, SampleSize: 100, TopK: 3, Seed: 7,
		QuantileSampleSize: drift.DefaultQuantileSampleSize, MaxDistinct: drift.DefaultMaxDistinct}, p.Options)
	var names []string
	for _, f := range p.Features {
		names = append(names, f.Name+":"+string(f.Type))
	}
	require.Equal(t, []string{"tenure:numeric", "monthly_charges:numeric", "plan:categorical", "zip:categorical", "account:categorical"}, names,
		"every feature, disabled ones too, in the configuration's order")

	tenure := p.Features[0]
	require.Equal(t, int64(1), tenure.Missing, "the empty cell")
	require.Equal(t, int64(1), tenure.NaN, "the NaN value")
	plan := p.Features[2]
	require.Equal(t, int64(1), plan.Missing)
	zip := p.Features[3]
	require.Contains(t, zip.Categories, "00501", "categorical values that look numeric keep their text")

	require.NotNil(t, p.Prediction)
	require.Equal(t, "churned", p.Prediction.Name)
	require.Equal(t, drift.Categorical, p.Prediction.Type)
	require.ElementsMatch(t, []string{"yes", "no"}, p.Prediction.Categories)
}

func TestReferenceBuildWithoutPredictionColumn(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "train.csv")
	require.NoError(t, os.WriteFile(data, []byte("tenure,monthly_charges,plan,zip,account\n1,2.5,pro,02134,a1\n"), 0o644))
	out := filepath.Join(dir, "p.json")
	code, stdout, stderr := run(t, buildArgs(data, out)...)
	require.Equal(t, ExitOK, code, stderr)
	require.Contains(t, stdout, `, no prediction column "churned"`)
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	p, err := drift.DecodeProfile(raw)
	require.NoError(t, err)
	require.Nil(t, p.Prediction)
}

func TestReferenceBuildErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{name: "unknown model", args: []string{"reference", "build", "-c", referenceData + "churn.yaml", "--model", "nope",
			"--data", referenceData + "train.csv", "--out", "unused.json"},
			wantCode: ExitUsage, wantStderr: []string{`driftwatch: reference build: --model: unknown model "nope" (defined models: churn, demand)`}},
		{name: "missing feature columns", args: buildArgs(referenceData+"missing-columns.csv", "unused.json"), wantCode: ExitError,
			wantStderr: []string{
				`feature "plan" has no column in testdata/reference/missing-columns.csv`,
				`feature "zip" has no column in testdata/reference/missing-columns.csv`,
			}},
		{name: "malformed csv", args: buildArgs(referenceData+"malformed.csv", "unused.json"), wantCode: ExitError,
			wantStderr: []string{"driftwatch: reference build: testdata/reference/malformed.csv:4:8: "}},
		{name: "text in a numeric column", args: buildArgs(referenceData+"text-in-numeric.csv", "unused.json"), wantCode: ExitError,
			wantStderr: []string{`column "tenure" of testdata/reference/text-in-numeric.csv is numeric in the configuration but holds text such as "twelve"`}},
		{name: "unreadable file", args: buildArgs(referenceData+"nope.csv", "unused.json"), wantCode: ExitError,
			wantStderr: []string{"driftwatch: reference build: read training data: open testdata/reference/nope.csv: no such file or directory"}},
		{name: "unknown extension", args: buildArgs(referenceData+"churn.yaml", "unused.json"), wantCode: ExitUsage,
			wantStderr: []string{"--format: cannot tell the format of testdata/reference/churn.yaml from its extension: set csv or jsonl"}},
		{name: "unknown format", args: buildArgs(referenceData+"train.csv", "unused.json", "--format", "parquet"), wantCode: ExitUsage,
			wantStderr: []string{`--format: unknown format "parquet" (want csv or jsonl)`}},
		{name: "bad build time", args: buildArgs(referenceData+"train.csv", "unused.json", "--created-at", "yesterday"), wantCode: ExitUsage,
			wantStderr: []string{`--created-at: "yesterday" is not an RFC 3339 time`}},
		{name: "invalid configuration", args: []string{"reference", "build", "-c", "../../testdata/config/feature-type.bad.yaml",
			"--model", "churn", "--data", referenceData + "train.csv", "--out", "unused.json"},
			wantCode: ExitError, wantStderr: []string{`feature-type.bad.yaml:9:9: models[0].features[2].type: unknown type "floatt"`}},
		{name: "missing flags", args: []string{"reference", "build", "-c", referenceData + "churn.yaml"}, wantCode: ExitUsage,
			wantStderr: []string{"missing flags: --data=FILE, --model=NAME, --out=FILE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tc.args...)
			require.Equal(t, tc.wantCode, code, "stderr:\n%s", stderr)
			require.Empty(t, stdout)
			for _, want := range tc.wantStderr {
				require.Contains(t, stderr, want)
			}
			_, err := os.Stat("unused.json")
			require.ErrorIs(t, err, os.ErrNotExist, "nothing is written on error")
		})
	}
}

// TestReferenceBuildKeepsOldProfileOnError checks that a failed build
// leaves an existing profile untouched.
func TestReferenceBuildKeepsOldProfileOnError(t *testing.T) {
	out := filepath.Join(t.TempDir(), "p.json")
	require.NoError(t, os.WriteFile(out, []byte("old"), 0o644))
	code, _, _ := run(t, buildArgs(referenceData+"malformed.csv", out)...)
	require.Equal(t, ExitError, code)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "old", string(got))
}

// copyTo copies src into a temporary directory under the name name.
func copyTo(t *testing.T, src, name string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	dst := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(dst, data, 0o644))
	return dst
}
