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
	"strings"
	"syscall"
	"testing"
	"time"
)

// Bounds on a private server's start and stop. They are not assertions:
// Prometheus and Alertmanager are ready in about a second.
const (
	serverStartTimeout = 60 * time.Second
	serverStopTimeout  = 10 * time.Second
	serverStartTries   = 3
)

// server is a private Prometheus or Alertmanager for startServer to run.
type server struct {
	// name names it in messages and log files, such as "Prometheus".
	name string
	// bin is its binary.
	bin string
	// dir is the test's temporary directory for its logs and storage.
	dir string
	// args returns its flags, given the host:port to listen on and an empty
	// storage directory of its own.
	args func(listen, storage string) []string
}

// startServer runs s on a free 127.0.0.1 port and returns its base URL and
// log file once it answers on /-/ready. It is stopped when the test and its
// subtests end, and its log is shown if the test failed.
func startServer(t testing.TB, s server) (url, logPath string) {
	t.Helper()
	for try := 1; ; try++ {
		url, logPath, err := startServerOnce(t, s, try)
		if err == nil {
			return url, logPath
		}
		// Another process may take the free port between the probe and
		// the server's bind; any other failure is final.
		if !errors.Is(err, errPortTaken) || try == serverStartTries {
			t.Fatalf("testenv: start %s: %v", s.name, err)
		}
	}
}

var errPortTaken = errors.New("port taken")

func startServerOnce(t testing.TB, s server, try int) (url, logPath string, err error) {
	t.Helper()
	listen, err := freeAddr()
	if err != nil {
		return "", "", err
	}
	url = "http://" + listen
	base := fmt.Sprintf("%s-%d", strings.ToLower(s.name), try)
	logPath = filepath.Join(s.dir, base+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", "", err
	}
	defer logFile.Close()
	cmd := exec.Command(s.bin, s.args(listen, filepath.Join(s.dir, base+"-data"))...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopServer(t, s.name, cmd, exited, logPath) })
	if err := waitReady(s.name, url+"/-/ready", exited); err != nil {
		log, _ := os.ReadFile(logPath)
		if strings.Contains(string(log), "address already in use") {
			return "", "", fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return "", "", fmt.Errorf("%v (its log %s follows)", err, logPath)
	}
	return url, logPath, nil
}

// FreeAddr returns a 127.0.0.1 host:port whose port was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatalf("testenv: find a free port: %v", err)
	}
	return addr
}

// freeAddr asks the kernel for a port that is free on 127.0.0.1 now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady polls url until it answers 200, the process exits, or the start
// timeout passes.
func waitReady(name, url string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), serverStartTimeout)
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
			return fmt.Errorf("%s exited before it was ready", name)
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s", url, serverStartTimeout)
		case <-tick.C:
		}
	}
}

// stopServer asks the process to shut down, kills it if it does not, and
// shows its log if the test failed.
func stopServer(t testing.TB, name string, cmd *exec.Cmd, exited <-chan struct{}, logPath string) {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = cmd.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(serverStopTimeout):
		_ = cmd.Process.Kill()
		<-exited
	}
	if t.Failed() {
		if log, err := os.ReadFile(logPath); err == nil {
			t.Logf("%s log %s:\n%s", name, logPath, log)
		}
	}
}
