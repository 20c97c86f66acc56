// Package triggers decides when a model is retrained.
//
// It owns the trigger configuration: which alerts map to which pipeline,
// schedules, cooldowns and concurrency limits, and the Alertmanager and
// Prometheus settings that alerting needs. Running the pipelines is left to
// package pipelines, and computing the scores that alerts fire on is left to
// collectors.
package triggers
