package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// PrometheusInstance is a private Prometheus started for one test.
type PrometheusInstance struct {
	// URL is its base URL, http://127.0.0.1:PORT.
	URL string
	// LogPath is the file that holds its output.
	LogPath string
}

// StartPrometheus starts a private Prometheus with the given configuration
// and returns once it is ready. files, such as rule files, are written next
// to the configuration under their relative names, so that the
// configuration's relative rule_files find them. It runs the binary at
// DRIFTWATCH_PROMETHEUS_BIN, skipping the test (failing it under CI) when
// that is not set, on a free 127.0.0.1 port, with its storage in a temporary
// directory. It is stopped when the test and its subtests end, and its log
// is shown if the test failed.
func StartPrometheus(t testing.TB, config string, files map[string][]byte) *PrometheusInstance {
	t.Helper()
	bin := Require(t, PrometheusBin)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatalf("testenv: write Prometheus config: %v", err)
	}
	for name, data := range files {
		if !filepath.IsLocal(name) || name == filepath.Base(cfg) {
			t.Fatalf("testenv: Prometheus file %q must be a relative path inside its directory, other than its config", name)
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatalf("testenv: write Prometheus file: %v", err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatalf("testenv: write Prometheus file: %v", err)
		}
	}
	url, logPath := startServer(t, server{
		name: "Prometheus",
		bin:  bin,
		dir:  dir,
		args: func(listen, storage string) []string {
			return []string{
				"--config.file=" + cfg,
				"--storage.tsdb.path=" + storage,
				"--web.listen-address=" + listen,
			}
		},
	})
	return &PrometheusInstance{URL: url, LogPath: logPath}
}
