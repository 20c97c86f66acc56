package webhook

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/triggers"
)

// alertmanagerStatuses are the statuses the Alertmanager webhook answers
// with, and so the values of its status label.
var alertmanagerStatuses = []int{
	http.StatusOK,
	http.StatusBadRequest,
	http.StatusMethodNotAllowed,
	http.StatusRequestEntityTooLarge,
	http.StatusUnsupportedMediaType,
	http.StatusUnprocessableEntity,
	http.StatusServiceUnavailable,
}

// runsStatuses are the statuses POST /api/v1/runs answers with.
var runsStatuses = []int{
	http.StatusOK,
	http.StatusCreated,
	http.StatusBadRequest,
	http.StatusMethodNotAllowed,
	http.StatusConflict,
	http.StatusRequestEntityTooLarge,
	http.StatusUnsupportedMediaType,
	http.StatusUnprocessableEntity,
	http.StatusServiceUnavailable,
}

// alertmanagerMetrics are the webhook's metrics.
type alertmanagerMetrics struct {
	requests *prometheus.CounterVec
	alerts   *prometheus.CounterVec
}

func newAlertmanagerMetrics(reg prometheus.Registerer) (*alertmanagerMetrics, error) {
	m := &alertmanagerMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_webhook_requests_total",
			Help: "Alertmanager webhook requests answered, by HTTP status. Requests that fail authentication are answered 401 before they reach the webhook and are not counted.",
		}, []string{"status"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "driftwatch_webhook_alerts_total",
			Help: "Alerts of notifications that the trigger engine accepted, by alert status. A notification that Alertmanager sends again counts again.",
		}, []string{"status"}),
	}
	for _, s := range alertmanagerStatuses {
		m.requests.WithLabelValues(statusLabel(s))
	}
	for _, s := range []triggers.AlertStatus{triggers.AlertFiring, triggers.AlertResolved} {
		m.alerts.WithLabelValues(string(s))
	}
	for _, c := range []prometheus.Collector{m.requests, m.alerts} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("webhook: register metrics: %w", err)
		}
	}
	return m, nil
}

// runsMetrics are the metrics of POST /api/v1/runs.
type runsMetrics struct {
	requests *prometheus.CounterVec
}

func newRunsMetrics(reg prometheus.Registerer) (*runsMetrics, error) {
	m := &runsMetrics{requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "driftwatch_api_run_requests_total",
		Help: "Requests to POST /api/v1/runs answered, by HTTP status. Requests that fail authentication are answered 401 before they reach the API and are not counted.",
	}, []string{"status"})}
	for _, s := range runsStatuses {
		m.requests.WithLabelValues(statusLabel(s))
	}
	if err := reg.Register(m.requests); err != nil {
		return nil, fmt.Errorf("webhook: register metrics: %w", err)
	}
	return m, nil
}
