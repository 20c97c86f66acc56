package dashboards_test

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/dashboards"
)

// families is what a registry exports: every metric family by name, with
// its series.
type families map[string]*dto.MetricFamily

func gather(t *testing.T, g prometheus.Gatherer) families {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	out := families{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// merge adds the families of other that f lacks.
func (f families) merge(other families) {
	for name, mf := range other {
		if _, ok := f[name]; !ok {
			f[name] = mf
		}
	}
}

// has reports whether a series of name with the given labels has value v.
func (f families) has(name string, labels map[string]string, v float64) bool {
	mf, ok := f[name]
	if !ok {
		return false
	}
	for _, m := range mf.GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if want, ok := labels[l.GetName()]; ok && want == l.GetValue() {
				match++
			}
		}
		if match == len(labels) && (m.GetGauge().GetValue() == v || m.GetCounter().GetValue() == v) {
			return true
		}
	}
	return false
}

// family finds the family a selector's metric name belongs to: its own,
// or for a histogram's _bucket, _sum and _count series the histogram's.
// It returns the family's label names, with le for buckets, and the
// values each label takes.
func (f families) family(metric string) (map[string]map[string]bool, bool) {
	mf, ok := f[metric]
	suffix := ""
	if !ok {
		for _, s := range []string{"_bucket", "_sum", "_count"} {
			if base, cut := strings.CutSuffix(metric, s); cut {
				if h, found := f[base]; found && h.GetType() == dto.MetricType_HISTOGRAM {
					mf, ok, suffix = h, true, s
				}
			}
		}
	}
	if !ok {
		return nil, false
	}
	labels := map[string]map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] == nil {
				labels[l.GetName()] = map[string]bool{}
			}
			labels[l.GetName()][l.GetValue()] = true
		}
	}
	if suffix == "_bucket" {
		labels["le"] = map[string]bool{}
	}
	return labels, true
}

// variableLabels says which label each template variable may match.
var variableLabels = map[string]string{"$model": "model", "$feature": "feature"}

// configLabels take their values from the configuration (model names,
// feature names, quality metrics), which the generator copies, and which a
// model without a published window does not export yet. The values of
// every other label are fixed enumerations, which a query must spell as
// driftwatch does.
var configLabels = map[string]bool{"model": true, "feature": true, "metric": true}

var legendLabel = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// checkQuery reports every way expr, with its legend, asks for something
// the registry does not export: an unknown metric, a label the metric
// does not have, a value of an enumerated label that it never takes, or a
// template variable on the wrong label.
func (f families) checkQuery(expr, legend string) []string {
	q, err := dashboards.ParseQuery(expr)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	known := map[string]bool{}
	for _, s := range q.Selectors {
		labels, ok := f.family(s.Metric)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s is not a metric driftwatch exports", s.Metric))
			continue
		}
		for l := range labels {
			known[l] = true
		}
		for _, m := range s.Matchers {
			problems = append(problems, checkMatcher(s.Metric, labels, m)...)
		}
	}
	for _, l := range q.Grouping {
		if !known[l] {
			problems = append(problems, fmt.Sprintf("groups by %s, which none of its metrics has", l))
		}
	}
	for _, m := range legendLabel.FindAllStringSubmatch(legend, -1) {
		if !known[m[1]] {
			problems = append(problems, fmt.Sprintf("its legend shows %s, which none of its metrics has", m[1]))
		}
	}
	return problems
}

func checkMatcher(metric string, labels map[string]map[string]bool, m dashboards.Matcher) []string {
	values, ok := labels[m.Label]
	if !ok {
		return []string{fmt.Sprintf("%s has no label %s (it has %s)", metric, m.Label, strings.Join(slices.Sorted(maps.Keys(labels)), ", "))}
	}
	if strings.HasPrefix(m.Value, "$") {
		if want := variableLabels[m.Value]; want != m.Label {
			return []string{fmt.Sprintf("%s matches %s against %s", metric, m.Label, m.Value)}
		}
		return nil
	}
	if configLabels[m.Label] {
		return nil
	}
	alternatives := []string{m.Value}
	if m.Op == "=~" {
		alternatives = strings.Split(m.Value, "|")
	}
	var out []string
	for _, v := range alternatives {
		if !values[v] {
			out = append(out, fmt.Sprintf("%s never has %s=%q (it has %s)", metric, m.Label, v, strings.Join(slices.Sorted(maps.Keys(values)), ", ")))
		}
	}
	return out
}
