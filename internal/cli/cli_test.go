package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMainExitCodes(t *testing.T) {
	const cfg = "../../testdata/config/"
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{name: "validate good", args: []string{"validate", "-c", cfg + "example.yaml"}, wantCode: 0, wantStdout: "example.yaml: OK (2 models, 2 pipelines, 2 trigger rules)"},
		{name: "validate bad", args: []string{"validate", "-c", cfg + "feature-type.bad.yaml"}, wantCode: 1,
			wantStderr: `feature-type.bad.yaml:9:9: models[0].features[2].type: unknown type "floatt" (want numeric or categorical)`},
		{name: "validate missing file", args: []string{"validate", "-c", cfg + "nope.yaml"}, wantCode: 1, wantStderr: "no such file or directory"},
		{name: "validate without -c", args: []string{"validate"}, wantCode: 2, wantStderr: "missing flags: --config"},
		{name: "version", args: []string{"version"}, wantCode: 0, wantStdout: "driftwatch "},
		{name: "help", args: []string{"--help"}, wantCode: 0, wantStdout: "validate"},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: 2, wantStderr: "unexpected argument frobnicate"},
		{name: "bad log format", args: []string{"--log-format", "xml", "version"}, wantCode: 2, wantStderr: "--log-format"},
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

func TestValidatePrintsEveryProblem(t *testing.T) {
	code, _, stderr := run(t, "validate", "-c", "../../testdata/config/semantics.bad.yaml")
	require.Equal(t, ExitError, code)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 13, "12 problems and a summary line:\n%s", stderr)
	require.True(t, strings.HasSuffix(lines[12], "semantics.bad.yaml: 12 problem(s)"), lines[12])
}

func TestLogFormat(t *testing.T) {
	var buf bytes.Buffer
	newLogger(&buf, "json", "info").Info("hello", "k", 1)
	require.Contains(t, buf.String(), `"msg":"hello"`)
	buf.Reset()
	newLogger(&buf, "text", "warn").Info("dropped")
	require.Empty(t, buf.String())
}
