package embedded

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
)

// gather reads the series the rules select from g, as a scrape would
// store them: one sample per gauge, counter or untyped metric, labelled
// with its labels and its name, and without the labels whose value is
// empty, which Prometheus drops. The rules select no histogram or
// summary, so those are skipped. A series that the exposition no longer
// has is absent at once, as a scrape's staleness marker makes it.
func gather(g prometheus.Gatherer, names map[string]bool) (series, error) {
	families, err := g.Gather()
	if err != nil {
		return nil, fmt.Errorf("gather metrics: %w", err)
	}
	out := series{}
	for _, mf := range families {
		name := mf.GetName()
		if !names[name] {
			continue
		}
		for _, m := range mf.GetMetric() {
			v, ok := value(mf.GetType(), m)
			if !ok {
				continue
			}
			ls := model.LabelSet{model.MetricNameLabel: model.LabelValue(name)}
			for _, lp := range m.GetLabel() {
				if lp.GetValue() != "" {
					ls[model.LabelName(lp.GetName())] = model.LabelValue(lp.GetValue())
				}
			}
			out[name] = append(out[name], sample{labels: ls, value: v})
		}
	}
	return out, nil
}

// value returns the sample value of a metric of a single-value type.
func value(t dto.MetricType, m *dto.Metric) (float64, bool) {
	switch t {
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue(), true
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue(), true
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue(), true
	}
	return 0, false
}
