package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/collectors"
	"github.com/driftwatch/driftwatch/drift/quality"
	"github.com/driftwatch/driftwatch/triggers"
)

func defaultSettings() triggers.RulesConfig {
	var s triggers.RulesConfig
	s.SetDefaults()
	return s
}

func model(name string, src collectors.SourceType, labels bool, metrics ...quality.Metric) collectors.ModelConfig {
	m := collectors.ModelConfig{Name: name}
	m.Source.Type = src
	m.Label.Enabled = labels
	m.Drift.DatasetShare = 0.5
	for _, q := range metrics {
		m.Quality.Metrics = append(m.Quality.Metrics, collectors.QualityMetricConfig{Metric: q, Threshold: 0.5})
	}
	return m
}

// names lists a group's rules as record or alert names, in order.
func names(g Group) []string {
	var out []string
	for _, r := range g.Rules {
		if r.Record != "" {
			out = append(out, "record "+r.Record)
		} else {
			out = append(out, r.Alert)
		}
	}
	return out
}

func TestGenerateRuleKinds(t *testing.T) {
	const (
		lag  = "record model:driftwatch_kafka_consumer_lag_messages:sum"
		join = "record model:driftwatch_labels_join:ratio_rate1h"
	)
	tests := []struct {
		name        string
		model       collectors.ModelConfig
		minJoinRate float64
		want        []string
	}{
		{name: "file without labels", model: model("a", collectors.SourceFile, false), minJoinRate: 0.5,
			want: []string{FeatureDrift, DatasetDrift, InputStalled}},
		{name: "kafka without labels", model: model("a", collectors.SourceKafka, false), minJoinRate: 0.5,
			want: []string{lag, FeatureDrift, DatasetDrift, InputStalled, ConsumerLagGrowing}},
		{name: "labels and quality", model: model("a", collectors.SourceFile, true, quality.F1, quality.LogLoss), minJoinRate: 0.5,
			want: []string{join, FeatureDrift, DatasetDrift, QualityBelowThreshold, QualityBelowThreshold, InputStalled, LabelJoinRateLow}},
		{name: "join rate alert off", model: model("a", collectors.SourceKafka, true), minJoinRate: 0,
			want: []string{lag, FeatureDrift, DatasetDrift, InputStalled, ConsumerLagGrowing}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := defaultSettings()
			s.MinLabelJoinRate = tc.minJoinRate
			f, err := Generate(Input{Settings: s, Models: []collectors.ModelConfig{tc.model}})
			require.NoError(t, err)
			require.Len(t, f.Groups, 1)
			require.Equal(t, "driftwatch-a", f.Groups[0].Name)
			if diff := cmp.Diff(tc.want, names(f.Groups[0])); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGenerateCommonFields(t *testing.T) {
	s := defaultSettings()
	s.For, s.KeepFiringFor, s.Severity = 90*time.Second, time.Hour, "critical"
	s.DashboardURL = "https://grafana.example.com/d/dw?orgId=2#panel"
	f, err := Generate(Input{Settings: s, Models: []collectors.ModelConfig{model("m-1", collectors.SourceKafka, true, quality.RMSE)}})
	require.NoError(t, err)
	for _, r := range f.Groups[0].Rules {
		if r.Record != "" {
			require.Equal(t, map[string]string{"model": "m-1"}, r.Labels, r.Record)
			require.Empty(t, r.For, r.Record)
			continue
		}
		require.Equal(t, "1m30s", r.For, r.Alert)
		require.Equal(t, "1h", r.KeepFiringFor, r.Alert)
		require.Equal(t, "m-1", r.Labels["model"], r.Alert)
		require.Equal(t, "critical", r.Labels["severity"], r.Alert)
		require.NotContains(t, r.Labels, triggerLabel, "no trigger rules")
		require.Contains(t, r.Annotations["description"], "{{ $value", r.Alert)
		require.NotEmpty(t, r.Annotations["summary"], r.Alert)
		require.Equal(t, "https://github.com/driftwatch/driftwatch/blob/main/docs/runbook.md#"+strings.ToLower(r.Alert), r.Annotations["runbook_url"])
		require.Equal(t, "https://grafana.example.com/d/dw?orgId=2&var-model=m-1#panel", r.Annotations["dashboard_url"])
	}
}

func TestGenerateOmitsUnsetLinks(t *testing.T) {
	s := defaultSettings()
	s.RunbookURL, s.DashboardURL = "", ""
	f, err := Generate(Input{Settings: s, Models: []collectors.ModelConfig{model("a", collectors.SourceFile, false)}})
	require.NoError(t, err)
	for _, r := range f.Groups[0].Rules {
		require.NotContains(t, r.Annotations, "runbook_url")
		require.NotContains(t, r.Annotations, "dashboard_url")
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Input)
		wantErr string
	}{
		{name: "invalid settings", edit: func(in *Input) { in.Settings.Severity = "page" },
			wantErr: `prometheus.rules: severity: unknown severity "page"`},
		{name: "sub-millisecond for", edit: func(in *Input) { in.Settings.For = 1500 * time.Microsecond },
			wantErr: "prometheus.rules.for: 1.5ms is not a whole, non-negative number of milliseconds"},
		{name: "bad trigger regex", edit: func(in *Input) {
			in.Triggers = []triggers.Rule{{Name: "t", MatchRegex: map[string]string{"alertname": "("}}}
		}, wantErr: "trigger t: match_regex[alertname]: error parsing regexp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Settings: defaultSettings(), Models: []collectors.ModelConfig{model("a", collectors.SourceFile, false)}}
			tc.edit(&in)
			_, err := Generate(in)
			require.ErrorContains(t, err, tc.wantErr)
		})
	}
}

func TestTriggerLabel(t *testing.T) {
	rule := func(name string, match, regex map[string]string) triggers.Rule {
		return triggers.Rule{Name: name, Match: match, MatchRegex: regex}
	}
	static := map[string]string{"alertname": QualityBelowThreshold, "model": "churn", "severity": "warning", "metric": "f1"}
	tests := []struct {
		name     string
		triggers []triggers.Rule
		want     string
	}{
		{name: "no triggers", want: ""},
		{name: "match", triggers: []triggers.Rule{rule("a", map[string]string{"model": "churn"}, nil)}, want: "a"},
		{name: "match fails", triggers: []triggers.Rule{rule("a", map[string]string{"model": "other"}, nil)}, want: ""},
		{name: "regex is anchored", triggers: []triggers.Rule{rule("a", nil, map[string]string{"alertname": "Quality"})}, want: ""},
		{name: "regex", triggers: []triggers.Rule{rule("a", nil, map[string]string{"alertname": "Driftwatch(Quality.*|DatasetDrift)"})}, want: "a"},
		{name: "match and regex must both hold", triggers: []triggers.Rule{
			rule("a", map[string]string{"model": "churn"}, map[string]string{"metric": "auc|roc_auc"}),
		}, want: ""},
		{name: "several sorted", triggers: []triggers.Rule{
			rule("zeta", map[string]string{"severity": "warning"}, nil),
			rule("alpha", map[string]string{"metric": "f1"}, nil),
			rule("mid", map[string]string{"model": "other"}, nil),
		}, want: "alpha,zeta"},
		{name: "schedule only selects nothing", triggers: []triggers.Rule{{Name: "nightly", Schedule: "@daily"}}, want: ""},
		{name: "series label is empty", triggers: []triggers.Rule{rule("a", map[string]string{"feature": "age"}, nil)}, want: ""},
		{name: "regex may match the empty value", triggers: []triggers.Rule{rule("a", nil, map[string]string{"feature": "age|"})}, want: "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := compileTriggers(tc.triggers)
			require.NoError(t, err)
			g := &generator{matchers: ms}
			require.Equal(t, tc.want, g.selectingTriggers(static))
		})
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in      time.Duration
		want    string
		wantErr bool
	}{
		{in: 0, want: "0s"},
		{in: 5 * time.Minute, want: "5m"},
		{in: 72 * time.Hour, want: "72h"},
		{in: time.Hour + 30*time.Minute + 15*time.Second + 250*time.Millisecond, want: "1h30m15s250ms"},
		{in: 90 * time.Second, want: "1m30s"},
		{in: time.Microsecond, wantErr: true},
		{in: -time.Second, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in.String(), func(t *testing.T) {
			got, err := Duration(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestLinks(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{name: "runbook", got: runbookURL("https://x.example/runbook.md", InputStalled), want: "https://x.example/runbook.md#driftwatchinputstalled"},
		{name: "runbook replaces fragment", got: runbookURL("https://x.example/runbook.md#top", FeatureDrift), want: "https://x.example/runbook.md#driftwatchfeaturedrift"},
		{name: "dashboard", got: mustDashboard(t, "http://grafana:3000/d/fleet", "churn"), want: "http://grafana:3000/d/fleet?var-model=churn"},
		{name: "dashboard keeps query", got: mustDashboard(t, "http://grafana:3000/d/fleet?orgId=1&var-model=x", "churn"),
			want: "http://grafana:3000/d/fleet?orgId=1&var-model=churn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, tc.got) })
	}
}

func mustDashboard(t *testing.T, base, model string) string {
	t.Helper()
	u, err := dashboardURL(base, model)
	require.NoError(t, err)
	return u
}

func TestMarshalFormats(t *testing.T) {
	f, err := Generate(Input{Settings: defaultSettings(), Models: []collectors.ModelConfig{
		model("a", collectors.SourceKafka, true, quality.Accuracy), model("b", collectors.SourceFile, false),
	}})
	require.NoError(t, err)

	prom, err := Marshal(f, FormatPrometheus)
	require.NoError(t, err)
	var gotFile File
	require.NoError(t, yaml.Unmarshal(prom, &gotFile))
	if diff := cmp.Diff(f, gotFile); diff != "" {
		t.Errorf("prometheus format round trip (-want +got):\n%s", diff)
	}

	op, err := Marshal(f, FormatOperator)
	require.NoError(t, err)
	var obj prometheusRule
	require.NoError(t, yaml.Unmarshal(op, &obj))
	require.Equal(t, "monitoring.coreos.com/v1", obj.APIVersion)
	require.Equal(t, "PrometheusRule", obj.Kind)
	require.Equal(t, ObjectName, obj.Metadata.Name)
	require.Equal(t, ObjectLabels, obj.Metadata.Labels)
	if diff := cmp.Diff(f, obj.Spec); diff != "" {
		t.Errorf("spec.groups differ from the rule file (-want +got):\n%s", diff)
	}

	_, err = Marshal(f, "thanos")
	require.ErrorContains(t, err, `unknown format "thanos"`)
}
