package rules

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// generateFile loads a configuration, generates its rules in the
// Prometheus format and writes them to dir/name.
func generateFile(t *testing.T, configPath, dir, name string) string {
	t.Helper()
	cfg, err := config.Load(configPath)
	require.NoError(t, err)
	f, err := Generate(Input{Settings: cfg.Prometheus.Rules, Models: cfg.Models, Triggers: cfg.Triggers.Rules})
	require.NoError(t, err)
	data, err := Marshal(f, FormatPrometheus)
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// promtool runs the real promtool and fails the test with its output when
// it exits non-zero.
func promtool(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runTool(t, testenv.Require(t, testenv.Promtool), args...)
	require.NoError(t, err, "promtool %v:\n%s", args, out)
	return out
}

// runTool runs a command line tool with a time limit and returns its
// combined output.
func runTool(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(out), err
}

// TestPromtoolCheckRules checks the syntax, the PromQL and the lint of the
// rules generated for the example configuration and for a fleet of models.
func TestPromtoolCheckRules(t *testing.T) {
	tests := []struct {
		name, config string
		wantRules    string
	}{
		{name: "example", config: "../../testdata/config/example.yaml", wantRules: "SUCCESS: 17 rules found"},
		{name: "fleet", config: "testdata/fleet.yaml", wantRules: "SUCCESS: 20 rules found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := generateFile(t, tc.config, t.TempDir(), "rules.yaml")
			out := promtool(t, "check", "rules", path)
			require.Contains(t, out, tc.wantRules)
		})
	}
}

// TestPromtoolTestRules runs the unit tests of testdata/fleet.test.yaml
// against the rules generated from testdata/fleet.yaml: every alert firing
// and not firing, for and keep_firing_for, and the exact labels and
// annotations.
func TestPromtoolTestRules(t *testing.T) {
	dir := t.TempDir()
	generateFile(t, "testdata/fleet.yaml", dir, "fleet.rules.yaml")
	tests, err := os.ReadFile("testdata/fleet.test.yaml")
	require.NoError(t, err)
	path := filepath.Join(dir, "fleet.test.yaml")
	require.NoError(t, os.WriteFile(path, tests, 0o644))
	out := promtool(t, "test", "rules", path)
	require.Contains(t, out, "SUCCESS")
}
