package dashboards_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/dashboards"
)

// realRegistry runs driftwatch on the example configuration, with
// hypothesis tests on two features and the prediction, until its replay
// is over and a retraining run has deployed, and returns everything it
// exports, with the consumer lag a Kafka model exports once its consumer
// fetches. The pipeline metrics without series until a run ends (step
// durations, time from trigger to deploy, the champion) have them then.
func realRegistry(t *testing.T) families {
	t.Helper()
	cfg := runnable(t, "")
	a, reg := startDriftwatch(t, cfg)
	retrain(t, a, "give the pipeline metrics their series")
	// The run ends in the store before the runner counts its deploy.
	require.Eventually(t, func() bool {
		_, ok := gather(t, reg).family("driftwatch_pipeline_trigger_to_deploy_seconds")
		return ok
	}, time.Minute, 10*time.Millisecond, "the run's deploy was never observed")
	fams := gather(t, reg)
	require.NotContains(t, fams, "driftwatch_kafka_consumer_lag_messages", "no broker runs here, so no lag is reported")
	fams.merge(gather(t, lagRegistry(t, cfg.Models[1])))
	return fams
}

// TestQueriesMatchRegistry parses every query of every panel and
// annotation of the dashboards generated for the example configuration
// and checks it against what driftwatch really exports: every metric
// exists, with every label it matches, groups by or shows in a legend
// (or an annotation's title, text and tags), and every fixed label value
// occurs; template variables match only their own label. It also checks
// that the variables offer exactly the values driftwatch exports.
func TestQueriesMatchRegistry(t *testing.T) {
	fams := realRegistry(t)
	queries := 0
	for _, d := range generate(t, exampleConfig) {
		for _, q := range decode(t, d).queries() {
			queries++
			for _, problem := range fams.checkQuery(q.expr, q.legend) {
				t.Errorf("%s, %s: %s\n%s", d.UID, q.where, problem, q.expr)
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

// TestOutcomeColoursMatchRegistry checks that the fleet table colours
// exactly the run outcomes driftwatch exports, so that a new outcome does
// not show uncoloured.
func TestOutcomeColoursMatchRegistry(t *testing.T) {
	fams := realRegistry(t)
	outcomes, ok := fams.family("driftwatch_pipeline_runs_total")
	require.True(t, ok)
	var fleet struct {
		Panels []struct {
			Title       string `json:"title"`
			FieldConfig struct {
				Overrides []struct {
					Matcher struct {
						Options any `json:"options"`
					} `json:"matcher"`
					Properties []struct {
						ID    string          `json:"id"`
						Value json.RawMessage `json:"value"`
					} `json:"properties"`
				} `json:"overrides"`
			} `json:"fieldConfig"`
		} `json:"panels"`
	}
	var coloured []string
	for _, d := range generate(t, exampleConfig) {
		if d.UID != dashboards.FleetUID {
			continue
		}
		require.NoError(t, json.Unmarshal(d.JSON, &fleet))
		for _, p := range fleet.Panels {
			for _, o := range p.FieldConfig.Overrides {
				for _, prop := range o.Properties {
					if o.Matcher.Options == "Last run" && prop.ID == "mappings" {
						var mappings []struct {
							Options map[string]any `json:"options"`
						}
						require.NoError(t, json.Unmarshal(prop.Value, &mappings))
						coloured = slices.Sorted(maps.Keys(mappings[0].Options))
					}
				}
			}
		}
	}
	require.Equal(t, keys(outcomes["outcome"]), coloured)
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
