package dashboards_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Bounds on the private Prometheus's start and stop. They are not
// assertions: Prometheus is ready in about a second.
const (
	promStartTimeout = time.Minute
	promStopTimeout  = 10 * time.Second
	promStartTries   = 3
)

// prometheusServer is a private Prometheus started for one test.
type prometheusServer struct {
	url     string
	logPath string
}

// startPrometheus runs the Prometheus binary bin on a free 127.0.0.1 port
// with its storage in a temporary directory, scraping target (host:port)
// every second as job driftwatch, and returns once it is ready. It is
// stopped when the test ends, and its log is shown if the test failed.
func startPrometheus(t *testing.T, bin, target string) *prometheusServer {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: driftwatch
    static_configs:
      - targets: [%q]
`, target)), 0o644))
	for try := 1; ; try++ {
		p, err := startPrometheusOnce(t, bin, cfg, dir, try)
		if err == nil {
			return p
		}
		// Another process may take the free port between the probe and
		// Prometheus's bind; any other failure is final.
		if !errors.Is(err, errPortTaken) || try == promStartTries {
			t.Fatalf("start Prometheus: %v", err)
		}
	}
}

var errPortTaken = errors.New("port taken")

func startPrometheusOnce(t *testing.T, bin, cfg, dir string, try int) (*prometheusServer, error) {
	t.Helper()
	addr := freeAddr(t)
	p := &prometheusServer{url: "http://" + addr, logPath: filepath.Join(dir, fmt.Sprintf("prometheus-%d.log", try))}
	logFile, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data-%d", try)),
		"--web.listen-address="+addr,
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stopPrometheus(t, cmd, exited, p.logPath) })
	if err := waitReady(p.url+"/-/ready", exited); err != nil {
		log, _ := os.ReadFile(p.logPath)
		if strings.Contains(string(log), "address already in use") {
			return nil, fmt.Errorf("%w: %v", errPortTaken, err)
		}
		return nil, fmt.Errorf("%v (its log follows)\n%s", err, log)
	}
	return p, nil
}

// freeAddr asks the kernel for a port that is free on 127.0.0.1 now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// waitReady polls url until it answers 200, the process exits, or the
// start timeout passes.
func waitReady(url string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), promStartTimeout)
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
			return errors.New("prometheus exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s", url, promStartTimeout)
		case <-tick.C:
		}
	}
}

func stopPrometheus(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}, logPath string) {
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = cmd.Process.Kill()
	}
	select {
	case <-exited:
	case <-time.After(promStopTimeout):
		_ = cmd.Process.Kill()
		<-exited
	}
	if t.Failed() {
		if log, err := os.ReadFile(logPath); err == nil {
			t.Logf("Prometheus log %s:\n%s", logPath, log)
		}
	}
}

// sample is one series of an instant vector.
type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// number is the sample's value; Prometheus sends values as strings, with
// NaN and ±Inf spelt out.
func (s sample) number() float64 {
	str, _ := s.Value[1].(string)
	v, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return 0
	}
	return v
}

// query runs an instant query through Prometheus's HTTP API and returns
// its vector, or the error Prometheus reports, such as a parse error.
func (p *prometheusServer) query(expr string) ([]sample, error) {
	resp, err := http.Get(p.url + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status    string `json:"status"`
		Error     string `json:"error"`
		ErrorType string `json:"errorType"`
		Data      struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode answer (%s): %w", resp.Status, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("%s: %s", body.ErrorType, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("result is a %s, not a vector", body.Data.ResultType)
	}
	var out []sample
	return out, json.Unmarshal(body.Data.Result, &out)
}

// waitFor waits until expr returns a non-empty vector: until Prometheus
// has scraped what the test waits for.
func (p *prometheusServer) waitFor(t *testing.T, expr, what string) {
	t.Helper()
	require.Eventually(t, func() bool {
		v, err := p.query(expr)
		require.NoError(t, err, expr)
		return len(v) > 0
	}, 2*time.Minute, 100*time.Millisecond, "Prometheus never saw %s: %s", what, expr)
}
