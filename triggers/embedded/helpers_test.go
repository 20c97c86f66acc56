package embedded

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift/quality"
	"github.com/driftwatch/driftwatch/triggers"
	"github.com/driftwatch/driftwatch/triggers/rules"
)

// epoch is the time of step 0, which is promtool's time 0.
var epoch = time.Unix(0, 0).UTC()

// inputSeries is one series of a test, in promtool's spelling, with its
// value at each step in a short notation: space-separated values, each a
// number, NaN or _ (absent from the exposition), optionally followed by
// *n to repeat it n times. "0*2 1 _" is 0 0 1 absent.
type inputSeries struct {
	spec   string
	values string
}

// point is a series' value at one step; ok is false where it is absent.
type point struct {
	v  float64
	ok bool
}

// parsePoints expands the value notation of inputSeries.
func parsePoints(t *testing.T, notation string) []point {
	t.Helper()
	var out []point
	for _, tok := range strings.Fields(notation) {
		v, n, hasN := strings.Cut(tok, "*")
		count := 1
		if hasN {
			var err error
			count, err = strconv.Atoi(n)
			require.NoError(t, err, "repeat count in %q", tok)
		}
		p := point{ok: v != "_"}
		if p.ok {
			var err error
			p.v, err = strconv.ParseFloat(v, 64)
			require.NoError(t, err, "value in %q", tok)
		}
		for range count {
			out = append(out, p)
		}
	}
	return out
}

// fakeSeries is a parsed inputSeries.
type fakeSeries struct {
	spec   string
	name   string
	labels map[string]string
	points []point
}

// exposition serves test series as a registry's exposition, at a step
// the test moves; it is the Gatherer of the evaluator under test.
type exposition struct {
	*prometheus.Registry
	mu     sync.Mutex
	series []fakeSeries
	step   int
}

func newExposition(t *testing.T, in []inputSeries) *exposition {
	t.Helper()
	e := &exposition{Registry: prometheus.NewPedanticRegistry()}
	for _, s := range in {
		parsed, err := parseExpr(s.spec)
		require.NoError(t, err, s.spec)
		sel, ok := parsed.(selector)
		require.True(t, ok, "%s is not a series", s.spec)
		fs := fakeSeries{spec: s.spec, name: sel.name, labels: map[string]string{}, points: parsePoints(t, s.values)}
		for k, v := range sel.matchers {
			fs.labels[string(k)] = string(v)
		}
		e.series = append(e.series, fs)
	}
	require.NoError(t, e.Register(e))
	return e
}

func (e *exposition) setStep(i int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.step = i
}

// Describe describes nothing: the collector is unchecked, since its
// series change with the step.
func (e *exposition) Describe(chan<- *prometheus.Desc) {}

// Collect sends the gauges present at the current step.
func (e *exposition) Collect(ch chan<- prometheus.Metric) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.series {
		if e.step >= len(s.points) || !s.points[e.step].ok {
			continue
		}
		names := slices.Sorted(maps.Keys(s.labels))
		values := make([]string, len(names))
		for i, n := range names {
			values[i] = s.labels[n]
		}
		desc := prometheus.NewDesc(s.name, "A test series.", names, nil)
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, s.points[e.step].v, values...)
	}
}

// clock is a fake clock that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// recorder is a Notifier that records every notification it accepts.
// fail, when set, decides the error of each call instead.
type recorder struct {
	mu    sync.Mutex
	got   []triggers.Notification
	calls int
	fail  func(call int) error
}

func (r *recorder) Notify(_ context.Context, n triggers.Notification) ([]triggers.Decision, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail != nil {
		if err := r.fail(r.calls); err != nil {
			return nil, err
		}
	}
	r.got = append(r.got, n)
	return nil, nil
}

// take returns the notifications recorded since the last take.
func (r *recorder) take() []triggers.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

// settings are the rule settings of the tests: those of
// triggers/rules/testdata/fleet.yaml.
func settings() triggers.RulesConfig {
	var s triggers.RulesConfig
	s.SetDefaults()
	s.For, s.KeepFiringFor, s.Severity = 2*time.Minute, 3*time.Minute, "critical"
	s.StaleAfter, s.MinLabelJoinRate = 10*time.Minute, 0.8
	s.RunbookURL = "https://runbooks.example.com/driftwatch.md"
	s.DashboardURL = "https://grafana.example.com/d/dw?orgId=1"
	return s
}

// fleet is the input of the tests' rules: churn, a file-replayed
// classifier with labels and two quality metrics; fraud, a Kafka
// classifier with labels and one; ranker, a Kafka model without labels.
// Its trigger rules select drift and quality alerts, and every alert of
// churn.
func fleet(s triggers.RulesConfig) rules.Input {
	model := func(name string, src collectors.SourceType, labels bool, share float64, metrics ...collectors.QualityMetricConfig) collectors.ModelConfig {
		m := collectors.ModelConfig{Name: name}
		m.Source.Type, m.Label.Enabled, m.Drift.DatasetShare, m.Quality.Metrics = src, labels, share, metrics
		return m
	}
	return rules.Input{
		Settings: s,
		Models: []collectors.ModelConfig{
			model("churn", collectors.SourceFile, true, 0.3,
				collectors.QualityMetricConfig{Metric: quality.F1, Threshold: 0.7},
				collectors.QualityMetricConfig{Metric: quality.LogLoss, Threshold: 0.5}),
			model("fraud", collectors.SourceKafka, true, 0.5, collectors.QualityMetricConfig{Metric: quality.Accuracy, Threshold: 0.9}),
			model("ranker", collectors.SourceKafka, false, 0.5),
		},
		Triggers: []triggers.Rule{
			{Name: "churn-drift", Match: map[string]string{"model": "churn"}, MatchRegex: map[string]string{"alertname": "DriftwatchFeatureDrift|DriftwatchDatasetDrift"}},
			{Name: "any-critical-quality", Match: map[string]string{"severity": "critical", "alertname": rules.QualityBelowThreshold}},
			{Name: "churn-all", Match: map[string]string{"model": "churn"}},
		},
	}
}

// harness is an evaluator over test series, with a fake clock, a
// recording notifier and its own registry and log.
type harness struct {
	eval     *Evaluator
	expo     *exposition
	clock    *clock
	notifier *recorder
	reg      *prometheus.Registry
	log      *bytes.Buffer
	interval time.Duration
}

func newHarness(t *testing.T, in rules.Input, series []inputSeries, edit func(*Options)) *harness {
	t.Helper()
	f, err := rules.Generate(in)
	require.NoError(t, err)
	h := &harness{
		expo: newExposition(t, series), clock: &clock{now: epoch}, notifier: &recorder{},
		reg: prometheus.NewPedanticRegistry(), log: &bytes.Buffer{}, interval: time.Minute,
	}
	opts := Options{
		Rules: f, Gatherer: h.expo, Notifier: h.notifier, Registerer: h.reg,
		Logger:   slog.New(slog.NewTextHandler(h.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Interval: h.interval, Now: h.clock.Now,
	}
	if edit != nil {
		edit(&opts)
	}
	h.eval, err = New(opts)
	require.NoError(t, err)
	return h
}

// step evaluates at step i, one interval per step from epoch, and returns
// the notifications it sent.
func (h *harness) step(t *testing.T, i int) ([]triggers.Notification, error) {
	t.Helper()
	h.expo.setStep(i)
	h.clock.set(at(i))
	err := h.eval.Evaluate(t.Context())
	return h.notifier.take(), err
}

// at is the time of step i, with steps one minute apart.
func at(i int) time.Time { return epoch.Add(time.Duration(i) * time.Minute) }
