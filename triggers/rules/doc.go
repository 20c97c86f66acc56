// Package rules generates the Prometheus alerting and recording rules that
// watch the models driftwatch monitors.
//
// The rules are derived from the configuration: one group per model, whose
// alerts fire on the scores package collectors/monitor exports (feature and
// dataset drift, quality against its thresholds, stalled input, growing
// Kafka consumer lag and a low label join rate). Thresholds, durations,
// severity and links come from the prometheus.rules section; the
// driftwatch_trigger label names the trigger rules whose matchers select
// each alert. The output is a Prometheus rule file or a Prometheus Operator
// PrometheusRule with the same groups.
//
// Evaluating the rules is left to Prometheus, routing the alerts to
// Alertmanager, and acting on them to the webhook in package triggers.
// docs/alerting.md describes every alert.
package rules
