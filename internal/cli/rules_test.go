package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

const exampleConfig = "../../testdata/config/example.yaml"

// TestRulesGolden generates the rules of the example configuration in both
// formats and checks them against the golden files; go test -update
// rewrites them.
func TestRulesGolden(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "default format", golden: "example.prometheus.yaml.golden"},
		{name: "prometheus", args: []string{"--format", "prometheus"}, golden: "example.prometheus.yaml.golden"},
		{name: "prometheus-operator", args: []string{"--format", "prometheus-operator"}, golden: "example.prometheus-operator.yaml.golden"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"rules", "-c", exampleConfig}, tc.args...)...)
			require.Equal(t, ExitOK, code, "stderr:\n%s", stderr)
			require.Empty(t, stderr)
			path := filepath.Join("testdata/rules", tc.golden)
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

// TestRulesOut writes the rules to a file, replacing what was there, and
// prints nothing.
func TestRulesOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "driftwatch.rules.yaml")
	require.NoError(t, os.WriteFile(out, []byte("old contents that are much longer than nothing\n"), 0o600))
	code, stdout, stderr := run(t, "rules", "-c", exampleConfig, "--out", out)
	require.Equal(t, ExitOK, code, "stderr:\n%s", stderr)
	require.Empty(t, stdout)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	_, want, _ := run(t, "rules", "-c", exampleConfig)
	require.Equal(t, want, string(got))
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
}

func TestRulesErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "invalid config", args: []string{"-c", "../../testdata/config/feature-type.bad.yaml"}, wantCode: ExitError,
			wantStderr: `models[0].features[2].type: unknown type "floatt"`},
		{name: "missing config", args: []string{"-c", "../../testdata/config/nope.yaml"}, wantCode: ExitError,
			wantStderr: "no such file or directory"},
		{name: "unknown format", args: []string{"-c", exampleConfig, "--format", "thanos"}, wantCode: ExitUsage,
			wantStderr: "--format must be one of"},
		{name: "unwritable out", args: []string{"-c", exampleConfig, "--out", "/nonexistent/dir/rules.yaml"}, wantCode: ExitError,
			wantStderr: "driftwatch: rules:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"rules"}, tc.args...)...)
			require.Equal(t, tc.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			require.Empty(t, stdout)
			require.Contains(t, stderr, tc.wantStderr)
		})
	}
}
