package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/config/secret"
	"github.com/driftwatch/driftwatch/internal/config"
)

// metricsDoc is the reference of every metric driftwatch exports.
const metricsDoc = "../../docs/metrics.md"

var (
	// docRow matches a metric row of docs/metrics.md: | `name` | type | labels | unit | meaning |.
	docRow = regexp.MustCompile("^\\| `(driftwatch_[a-z0-9_]+)` \\| ([a-z]+) \\| ([^|]*) \\|")
	// docLabel matches a label name in a row's labels cell.
	docLabel = regexp.MustCompile("`([a-z_]+)`")
)

// notEmitted lists the documented metrics that the apps of
// TestMetricsDocListsEveryMetric do not export, because they need a live
// condition the test cannot create cheaply, and says where each is checked
// instead. Every other documented metric must be exported.
var notEmitted = map[string]string{
	// The lag of assigned partitions, so it needs a running Kafka broker.
	// collectors/monitor's TestDocsListEveryMetric checks it against the
	// docs with a lag function, and TestKafkaDriftOnMetrics (Kafka only)
	// exports it from a real consumer.
	"driftwatch_kafka_consumer_lag_messages": "collectors/monitor TestDocsListEveryMetric",
}

// TestMetricsDocListsEveryMetric runs the app in configurations that
// between them register every subsystem's metrics, and requires
// docs/metrics.md to list every driftwatch_* family they export with its
// type and label names, and every family it lists to be exported, but for
// notEmitted. Go and process metrics are left out: `driftwatch run` adds
// them, not the app.
func TestMetricsDocListsEveryMetric(t *testing.T) {
	documented := readMetricsDoc(t)
	emitted := map[string]string{}
	for _, mfs := range [][]*dto.MetricFamily{gatherExample(t), gatherPipelineRun(t)} {
		for _, mf := range mfs {
			name := mf.GetName()
			if !strings.HasPrefix(name, "driftwatch_") {
				continue
			}
			sig := familySignature(mf)
			if prev, ok := emitted[name]; ok {
				require.Equal(t, prev, sig, "%s differs between the configurations", name)
			}
			emitted[name] = sig
		}
	}
	for name, why := range notEmitted {
		require.Contains(t, documented, name, "notEmitted names %s, which docs/metrics.md does not list", name)
		if _, ok := emitted[name]; !ok {
			t.Logf("%s is not exported here; checked by %s", name, why)
			delete(documented, name)
		}
	}
	if diff := cmp.Diff(documented, emitted); diff != "" {
		t.Errorf("docs/metrics.md and the exposition differ (-documented +emitted):\n%s", diff)
	}
}

// readMetricsDoc returns the type and label names of every metric row of
// docs/metrics.md, whatever its section, by metric name.
func readMetricsDoc(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(metricsDoc)
	require.NoError(t, err)
	defer f.Close()
	documented := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := docRow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		_, dup := documented[m[1]]
		require.False(t, dup, "%s is documented twice", m[1])
		var labels []string
		for _, l := range docLabel.FindAllStringSubmatch(m[3], -1) {
			labels = append(labels, l[1])
		}
		documented[m[1]] = signature(m[2], labels)
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, documented, "no metric rows in %s", metricsDoc)
	return documented
}

// familySignature returns a family's type and the names of the labels its
// series have.
func familySignature(mf *dto.MetricFamily) string {
	names := map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			names[l.GetName()] = true
		}
	}
	return signature(strings.ToLower(mf.GetType().String()), slices.Collect(maps.Keys(names)))
}

func signature(typ string, labels []string) string {
	slices.Sort(labels)
	return typ + " " + strings.Join(labels, ",")
}

// gatherExample runs the example configuration: Alertmanager is set, so
// the silence client registers; the file model replays to the end; the
// Kafka model's broker does not exist, which still registers its source's
// series. It returns what the registry gathers then.
func gatherExample(t *testing.T) []*dto.MetricFamily {
	t.Helper()
	cfg := exampleConfig(t)
	require.NotEmpty(t, cfg.Alertmanager.URL)
	opts := testOptions(cfg, nil)
	opts.Secrets = secret.Resolver{
		ReadFile:  func(string) ([]byte, error) { return []byte("kafka-password"), nil },
		LookupEnv: func(string) (string, bool) { return "", false },
	}
	opts.Kafka.JoinBackoff = 100 * time.Millisecond
	a, err := New(opts)
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	defer func() { require.NoError(t, a.Stop(context.Background())) }()
	require.Eventually(t, func() bool {
		replayed, _ := gauge(t, opts.Registry, "driftwatch_source_replay_finished", map[string]string{"model": "credit-risk"})
		_, kafka := gauge(t, opts.Registry, "driftwatch_source_ready", map[string]string{"model": "demand-forecast"})
		return replayed == 1 && kafka
	}, 10*time.Second, 10*time.Millisecond)
	mfs, err := opts.Registry.Gather()
	require.NoError(t, err)
	return mfs
}

// gatherPipelineRun runs a configuration without Alertmanager, so the
// embedded evaluator registers, and with a pipeline whose steps are shell
// one-liners. Once the replay is over, it requests a run through the API
// and waits until the run has deployed, so that the step and deploy
// histograms and the champion exist. It returns what the registry gathers
// then.
func gatherPipelineRun(t *testing.T) []*dto.MetricFamily {
	t.Helper()
	dir := t.TempDir()
	profile := writeCreditRiskProfile(t, dir)
	train := fmt.Sprintf(`printf '{"model_uri":"file://%s/model-v2.json","version":"v2","profile_uri":"%s"}' > "$DRIFTWATCH_RESULT"`, dir, profile)
	evaluate := `printf '{"metrics":{"roc_auc":0.91}}' > "$DRIFTWATCH_RESULT"`
	yaml := fmt.Sprintf(`
server: {listen: "127.0.0.1:0"}
storage: {dir: %q}
models:
%s    drift: {numeric_method: ks, categorical_method: chisquare}
    quality:
      metrics: [{metric: roc_auc, threshold: 0.75}]
pipelines:
  - name: credit-risk-retrain
    model: credit-risk
    steps:
      train: {command: [sh, -c, %q]}
      evaluate: {command: [sh, -c, %q]}
    gate:
      metrics: [{metric: roc_auc, lower: 0.8}]
    deploy:
      target: command
      command: {command: ["true"]}
`, dir, creditRiskModel(), train, evaluate)
	cfg, err := config.Parse("metricsdoc.yaml", []byte(yaml))
	require.NoError(t, err)
	require.Empty(t, cfg.Alertmanager.URL)
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	opts := testOptions(cfg, logs)
	a, err := New(opts)
	require.NoError(t, err)
	require.NoError(t, a.Start(t.Context()))
	defer func() { require.NoError(t, a.Stop(context.Background())) }()
	require.Eventually(t, func() bool {
		v, _ := gauge(t, opts.Registry, "driftwatch_source_replay_finished", map[string]string{"model": "credit-risk"})
		return v == 1
	}, 10*time.Second, 10*time.Millisecond)

	body := `{"model":"credit-risk","reason":"metrics reference test","requested_by":"test"}`
	resp, err := http.Post("http://"+a.Addr()+"/api/v1/runs", "application/json", bytes.NewBufferString(body))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	require.Eventually(t, func() bool {
		v, _ := gauge(t, opts.Registry, "driftwatch_pipeline_runs_total", map[string]string{"model": "credit-risk", "outcome": "succeeded"})
		return v == 1
	}, 30*time.Second, 10*time.Millisecond)
	mfs, err := opts.Registry.Gather()
	require.NoError(t, err)
	return mfs
}
