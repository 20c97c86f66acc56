package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/testenv"
)

// clusterLoopTimeout bounds the whole scenario. It takes about 20 s with
// the services up and the build cached; each of its stages has a bound of
// its own (DRIFTWATCH_E2E_TIMEOUT), so this only keeps a hang from lasting
// until the test binary's deadline.
const clusterLoopTimeout = 10 * time.Minute

// TestClusterLoop runs scripts/e2e-cluster.sh, the whole retraining loop
// on the harness cluster: drifting events in Kafka fire an alert in a real
// Prometheus, a real Alertmanager posts it to driftwatch's webhook, the
// run trains on a GPU node and evaluates on the CPU node of the kwok
// cluster, the gate passes, the serving Deployment rolls out, and the
// drift resolves against the new version. The script is the scenario, so
// that what `make test` checks is exactly what a user runs; it builds and
// runs the real binary of this package. Its output, step by step, goes to
// the test log.
func TestClusterLoop(t *testing.T) {
	testenv.Require(t, testenv.Kafka)
	testenv.Require(t, testenv.PrometheusBin)
	testenv.Require(t, testenv.Promtool)
	testenv.Require(t, testenv.AlertmanagerBin)
	testenv.Require(t, testenv.Kubectl)
	testenv.RequireKubeconfig(t)

	script, err := filepath.Abs("../../scripts/e2e-cluster.sh")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), clusterLoopTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, script)
	// Free ports, so that the test runs beside a user's own run of the
	// script and beside the services' fixed ports.
	cmd.Env = append(os.Environ(),
		"DRIFTWATCH_E2E_PORT="+freePort(t),
		"DRIFTWATCH_E2E_PROMETHEUS_PORT="+freePort(t),
		"DRIFTWATCH_E2E_ALERTMANAGER_PORT="+freePort(t),
		"DRIFTWATCH_E2E_KEEP=",
	)
	// On timeout the script gets SIGTERM and cleans up what it started.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	out, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	logged := make(chan struct{})
	go func() {
		defer close(logged)
		lines := bufio.NewScanner(out)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		for lines.Scan() {
			t.Log(lines.Text())
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	err = cmd.Run()
	w.Close()
	<-logged
	require.NoError(t, err, "scripts/e2e-cluster.sh failed; its output above says at which stage")
}

// freePort returns a 127.0.0.1 port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	_, port, err := net.SplitHostPort(testenv.FreeAddr(t))
	require.NoError(t, err)
	return port
}
