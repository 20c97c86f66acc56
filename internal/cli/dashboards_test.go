package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/dashboards"
	"github.com/driftwatch/driftwatch/dashboards/grafanatest"
	"github.com/driftwatch/driftwatch/internal/config"
)

const exampleConfigPath = "../../testdata/config/example.yaml"

var exampleUIDs = []string{dashboards.FleetUID, "driftwatch-m-credit-risk", "driftwatch-m-demand-forecast"}

// TestDashboardsOut runs `driftwatch dashboards -c
// testdata/config/example.yaml --out DIR` and checks that it writes one
// valid dashboard per UID, the same as the generator's.
func TestDashboardsOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dashboards-out")
	code, stdout, stderr := run(t, "dashboards", "-c", exampleConfigPath, "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	require.Empty(t, stdout)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		var d struct {
			UID    string           `json:"uid"`
			Title  string           `json:"title"`
			Panels []map[string]any `json:"panels"`
		}
		require.NoError(t, json.Unmarshal(data, &d), e.Name())
		require.Equal(t, e.Name(), d.UID+".json")
		require.NotEmpty(t, d.Title)
		require.NotEmpty(t, d.Panels)
	}
	require.Equal(t, []string{dashboards.FleetUID + ".json", "driftwatch-m-credit-risk.json", "driftwatch-m-demand-forecast.json"}, names)

	code, _, stderr = run(t, "dashboards", "-c", exampleConfigPath, "--out", dir)
	require.Equal(t, ExitOK, code, "generating again replaces the files: %s", stderr)
}

// TestDashboardsConfigMaps writes the ConfigMaps to standard output as one
// YAML stream, and into a directory as one file each.
func TestDashboardsConfigMaps(t *testing.T) {
	code, stdout, stderr := run(t, "dashboards", "-c", exampleConfigPath, "--configmaps", "--namespace", "monitoring")
	require.Equal(t, ExitOK, code, stderr)
	dec := yaml.NewDecoder(strings.NewReader(stdout))
	var uids []string
	for {
		var cm struct {
			Kind     string `yaml:"kind"`
			Metadata struct {
				Name        string            `yaml:"name"`
				Namespace   string            `yaml:"namespace"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Data map[string]string `yaml:"data"`
		}
		if err := dec.Decode(&cm); err != nil {
			require.ErrorContains(t, err, "EOF")
			break
		}
		require.Equal(t, "ConfigMap", cm.Kind)
		require.Equal(t, "monitoring", cm.Metadata.Namespace)
		require.Equal(t, "1", cm.Metadata.Labels["grafana_dashboard"])
		require.Equal(t, "driftwatch", cm.Metadata.Annotations["grafana_folder"])
		require.True(t, json.Valid([]byte(cm.Data[cm.Metadata.Name+".json"])), cm.Metadata.Name)
		uids = append(uids, cm.Metadata.Name)
	}
	require.Equal(t, exampleUIDs, uids)

	dir := t.TempDir()
	code, stdout, stderr = run(t, "dashboards", "-c", exampleConfigPath, "--configmaps", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	require.Empty(t, stdout)
	for _, uid := range exampleUIDs {
		require.FileExists(t, filepath.Join(dir, uid+".yaml"))
	}
}

// TestDashboardsPush pushes to an in-memory Grafana with the token of
// the example's grafana.token, twice: the second push changes nothing.
func TestDashboardsPush(t *testing.T) {
	g := grafanatest.New("glsa_example")
	defer g.Close()
	t.Setenv("GRAFANA_TOKEN", "glsa_example")
	lines := func(change string) string {
		var b strings.Builder
		for _, uid := range exampleUIDs {
			title := "driftwatch: " + strings.TrimPrefix(uid, "driftwatch-m-")
			if uid == dashboards.FleetUID {
				title = "driftwatch: fleet overview"
			}
			b.WriteString(change + strings.Repeat(" ", 10-len(change)) + uid + "  " + title + "\n")
		}
		return b.String()
	}
	code, stdout, stderr := run(t, "dashboards", "-c", exampleConfigPath, "--grafana-url", g.URL)
	require.Equal(t, ExitOK, code, stderr)
	require.Equal(t, lines("created"), stdout)
	require.Equal(t, exampleUIDs, g.DashboardUIDs())

	code, stdout, stderr = run(t, "dashboards", "-c", exampleConfigPath, "--grafana-url", g.URL)
	require.Equal(t, ExitOK, code, stderr)
	require.Equal(t, lines("unchanged"), stdout)
}

func TestDashboardsErrors(t *testing.T) {
	g := grafanatest.New("right")
	defer g.Close()
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		want     string
	}{
		{name: "no mode", args: []string{"-c", exampleConfigPath}, wantCode: ExitUsage,
			want: "driftwatch: dashboards: choose one of --out DIR, --configmaps [--out DIR] and --grafana-url URL"},
		{name: "two modes", args: []string{"-c", exampleConfigPath, "--out", "x", "--grafana-url", g.URL}, wantCode: ExitUsage,
			want: "choose one of"},
		{name: "invalid configuration", args: []string{"-c", "../../testdata/config/feature-type.bad.yaml", "--out", "x"}, wantCode: ExitError,
			want: `models[0].features[2].type: unknown type "floatt"`},
		{name: "token variable unset", args: []string{"-c", exampleConfigPath, "--grafana-url", g.URL}, env: map[string]string{"GRAFANA_TOKEN": ""},
			wantCode: ExitError, want: "driftwatch: dashboards: grafana.token: secret from environment variable GRAFANA_TOKEN: variable is not set"},
		{name: "wrong token", args: []string{"-c", exampleConfigPath, "--grafana-url", g.URL}, env: map[string]string{"GRAFANA_TOKEN": "wrong"},
			wantCode: ExitError, want: "401 Unauthorized: invalid API key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
				if v == "" {
					require.NoError(t, os.Unsetenv(k))
				}
			}
			code, _, stderr := run(t, append([]string{"dashboards"}, tc.args...)...)
			require.Equal(t, tc.wantCode, code, "stderr:\n%s", stderr)
			require.Contains(t, stderr, tc.want)
		})
	}
	require.False(t, slices.Contains(g.DashboardUIDs(), dashboards.FleetUID), "nothing was pushed")
}

func TestGrafanaToken(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "token"), []byte("from-file\n"), 0o600))
	tests := []struct {
		name, config, env, want string
	}{
		{name: "grafana.token from a file", config: "grafana: {token: {file: token}}", env: "ignored", want: "from-file"},
		{name: "GRAFANA_TOKEN without grafana.token", config: "grafana: {}", env: "from-env", want: "from-env"},
		{name: "neither, for basic auth in the URL", config: "grafana: {}", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GRAFANA_TOKEN", tc.env)
			var cfg config.Config
			require.NoError(t, yaml.Unmarshal([]byte(tc.config), &cfg))
			got, err := grafanaToken(&cfg, dir)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
