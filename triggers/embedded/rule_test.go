package embedded

import (
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/triggers/rules"
)

// TestEveryGeneratedAlertIsDecided keeps this package in step with the
// generator: every alert it writes is either evaluated or knowingly left
// out.
func TestEveryGeneratedAlertIsDecided(t *testing.T) {
	f, err := rules.Generate(fleet(settings()))
	require.NoError(t, err)
	compiled, skipped, err := compile(f)
	require.NoError(t, err)
	evaluated, left := map[string]bool{}, map[string]bool{}
	for _, r := range compiled {
		evaluated[r.name] = true
	}
	for _, s := range skipped {
		left[s.name] = true
	}
	require.Equal(t, map[string]bool{rules.FeatureDrift: true, rules.DatasetDrift: true, rules.QualityBelowThreshold: true}, evaluated)
	require.Equal(t, map[string]bool{rules.InputStalled: true, rules.ConsumerLagGrowing: true, rules.LabelJoinRateLow: true}, left)
	require.Len(t, compiled, 4+3+2, "feature and dataset drift for each model, and churn has two quality metrics, fraud one")
}

func TestSkippedRulesAreLogged(t *testing.T) {
	h := newHarness(t, fleet(settings()), nil, nil)
	log := h.log.String()
	require.Contains(t, log, `level=INFO msg="alert not evaluated in embedded mode" alertname=DriftwatchInputStalled groups="[driftwatch-churn driftwatch-fraud driftwatch-ranker]"`)
	require.Contains(t, log, `alertname=DriftwatchLabelJoinRateLow groups="[driftwatch-churn driftwatch-fraud]"`)
	// churn-all selects every alert of churn, so it would trigger on
	// stalled input and a low join rate under Prometheus.
	require.Contains(t, log, `level=WARN msg="trigger rules select an alert that embedded mode does not evaluate; they fire only on alerts from Alertmanager" alertname=DriftwatchInputStalled group=driftwatch-churn triggers=churn-all`)
	require.Equal(t, 2, strings.Count(log, "level=WARN"), "churn's stalled input and join rate only:\n%s", log)
}

func TestNewErrors(t *testing.T) {
	valid, err := rules.Generate(fleet(settings()))
	require.NoError(t, err)
	edit := func(change func(r *rules.Rule)) rules.File {
		f, err := rules.Generate(fleet(settings()))
		require.NoError(t, err)
		for i, r := range f.Groups[0].Rules {
			if r.Alert == rules.DatasetDrift {
				change(&f.Groups[0].Rules[i])
			}
		}
		return f
	}
	tests := []struct {
		name    string
		opts    Options
		wantErr []string
	}{
		{name: "missing dependencies", opts: Options{Rules: valid, Interval: -time.Second, RepeatInterval: -time.Second}, wantErr: []string{
			"embedded: Options.Gatherer is required", "embedded: Options.Notifier is required",
			"embedded: Options.Registerer is required", "embedded: Options.Logger is required",
			"embedded: Options.Interval must be positive, got -1s", "embedded: Options.RepeatInterval must be positive, got -1s",
		}},
		{name: "unsupported expression", opts: Options{Rules: edit(func(r *rules.Rule) { r.Expr = "avg_over_time(x[5m]) > 0.5" })},
			wantErr: []string{`embedded: group driftwatch-churn: alert DriftwatchDatasetDrift: expression "avg_over_time(x[5m]) > 0.5": offset 13: unexpected "(x[5m]) > 0.5"`}},
		{name: "bad for", opts: Options{Rules: edit(func(r *rules.Rule) { r.For = "5 minutes" })},
			wantErr: []string{`alert DriftwatchDatasetDrift: for: unknown unit " minutes" in duration "5 minutes"`}},
		{name: "unknown template function", opts: Options{Rules: edit(func(r *rules.Rule) { r.Annotations["summary"] = `{{ query "up" }}` })},
			wantErr: []string{`alert DriftwatchDatasetDrift: annotation summary: template: __alert_DriftwatchDatasetDrift:1: function "query" not defined`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Gatherer == nil && tc.name != "missing dependencies" {
				tc.opts.Gatherer, tc.opts.Notifier = prometheus.NewRegistry(), &recorder{}
				tc.opts.Registerer, tc.opts.Logger = prometheus.NewRegistry(), slog.New(slog.DiscardHandler)
			}
			_, err := New(tc.opts)
			require.Error(t, err)
			for _, want := range tc.wantErr {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

func TestNewRegistersOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	f, err := rules.Generate(fleet(settings()))
	require.NoError(t, err)
	opts := Options{Rules: f, Gatherer: reg, Notifier: &recorder{}, Registerer: reg, Logger: slog.New(slog.DiscardHandler)}
	_, err = New(opts)
	require.NoError(t, err)
	_, err = New(opts)
	require.ErrorContains(t, err, "embedded: register metrics: duplicate metrics collector registration attempted")
}

// TestTemplates checks the formatting functions against outputs of
// Prometheus's own.
func TestTemplates(t *testing.T) {
	tests := []struct {
		text  string
		value float64
		want  string
	}{
		{`{{ $value | humanizePercentage }}`, 0.7667, "76.67%"},
		{`{{ $value | humanizePercentage }}`, 0.3, "30%"},
		{`{{ $value | humanize }}`, 1234567, "1.235M"},
		{`{{ $value | humanize }}`, 1000, "1k"},
		{`{{ $value | humanize }}`, 999, "999"},
		{`{{ $value | humanize }}`, 0.00123, "1.23m"},
		{`{{ $value | humanize }}`, 0, "0"},
		{`{{ $value | humanize }}`, math.NaN(), "NaN"},
		{`{{ $value | humanize }}`, math.Inf(-1), "-Inf"},
		{`{{ $value | printf "%.4g" }}`, 0.2345678, "0.2346"},
		{`{{ $labels.feature }}/{{ $labels.missing }}/{{ $externalURL }}`, 1, "tenure//"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			tmpl, err := parseTemplate("A", tc.text)
			require.NoError(t, err)
			got := expand(tmpl, templateData{Labels: map[string]string{"feature": "tenure"}, Value: tc.value})
			require.Equal(t, tc.want, got)
		})
	}
	tmpl, err := parseTemplate("A", `{{ $value | humanize | humanize }}`)
	require.NoError(t, err)
	require.Contains(t, expand(tmpl, templateData{Value: 1}), "<error expanding template: ")
}

// TestNewAlertLabels checks how an alert's labels are made from a sample:
// without the metric name, with the rule's labels expanded over the
// sample's, an empty one dropped, and alertname set.
func TestNewAlertLabels(t *testing.T) {
	r, err := compileRule("g", rules.Rule{
		Alert: "A", Expr: "x",
		Labels: map[string]string{"severity": "critical", "feature": "{{ $labels.feature }}!", "method": "", "alertname": "B"},
	})
	require.NoError(t, err)
	a := r.newAlert(sample{labels: model.LabelSet{"__name__": "x", "feature": "f", "method": "ks", "severity": "info"}, value: 1})
	require.Equal(t, model.LabelSet{"alertname": "A", "feature": "f!", "severity": "critical"}, a.labels)
}

func TestDuplicateAlertLabels(t *testing.T) {
	r, err := compileRule("g", rules.Rule{Alert: "A", Expr: "x", Labels: map[string]string{"severity": "critical"}})
	require.NoError(t, err)
	ts := time.Unix(60, 0)
	_, err = r.eval(ts, []sample{{labels: model.LabelSet{"m": "a"}, value: 1}})
	require.NoError(t, err)
	_, err = r.eval(ts.Add(time.Minute), []sample{
		{labels: model.LabelSet{"m": "a", "severity": "info"}, value: 1},
		{labels: model.LabelSet{"m": "a", "severity": "warning"}, value: 1},
	})
	require.ErrorContains(t, err, `alert A: several samples give the labels {alertname="A", m="a", severity="critical"}`)
	require.Len(t, r.active, 1, "the failed evaluation changed nothing")
	for _, a := range r.active {
		require.Equal(t, ts, a.activeAt)
	}
}

func TestGather(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "g", Help: "h"}, []string{"a", "b"})
	g.WithLabelValues("x", "").Set(1.5)
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "c_total", Help: "h"})
	c.Add(3)
	u := prometheus.NewUntypedFunc(prometheus.UntypedOpts{Name: "u", Help: "h"}, func() float64 { return 7 })
	hist := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hist", Help: "h"})
	hist.Observe(1)
	other := prometheus.NewGauge(prometheus.GaugeOpts{Name: "other", Help: "h"})
	reg.MustRegister(g, c, u, hist, other)

	got, err := gather(reg, map[string]bool{"g": true, "c_total": true, "u": true, "hist": true})
	require.NoError(t, err)
	require.Equal(t, series{
		"g":       {{labels: model.LabelSet{"__name__": "g", "a": "x"}, value: 1.5}},
		"c_total": {{labels: model.LabelSet{"__name__": "c_total"}, value: 3}},
		"u":       {{labels: model.LabelSet{"__name__": "u"}, value: 7}},
	}, got)

	_, err = gather(brokenGatherer{}, nil)
	require.ErrorContains(t, err, "gather metrics: collector broke")
}
