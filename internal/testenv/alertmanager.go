package testenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// NullAlertmanagerConfig is an Alertmanager configuration whose only
// receiver sends nothing, for tests of the API rather than of notifications.
const NullAlertmanagerConfig = `route:
  receiver: "null"
receivers:
  - name: "null"
`

// Bounds on a private Alertmanager's start and stop. They are not
// assertions: a healthy Alertmanager is ready in about a second.
const (
	alertmanagerStartTimeout = 60 * time.Second
	alertmanagerStopTimeout  = 10 * time.Second
	alertmanagerStartTries   = 3
)

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
	for try := 1; ; try++ {
		am, err := startAlertmanager(t, bin, cfg, dir, try)
		if err == nil {
			return am
		}
		// Another process may take the free port between the probe and
		// Alertmanager's bind; any other failure is final.
		if !errors.Is(err, errPortTaken) || try == alertmanagerStartTries {
			t.Fatalf("testenv: start Alertmanager: %v", err)
		}
	}
}

var errPortTaken = errors.New("port taken")

func startAlertmanager(t testing.TB, bin, cfg, dir string, try int) (*AlertmanagerInstance, error) {
	t.Helper()
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	am := &AlertmanagerInstance{
		URL:     "http://127.0.0.1:" + strconv.Itoa(port),
		LogPath: filepath.Join(dir, fmt.Sprintf("alertmanager-%d.log", try)),
	}
	logFile, err := os.Create(am.LogPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin,
		"--config.file="+cfg,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:"+strconv.Itoa(port),
		// Empty disables clustering, so nothing gossips on a fixed port.
		"--cluster.listen-address=",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopAlertmanager(t, cmd, exited, am.LogPath) })
	if err := waitReady(am.URL+"/-/ready", exited); err != nil {
		log, _ := os.ReadFile(am.LogPath)
		if strings.Contains(string(log), "address already in use") {
			return nil, fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, fmt.Errorf("%v (its log %s follows)", err, am.LogPath)
	}
	return am, nil
}

// freePort asks the kernel for a port that is free on 127.0.0.1 now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls url until it answers 200, the process exits, or the start
// timeout passes.
func waitReady(url string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), alertmanagerStartTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("alertmanager exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s", url, alertmanagerStartTimeout)
		case <-tick.C:
		}
	}
}

// stopAlertmanager asks the process to shut down, kills it if it does not,
// and shows its log if the test failed.
func stopAlertmanager(t testing.TB, cmd *exec.Cmd, exited <-chan struct{}, logPath string) {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = cmd.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(alertmanagerStopTimeout):
		_ = cmd.Process.Kill()
		<-exited
	}
	if t.Failed() {
		if log, err := os.ReadFile(logPath); err == nil {
			t.Logf("Alertmanager log %s:\n%s", logPath, log)
		}
	}
}
