package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

const alertingDoc = "../../docs/alerting.md"

// fencedBlocks returns the bodies of the doc's fenced code blocks in the
// given language.
func fencedBlocks(t *testing.T, lang string) []string {
	t.Helper()
	doc, err := os.ReadFile(alertingDoc)
	require.NoError(t, err)
	re := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(doc), -1) {
		out = append(out, strings.TrimSuffix(m[1], "\n"))
	}
	return out
}

// TestAlertingDocExpressions keeps docs/alerting.md true: every PromQL
// block in it is an expression generated for the example configuration,
// and every alert has a section.
func TestAlertingDocExpressions(t *testing.T) {
	cfg, err := config.Load("../../testdata/config/example.yaml")
	require.NoError(t, err)
	f, err := Generate(Input{Settings: cfg.Prometheus.Rules, Models: cfg.Models, Triggers: cfg.Triggers.Rules})
	require.NoError(t, err)
	exprs := map[string]bool{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			exprs[r.Expr] = true
		}
	}
	blocks := fencedBlocks(t, "promql")
	require.NotEmpty(t, blocks)
	for _, b := range blocks {
		require.True(t, exprs[b], "docs/alerting.md shows an expression that is not generated:\n%s", b)
	}
	doc, err := os.ReadFile(alertingDoc)
	require.NoError(t, err)
	for _, a := range []string{FeatureDrift, DatasetDrift, QualityBelowThreshold, InputStalled, ConsumerLagGrowing, LabelJoinRateLow} {
		require.Contains(t, string(doc), "\n### "+a+"\n", "docs/alerting.md has no section for %s", a)
	}
}

// TestAlertingDocAlertmanagerConfig checks the Alertmanager configuration
// that docs/alerting.md tells users to copy with the real amtool.
func TestAlertingDocAlertmanagerConfig(t *testing.T) {
	var amConfig string
	for _, b := range fencedBlocks(t, "yaml") {
		if strings.HasPrefix(b, "# alertmanager.yml\n") {
			amConfig = b
		}
	}
	require.NotEmpty(t, amConfig, "docs/alerting.md has no yaml block starting with # alertmanager.yml")
	require.Contains(t, amConfig, "/webhooks/alertmanager")
	require.Contains(t, amConfig, "credentials_file:")
	require.Contains(t, amConfig, "group_by: [alertname, model]")

	bin := testenv.Require(t, testenv.Amtool)
	path := filepath.Join(t.TempDir(), "alertmanager.yml")
	require.NoError(t, os.WriteFile(path, []byte(amConfig+"\n"), 0o644))
	out, err := runTool(t, bin, "check-config", path)
	require.NoError(t, err, "amtool check-config:\n%s", out)
	require.Contains(t, out, "SUCCESS")
}
