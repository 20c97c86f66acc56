package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// NullAlertmanagerConfig is an Alertmanager configuration whose only
// receiver sends nothing, for tests of the API rather than of notifications.
const NullAlertmanagerConfig = `route:
  receiver: "null"
receivers:
  - name: "null"
`

// AlertmanagerInstance is a private Alertmanager started for one test.
type AlertmanagerInstance struct {
	// URL is its base URL, http://127.0.0.1:PORT.
	URL string
	// LogPath is the file that holds its output.
	LogPath string
}

// StartAlertmanager starts a private Alertmanager with the given
// configuration and returns once it is ready. It runs the binary at
// DRIFTWATCH_ALERTMANAGER_BIN, skipping the test (failing it under CI) when
// that is not set, on a free 127.0.0.1 port, with its storage in a temporary
// directory and clustering disabled. It is stopped when the test and its
// subtests end, and its log is shown if the test failed. Call it once in a
// parent test and share it among subtests to start one instance per package.
func StartAlertmanager(t testing.TB, config string) *AlertmanagerInstance {
	t.Helper()
	bin := Require(t, AlertmanagerBin)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatalf("testenv: write Alertmanager config: %v", err)
	}
	url, logPath := startServer(t, server{
		name: "Alertmanager",
		bin:  bin,
		dir:  dir,
		args: func(listen, storage string) []string {
			return []string{
				"--config.file=" + cfg,
				"--storage.path=" + storage,
				"--web.listen-address=" + listen,
				// Empty disables clustering, so nothing gossips on a fixed port.
				"--cluster.listen-address=",
			}
		},
	})
	return &AlertmanagerInstance{URL: url, LogPath: logPath}
}
