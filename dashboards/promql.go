package dashboards

import (
	"strconv"
	"strings"
)

// The template variables of the dashboards.
const (
	varDatasource = "datasource"
	varModel      = "model"
	varFeature    = "feature"
)

// Grafana's built-in intervals. rateInterval is the range for rate and
// increase, which Grafana sets from the time range and the scrape
// interval; timeRange is the dashboard's whole time range, for summaries
// of events too rare to rate, such as retraining runs; stepInterval is the
// step between a panel's points, for subqueries.
const (
	rateInterval = "$__rate_interval"
	timeRange    = "$__range"
	stepInterval = "$__interval"
)

// sel returns a PromQL instant vector selector: metric{m1,m2,...}.
func sel(metric string, matchers ...string) string {
	return metric + "{" + strings.Join(matchers, ",") + "}"
}

// eq is an equality matcher; value may hold a template variable.
func eq(label, value string) string { return label + "=" + strconv.Quote(value) }

// ne is an inequality matcher.
func ne(label, value string) string { return label + "!=" + strconv.Quote(value) }

// re is a regular expression matcher, for multi-value variables: Grafana
// joins their values into an escaped alternation.
func re(label, value string) string { return label + "=~" + strconv.Quote(value) }

// ofModel matches the dashboard's model.
func ofModel() string { return eq("model", "$"+varModel) }

// ofModels matches the models chosen in the fleet overview.
func ofModels() string { return re("model", "$"+varModel) }

// ofFeatures matches the chosen features.
func ofFeatures() string { return re("feature", "$"+varFeature) }

// rate is the per-second rate of a counter over Grafana's rate interval.
func rate(selector string) string { return "rate(" + selector + "[" + rateInterval + "])" }

// increase is how much a counter, or a histogram's buckets, grew over
// window.
func increase(selector, window string) string { return "increase(" + selector + "[" + window + "])" }

// by aggregates expr with op, keeping labels.
func by(op string, labels []string, expr string) string {
	return op + " by (" + join(labels) + ") (" + expr + ")"
}

// labels is a shorthand for a label list.
func labels(names ...string) []string { return names }

// driftScore is a drift statistic relative to its threshold, so that 1 is
// the threshold for every method and more is worse: statistic / threshold
// for distances, and threshold / p-value for tests, which drift when the
// p-value falls below the threshold. Tests are told apart by having a
// p-value, so the score needs no list of methods. on lists the labels the
// three series share.
func driftScore(statistic, threshold, pValue string, on []string) string {
	return "(" + statistic + " / " + threshold + " unless on (" + join(on) + ") " + pValue + ")\nor\n(" +
		threshold + " / " + pValue + ")"
}

// number formats a threshold in the shortest form that reads back as the
// same float64.
func number(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// join lists label names for on (...) and by (...).
func join(names []string) string { return strings.Join(names, ", ") }
