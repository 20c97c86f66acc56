// Package collectors turns a model's prediction, feature and label events
// into windows, judges each closed window against the model's reference
// profile, and publishes the results.
//
// It owns the per-model configuration (features, prediction, label, source,
// reference, windows, drift and quality settings). The statistics themselves
// live in package drift, Kafka access in kafkasource, and turning results into
// alerts and retraining runs is left to triggers and pipelines.
package collectors
