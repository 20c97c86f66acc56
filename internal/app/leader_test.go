package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/leader"
	"github.com/driftwatch/driftwatch/internal/testenv"
	"github.com/driftwatch/driftwatch/pipelines"
	"github.com/driftwatch/driftwatch/triggers/webhook"
)

// haCluster is the harness Kubernetes cluster (scripts/kubernetes.sh) as
// the replicas of a test see it: a namespace of the test's own for the
// Lease and the pods they label, reached through kubectl.
type haCluster struct {
	t          *testing.T
	kubectl    string
	kubeconfig string
	ns         string
}

func newHACluster(t *testing.T) *haCluster {
	t.Helper()
	c := &haCluster{t: t, kubeconfig: testenv.RequireKubeconfig(t), kubectl: testenv.Require(t, testenv.Kubectl)}
	// The replicas find the cluster the way kubectl does.
	t.Setenv("KUBECONFIG", c.kubeconfig)
	c.ns = fmt.Sprintf("dw-app-ha-%06d", rand.IntN(1_000_000))
	c.run("create", "namespace", c.ns)
	t.Cleanup(func() { c.run("delete", "namespace", c.ns, "--wait=false") })
	return c
}

func (c *haCluster) run(args ...string) string {
	c.t.Helper()
	return c.runIn("", args...)
}

func (c *haCluster) runIn(stdin string, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.kubectl, append([]string{"--kubeconfig", c.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	require.NoError(c.t, err, "kubectl %s: %s", strings.Join(args, " "), out)
	return string(out)
}

// pod creates the pod a replica runs in, for it to label.
func (c *haCluster) pod(name string) {
	c.t.Helper()
	c.runIn(fmt.Sprintf(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":%q,"namespace":%q},
		"spec":{"containers":[{"name":"driftwatch","image":"ghcr.io/driftwatch/driftwatch:test"}]}}`, name, c.ns), "apply", "-f", "-")
}

func (c *haCluster) holder() string {
	c.t.Helper()
	return c.run("get", "lease", "driftwatch", "-n", c.ns, "-o", "jsonpath={.spec.holderIdentity}")
}

func (c *haCluster) role(pod string) string {
	c.t.Helper()
	return c.run("get", "pod", pod, "-n", c.ns, "-o", "jsonpath={.metadata.labels.driftwatch\\.dev/role}")
}

// haReplica is one App of the test with its registry.
type haReplica struct {
	name string
	app  *App
	reg  *prometheus.Registry
}

func (r *haReplica) url(path string) string { return "http://" + r.app.Addr() + path }

func (r *haReplica) isLeader(t *testing.T) bool {
	v, ok := gauge(t, r.reg, "driftwatch_leader_is_leader", nil)
	return ok && v == 1
}

// TestLeaderElectionFailover runs three replicas on one shared storage
// directory against the harness cluster. Exactly one leads, labels its
// pod and serves the webhook and the API; the standbys answer 503 and
// export no control metrics. A run is requested and its evaluate step is
// left in flight; the leader stops, and another replica takes over within
// the lease duration, opens the store the first one closed, and resumes
// the run: the completed train step does not run again, the interrupted
// evaluate step does, and the version is deployed once. The remaining
// standby follows the new leader to the new champion.
func TestLeaderElectionFailover(t *testing.T) {
	kc := newHACluster(t)
	storage, state := t.TempDir(), t.TempDir()
	profile := writeCreditRiskProfile(t, state)
	deployed := filepath.Join(state, "serving.txt")
	starts := filepath.Join(state, "starts")
	train := fmt.Sprintf(`echo train >> %s; printf '{"metrics":{"log_loss":0.41},"model_uri":"file://%s/model-v2.json","version":"v2","profile_uri":"%s"}' > "$DRIFTWATCH_RESULT"`, starts, state, profile)
	// evaluate waits until the test releases it, so that it is in flight
	// when the leader stops.
	evaluate := fmt.Sprintf(`echo evaluate >> %s; while [ ! -e %s/release ]; do sleep 0.05; done; printf '{"metrics":{"roc_auc":0.91}}' > "$DRIFTWATCH_RESULT"`, starts, state)
	deploy := fmt.Sprintf(`echo deploy >> %s; printf %%s "{{.Version}}" > %s`, starts, deployed)
	lease := leader.Config{LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second, RetryPeriod: 250 * time.Millisecond}
	yaml := fmt.Sprintf(`
server: {listen: "127.0.0.1:0"}
storage: {dir: %q}
leader_election: {enabled: true, namespace: %s, lease_duration: %s, renew_deadline: %s, retry_period: %s}
models:
%spipelines:
  - name: credit-risk-retrain
    model: credit-risk
    steps:
      train: {command: [sh, -c, %q]}
      evaluate: {command: [sh, -c, %q], retries: 0}
    gate:
      metrics: [{metric: roc_auc, lower: 0.8}]
    deploy:
      target: command
      command: {command: [sh, -c, %q]}
`, storage, kc.ns, lease.LeaseDuration, lease.RenewDeadline, lease.RetryPeriod,
		creditRiskModel(), train, evaluate, deploy)
	cfg, err := config.Parse("ha.yaml", []byte(yaml))
	require.NoError(t, err)

	start := func(name string) *haReplica {
		kc.pod(name)
		opts := testOptions(cfg, testLogWriter{t, name})
		opts.PodName, opts.PodNamespace = name, kc.ns
		a, err := New(opts)
		require.NoError(t, err)
		require.NoError(t, a.Start(t.Context()))
		t.Cleanup(func() { require.NoError(t, a.Stop(context.Background())) })
		r := &haReplica{name: name, app: a, reg: opts.Registry.(*prometheus.Registry)}
		require.Eventually(t, func() bool {
			v, _ := gauge(t, r.reg, "driftwatch_source_replay_finished", map[string]string{"model": "credit-risk"})
			return v == 1
		}, waitBound, 10*time.Millisecond, "%s monitors its replay", name)
		return r
	}
	leaders := func(rs ...*haReplica) []*haReplica {
		var out []*haReplica
		for _, r := range rs {
			if r.app.Leading() {
				out = append(out, r)
			}
		}
		return out
	}

	a := start("driftwatch-a")
	require.Eventually(t, a.app.Leading, waitBound, 10*time.Millisecond, "the first replica leads")
	b, c := start("driftwatch-b"), start("driftwatch-c")
	require.Eventually(t, func() bool {
		return b.app.elector.Leader() == a.name && c.app.elector.Leader() == a.name
	}, waitBound, 10*time.Millisecond, "the standbys see the leader")
	require.Equal(t, []*haReplica{a}, leaders(a, b, c), "exactly one replica leads")
	require.Equal(t, a.name, kc.holder())
	require.True(t, a.isLeader(t))
	require.False(t, b.isLeader(t))
	require.Eventually(t, func() bool {
		return kc.role(a.name) == leader.RoleLeader && kc.role(b.name) == leader.RoleStandby && kc.role(c.name) == leader.RoleStandby
	}, waitBound, 50*time.Millisecond, "the pods are labelled by role")
	require.True(t, hasFamily(t, a.reg, "driftwatch_pipeline_runs_in_flight"), "the leader exports the control half's metrics")
	require.False(t, hasFamily(t, b.reg, "driftwatch_pipeline_runs_in_flight"), "a standby does not")

	body := `{"model":"credit-risk","reason":"failover test","requested_by":"test"}`
	resp, err := http.Post(b.url(webhook.RunsPath), "application/json", strings.NewReader(body))
	require.NoError(t, err)
	msg := readBody(t, resp)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, msg)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	require.Contains(t, msg, "(the leader is driftwatch-a)")
	resp, err = http.Post(b.url(webhook.AlertmanagerPath), "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	readBody(t, resp)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "Alertmanager retries the webhook on a standby")

	resp, err = http.Post(a.url(webhook.RunsPath), "application/json", bytes.NewBufferString(body))
	require.NoError(t, err)
	var answer webhook.RunResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&answer))
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%+v", answer)
	id := answer.Decision.RunID
	require.Eventually(t, func() bool { return lines(starts) == "train evaluate" }, waitBound, 10*time.Millisecond, "train done, evaluate in flight")

	require.NoError(t, a.app.Stop(context.Background()))
	require.False(t, a.app.Leading())
	var next, standby *haReplica
	require.Eventually(t, func() bool {
		l := leaders(b, c)
		if len(l) != 1 {
			return false
		}
		next, standby = l[0], map[*haReplica]*haReplica{b: c, c: b}[l[0]]
		return true
	}, lease.LeaseDuration, 10*time.Millisecond, "a standby takes over within the lease duration")
	require.Equal(t, next.name, kc.holder())
	require.NoError(t, os.WriteFile(filepath.Join(state, "release"), nil, 0o644))

	var run pipelines.Run
	require.Eventually(t, func() bool {
		run, err = next.app.Runner().Get(id)
		return err == nil && run.State.Terminal()
	}, waitBound, 20*time.Millisecond, "the new leader resumes the run")
	require.Equal(t, pipelines.StateSucceeded, run.State, "run: %+v", run)
	require.Equal(t, "train evaluate evaluate deploy", lines(starts), "no completed step ran twice")
	var attempts []string
	for _, s := range run.Steps {
		for _, at := range s.Attempts {
			attempts = append(attempts, fmt.Sprintf("%s-%d %s interrupted=%d", s.Name, at.Number, at.Status, at.Interrupted))
		}
	}
	require.Equal(t, []string{"train-1 succeeded interrupted=0", "evaluate-1 succeeded interrupted=1", "deploy-1 succeeded interrupted=0"}, attempts)
	got, err := os.ReadFile(deployed)
	require.NoError(t, err)
	require.Equal(t, "v2", string(got))
	require.Eventually(t, func() bool {
		s, ok := standby.app.Snapshot("credit-risk")
		return ok && s.Version == "v2"
	}, waitBound, 20*time.Millisecond, "the standby follows the new leader to the new champion")
	require.Equal(t, []*haReplica{next}, leaders(b, c))
	require.Eventually(t, func() bool { return kc.role(next.name) == leader.RoleLeader && kc.role(a.name) == leader.RoleStandby },
		waitBound, 50*time.Millisecond, "the new leader's pod is labelled")
}

// waitBound bounds the waits of the leader election tests; nothing is
// timed by it.
const waitBound = 2 * time.Minute

func hasFamily(t *testing.T, g prometheus.Gatherer, name string) bool {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return true
		}
	}
	return false
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err := b.ReadFrom(resp.Body)
	require.NoError(t, err)
	return b.String()
}

// lines returns a file's lines joined by spaces, or "" when it is missing.
func lines(path string) string {
	data, _ := os.ReadFile(path)
	return strings.Join(strings.Fields(string(data)), " ")
}

// testLogWriter sends a replica's log to the test's, named.
type testLogWriter struct {
	t    *testing.T
	name string
}

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(w.name + ": " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
