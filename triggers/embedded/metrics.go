package embedded

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the evaluator's own metrics. Every series exists from the
// start, at zero, so that rates and alerts on them work before the first
// event.
type metrics struct {
	alerts        *prometheus.GaugeVec
	evaluations   prometheus.Counter
	evalFailures  prometheus.Counter
	notifications prometheus.Counter
	notifyErrors  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		alerts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "driftwatch_embedded_alerts",
			Help: "Alerts of the embedded evaluator by alert name and state (pending, firing), after its latest evaluation.",
		}, []string{"alertname", "state"}),
		evaluations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "driftwatch_embedded_evaluations_total",
			Help: "Evaluations of the alerting rules by the embedded evaluator.",
		}),
		evalFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "driftwatch_embedded_evaluation_failures_total",
			Help: "Evaluations of the embedded evaluator that failed to gather the metrics or to evaluate a rule, and so changed no alert of that rule.",
		}),
		notifications: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "driftwatch_embedded_notifications_total",
			Help: "Notifications the embedded evaluator delivered to the trigger engine.",
		}),
		notifyErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "driftwatch_embedded_notify_errors_total",
			Help: "Notifications the trigger engine did not accept; they are sent again at the next evaluation, unless invalid.",
		}),
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.alerts, m.evaluations, m.evalFailures, m.notifications, m.notifyErrors} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("embedded: register metrics: %w", err)
	}
	for _, name := range Supported() {
		for _, s := range []alertState{statePending, stateFiring} {
			m.alerts.WithLabelValues(name, string(s))
		}
	}
	return m, nil
}

// setAlerts exports the count of alerts in each state.
func (m *metrics) setAlerts(counts map[string]map[alertState]int) {
	for _, name := range Supported() {
		for _, s := range []alertState{statePending, stateFiring} {
			m.alerts.WithLabelValues(name, string(s)).Set(float64(counts[name][s]))
		}
	}
}
