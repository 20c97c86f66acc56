package dashboards_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// realRegistry runs driftwatch on the example configuration, with
// hypothesis tests on two features and the prediction, until its replay
// is over, and returns everything it exports, with the consumer lag a
// Kafka model exports once its consumer fetches.
func realRegistry(t *testing.T) families {
	t.Helper()
	cfg := runnable(t, "")
	_, reg := startDriftwatch(t, cfg)
	fams := gather(t, reg)
	require.NotContains(t, fams, "driftwatch_kafka_consumer_lag_messages", "no broker runs here, so no lag is reported")
	fams.merge(gather(t, lagRegistry(t, cfg.Models[1])))
	return fams
}

// TestQueriesMatchRegistry parses every query of every panel of the
// dashboards generated for the example configuration and checks it
// against what driftwatch really exports: every metric exists, with every
// label it matches, groups by or shows in a legend, and every fixed
// label value occurs; template variables match only their own label. It
// also checks that the variables offer exactly the values driftwatch
// exports.
func TestQueriesMatchRegistry(t *testing.T) {
	fams := realRegistry(t)
	queries := 0
	for _, d := range generate(t, exampleConfig) {
		b := decode(t, d)
		for _, p := range b.Panels {
			for _, q := range p.Targets {
				queries++
				for _, problem := range fams.checkQuery(q.Expr, q.LegendFormat) {
					t.Errorf("%s, panel %q, query %s: %s\n%s", d.UID, p.Title, q.RefID, problem, q.Expr)
				}
			}
		}
	}
	require.Greater(t, queries, 80)

	t.Run("variables", func(t *testing.T) {
		models, _ := fams.family("driftwatch_events_consumed_total")
		for _, d := range generate(t, exampleConfig) {
			for _, v := range decode(t, d).Templating.List {
				switch v.Name {
				case "model":
					if v.Type == "custom" {
						require.ElementsMatch(t, keys(models["model"]), strings.Split(v.Query.(string), ","), d.UID)
					}
				case "feature":
					if d.Model == "credit-risk" { // the model whose windows were published
						features := labelValues(fams, "driftwatch_drift_feature_statistic", "feature", "credit-risk")
						require.ElementsMatch(t, features, strings.Split(v.Query.(string), ","), d.UID)
					}
				}
			}
		}
	})
}

// TestQueryCheckCatchesMistakes shows that the check above fails the
// mistakes it is there for.
func TestQueryCheckCatchesMistakes(t *testing.T) {
	fams := realRegistry(t)
	tests := []struct {
		name, expr, legend, want string
	}{
		{name: "unknown metric", expr: `driftwatch_drift_feature_stat{model="$model"}`, want: "driftwatch_drift_feature_stat is not a metric driftwatch exports"},
		{name: "label the metric lacks", expr: `driftwatch_drift_feature_missing_ratio{method="ks"}`, want: "has no label method"},
		{name: "misspelt value", expr: `driftwatch_events_consumed_total{outcome="acepted"}`, want: `never has outcome="acepted"`},
		{name: "misspelt alternative", expr: `driftwatch_labels_join_total{outcome=~"joined|evicted"}`, want: `never has outcome="evicted"`},
		{name: "variable on another label", expr: `driftwatch_window_events{window="$model"}`, want: "matches window against $model"},
		{name: "grouping by a missing label", expr: `sum by (feature) (driftwatch_window_events)`, want: "groups by feature"},
		{name: "legend of a missing label", expr: `driftwatch_window_events`, legend: "{{stream}}", want: "its legend shows stream"},
		{name: "bucket without its histogram", expr: `driftwatch_window_events_bucket`, want: "is not a metric"},
		{name: "syntax", expr: `rate(driftwatch_window_events[5m]`, want: "unbalanced ("},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems := fams.checkQuery(tc.expr, tc.legend)
			require.Len(t, problems, 1, "%q", problems)
			require.Contains(t, problems[0], tc.want)
		})
	}
	require.Empty(t, fams.checkQuery(`histogram_quantile(0.5, sum by (le) (rate(driftwatch_labels_delay_seconds_bucket{model="x"}[5m])))`, ""),
		"a histogram's buckets and le")
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// labelValues returns the values of a label among a model's series of a
// metric.
func labelValues(fams families, metric, label, model string) []string {
	seen := map[string]bool{}
	for _, m := range fams[metric].GetMetric() {
		var value string
		ofModel := false
		for _, l := range m.GetLabel() {
			switch l.GetName() {
			case "model":
				ofModel = l.GetValue() == model
			case label:
				value = l.GetValue()
			}
		}
		if ofModel {
			seen[value] = true
		}
	}
	return keys(seen)
}
