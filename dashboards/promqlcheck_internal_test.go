package dashboards

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		want    Query
		wantErr string
	}{
		{name: "selector", expr: `driftwatch_window_events{model="$model",window="drift"}`,
			want: Query{Selectors: []Selector{{Metric: "driftwatch_window_events", Matchers: []Matcher{{"model", "=", "$model"}, {"window", "=", "drift"}}}}}},
		{name: "aggregation and rate", expr: `sum by (stream, outcome) (rate(driftwatch_events_consumed_total{model=~"$model"}[$__rate_interval])) > 0`,
			want: Query{
				Selectors: []Selector{{Metric: "driftwatch_events_consumed_total", Matchers: []Matcher{{"model", "=~", "$model"}}}},
				Grouping:  []string{"stream", "outcome"}, Functions: []string{"sum", "rate"},
			}},
		{name: "vector matching", expr: "(a{x=\"1\"} / b unless on (model, feature) c)\nor\n(b / c)",
			want: Query{
				Selectors: []Selector{{Metric: "a", Matchers: []Matcher{{"x", "=", "1"}}}, {Metric: "b"}, {Metric: "c"}, {Metric: "b"}, {Metric: "c"}},
				Grouping:  []string{"model", "feature"},
			}},
		{name: "histogram quantile", expr: `histogram_quantile(0.99, sum by (le) (rate(d_bucket{m="x"}[5m])))`,
			want: Query{
				Selectors: []Selector{{Metric: "d_bucket", Matchers: []Matcher{{"m", "=", "x"}}}},
				Grouping:  []string{"le"}, Functions: []string{"histogram_quantile", "sum", "rate"},
			}},
		{name: "time", expr: `time() - max(w{window="drift"})`,
			want: Query{Selectors: []Selector{{Metric: "w", Matchers: []Matcher{{"window", "=", "drift"}}}}, Functions: []string{"time", "max"}}},
		{name: "subquery", expr: "topk by (model) (1, last_over_time(timestamp(sum by (model) (increase(r{o!=\"x\"}[$__rate_interval])) > 0)[$__range:$__interval]))",
			want: Query{
				Selectors: []Selector{{Metric: "r", Matchers: []Matcher{{"o", "!=", "x"}}}},
				Grouping:  []string{"model", "model"}, Functions: []string{"topk", "last_over_time", "timestamp", "sum", "increase"},
			}},
		{name: "escaped quote", expr: `m{l="a\"b"}`, want: Query{Selectors: []Selector{{Metric: "m", Matchers: []Matcher{{"l", "=", `a"b`}}}}}},
		{name: "unknown function", expr: `summ(m)`, wantErr: "unknown function summ"},
		{name: "unbalanced", expr: `sum(m`, wantErr: "unbalanced ("},
		{name: "nameless selector", expr: `{__name__="m"}`, wantErr: "selector without a metric name"},
		{name: "bad matcher", expr: `m{l~"x"}`, wantErr: "unexpected \"~\""},
		{name: "unclosed string", expr: `m{l="x}`, wantErr: "unclosed string"},
		{name: "no metric", expr: `1 + 2`, wantErr: "no metric"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseQuery(tc.expr)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseQuery(%q) (-want +got):\n%s", tc.expr, diff)
			}
		})
	}
}
