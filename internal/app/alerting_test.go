package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/testenv"
	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/rules"
	"github.com/driftwatch/driftwatch/triggers/webhook"
)

// These tests run the whole alerting path with real services: driftwatch
// reads drifting events from Kafka, a real Prometheus scrapes it and
// evaluates the rules `driftwatch rules` generates, and a real
// Alertmanager posts the alerts to driftwatch's webhook.

const alertWait = 90 * time.Second

const webhookToken = "e2e-webhook-token"

// alertingTest is one test's driftwatch, Prometheus and Alertmanager.
type alertingTest struct {
	kt      *kafkaTest
	app     *App
	reg     *prometheus.Registry
	amURL   string
	promURL string
	// release is the file the pipeline's train step waits for.
	release string
	// deliveries counts the webhook calls Alertmanager made.
	deliveries atomic.Int64
}

// startAlerting starts the three services. front wraps driftwatch's
// webhook as Alertmanager sees it, so that a test can get between them.
func startAlerting(t *testing.T, front func(next http.Handler) http.Handler) *alertingTest {
	t.Helper()
	// Skip before Kafka and Alertmanager start when there is no Prometheus.
	testenv.Require(t, testenv.PrometheusBin)
	at := &alertingTest{kt: newKafkaTest(t, 1, false)}
	appAddr := testenv.FreeAddr(t)

	// Alertmanager posts to a proxy in front of driftwatch's webhook, which
	// counts the deliveries and lets the test interfere.
	var proxy http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := "http://" + appAddr + r.URL.Path
		req, err := http.NewRequestWithContext(r.Context(), r.Method, u, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	if front != nil {
		proxy = front(proxy)
	}
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at.deliveries.Add(1)
		proxy.ServeHTTP(w, r)
	})
	hook := httptest.NewServer(counted)
	t.Cleanup(hook.Close)

	am := testenv.StartAlertmanager(t, fmt.Sprintf(`
route:
  receiver: driftwatch
  group_by: [alertname, model]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 3s
receivers:
  - name: driftwatch
    webhook_configs:
      - url: %s%s
        send_resolved: true
        http_config:
          authorization: {credentials: %s}
`, hook.URL, webhook.AlertmanagerPath, webhookToken))
	at.amURL = am.URL

	t.Setenv("DRIFTWATCH_E2E_TOKEN", webhookToken)
	at.release = filepath.Join(t.TempDir(), "release")
	cfg := at.config(t, appAddr)
	at.reg = prometheus.NewPedanticRegistry()
	var err error
	at.app, err = New(Options{Config: cfg, Logger: testLogger(t), Registry: at.reg, SyncInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, at.app.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), kafkaWait)
		defer cancel()
		require.NoError(t, at.app.Stop(ctx))
	})
	require.Eventually(t, func() bool { return at.app.Ready() == nil }, kafkaWait, 50*time.Millisecond, "the consumer joins its group")

	f, err := rules.Generate(rules.Input{Settings: cfg.Prometheus.Rules, Models: cfg.Models, Triggers: cfg.Triggers.Rules})
	require.NoError(t, err)
	data, err := rules.Marshal(f, rules.FormatPrometheus)
	require.NoError(t, err)
	at.promURL = startPrometheus(t, at.app.Addr(), strings.TrimPrefix(am.URL, "http://"), data)
	return at
}

// config is driftwatch's configuration: the payments model in count
// windows of 200 events, a trigger rule for its drift alerts, and the
// alert rules tuned to fire and resolve within seconds.
func (at *alertingTest) config(t *testing.T, listen string) *config.Config {
	t.Helper()
	kt := at.kt
	yaml := fmt.Sprintf(`
server:
  listen: %q
  auth: {bearer_token: {env: DRIFTWATCH_E2E_TOKEN}}
storage: {dir: %q}
prometheus:
  rules: {for: 0s, keep_firing_for: 0s, severity: warning}
alertmanager: {url: %q, timeout: 5s}
models:
  - name: payments
    features:
      - {name: amount, type: numeric}
      - {name: merchant, type: categorical}
    prediction: {kind: binary, positive_class: "1", classes: ["0", "1"]}
    source:
      type: kafka
      kafka:
        brokers: [%q]
        topics: {predictions: %s}
        group: %s
        session_timeout: 6s
    reference: {data: %q}
    window: {count: 200, min_events: 100}
triggers:
  rules:
    - name: payments-drift
      pipeline: payments-retrain
      match: {model: payments}
      match_regex: {alertname: "DriftwatchFeatureDrift|DriftwatchDatasetDrift"}
      cooldown: 1h
      min_drifted_features: 1
pipelines:
  - name: payments-retrain
    model: payments
    steps:
      train: {command: [sh, -c, 'while [ ! -e %s ]; do sleep 0.05; done; exit 3'], retries: 0}
      evaluate: {command: ["true"]}
    gate:
      metrics: [{metric: roc_auc, lower: 0.7}]
    deploy:
      target: command
      command: {command: ["true"]}
`, listen, t.TempDir(), at.amURL, kt.broker, kt.topic, kt.group, kt.reference, at.release)
	cfg, err := config.Parse("alerting.yaml", []byte(yaml))
	require.NoError(t, err)
	return cfg
}

// runs returns the payments model's runs.
func (at *alertingTest) runs(t *testing.T) []triggers.Run {
	t.Helper()
	runs, err := at.app.Engine().Runs(context.Background(), triggers.RunFilter{Model: "payments"})
	require.NoError(t, err)
	return runs
}

// outcomes counts the decisions recorded so far by outcome.
func (at *alertingTest) outcomes(t *testing.T) map[triggers.Outcome]int {
	t.Helper()
	ds, err := at.app.Engine().Decisions(context.Background(), 1000)
	require.NoError(t, err)
	out := map[triggers.Outcome]int{}
	for _, d := range ds {
		out[d.Outcome]++
	}
	return out
}

// silences returns Alertmanager's silences whose matchers include
// model="payments", by state.
func (at *alertingTest) silences(t *testing.T) map[string]int {
	t.Helper()
	resp, err := http.Get(at.amURL + "/api/v2/silences?filter=" + url.QueryEscape(`model="payments"`))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var got []struct {
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	out := map[string]int{}
	for _, s := range got {
		out[s.Status.State]++
	}
	return out
}

// TestAlertmanagerTriggersOneRun runs the loop from drifting events to a
// run request: the alert fires in Prometheus, Alertmanager posts it, and
// driftwatch records exactly one run however often it is re-sent; the run
// silences the model's alerts while it is in flight, and the alert's
// resolution is recorded.
func TestAlertmanagerTriggersOneRun(t *testing.T) {
	at := startAlerting(t, nil)
	kt := at.kt

	// A window of shifted amounts drifts.
	kt.stream(t, kt.payments(0, 200, 0, time.Minute, 60))
	require.Eventually(t, func() bool { return len(at.runs(t)) == 1 }, alertWait, 100*time.Millisecond,
		"the drift alert requests a run; deliveries so far: %d", at.deliveries.Load())
	run := at.runs(t)[0]
	require.Equal(t, "payments-retrain", run.Pipeline)
	require.Equal(t, triggers.OriginAlertmanager, run.Origin)

	// Alertmanager re-sends the firing group every repeat_interval: each
	// re-send is recorded as a duplicate, never as a second run.
	// The first deliveries of the model's other alert groups come in
	// meanwhile, so wait for the duplicates themselves.
	require.Eventually(t, func() bool { return at.outcomes(t)[triggers.OutcomeDeduplicated] >= 2 }, alertWait, 100*time.Millisecond,
		"Alertmanager re-sends; outcomes so far: %v", at.outcomes(t))
	require.Len(t, at.runs(t), 1, "re-sends start no second run")

	// The pipeline runner starts the run, which silences the model's
	// alerts in Alertmanager; its train step waits for the test, then
	// fails, and the end of the run expires the silence.
	require.Eventually(t, func() bool {
		r := at.runs(t)[0]
		return r.State == triggers.RunRunning && r.SilenceID != ""
	}, alertWait, 50*time.Millisecond, "the runner starts the run")
	require.Equal(t, map[string]int{"active": 1}, at.silences(t))
	require.NoError(t, os.WriteFile(at.release, nil, 0o600))
	require.Eventually(t, func() bool { return at.runs(t)[0].State == triggers.RunFailed }, alertWait, 50*time.Millisecond)
	require.Contains(t, at.runs(t)[0].Error, "step train failed")
	require.Eventually(t, func() bool { return at.silences(t)["expired"] == 1 }, alertWait, 50*time.Millisecond)
	require.Equal(t, map[string]int{"expired": 1}, at.silences(t))

	// A window like the training data resolves the alert, and Alertmanager
	// says so.
	kt.stream(t, kt.payments(200, 200, time.Minute, 2*time.Minute, 0))
	require.Eventually(t, func() bool { return at.outcomes(t)[triggers.OutcomeResolved] > 0 }, alertWait, 100*time.Millisecond,
		"the resolution is recorded; outcomes: %v", at.outcomes(t))
	require.Len(t, at.runs(t), 1)
}

// TestAlertmanagerRetryIsDeduplicated loses driftwatch's first answer:
// the webhook stores the trigger, but Alertmanager sees 503 and sends the
// notification again. The retry is accepted and recorded as a duplicate.
func TestAlertmanagerRetryIsDeduplicated(t *testing.T) {
	var calls atomic.Int64
	at := startAlerting(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) > 1 {
				next.ServeHTTP(w, r)
				return
			}
			// Deliver the first call, then lose the answer.
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				t.Errorf("the first delivery got %d: %s", rec.Code, rec.Body)
			}
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
		})
	})
	at.kt.stream(t, at.kt.payments(0, 200, 0, time.Minute, 60))
	require.Eventually(t, func() bool { return calls.Load() >= 2 }, alertWait, 100*time.Millisecond, "Alertmanager retries after 503")
	require.Eventually(t, func() bool { return at.outcomes(t)[triggers.OutcomeDeduplicated] > 0 }, alertWait, 100*time.Millisecond)
	require.Len(t, at.runs(t), 1, "the retry starts no second run")
	require.Equal(t, 1, at.outcomes(t)[triggers.OutcomeStarted])
}

// startPrometheus starts a private Prometheus that scrapes target every
// second, evaluates the rules every second and sends alerts to the
// Alertmanager at amHost. It returns its URL and is stopped when the test
// ends.
func startPrometheus(t *testing.T, target, amHost string, rulesYAML []byte) string {
	t.Helper()
	cfg := fmt.Sprintf(`
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: [%q]}]
scrape_configs:
  - job_name: driftwatch
    static_configs: [{targets: [%q]}]
`, amHost, target)
	return testenv.StartPrometheus(t, cfg, map[string][]byte{"rules.yml": rulesYAML}).URL
}
