// Package dashboards generates the Grafana dashboards for the models
// driftwatch monitors, and writes or pushes them.
//
// Generate turns the configuration into a fleet overview and one dashboard
// per model: events and rejections, feature and prediction drift against
// their thresholds, quality against its thresholds, the label join, the
// windows, for Kafka models the consumer, the trigger engine's decisions,
// the retraining runs and their steps, and the champion, with deploys and
// rollbacks as annotations. Every dashboard has a stable
// UID derived from its model, so generating again updates the dashboards in
// place. The output is Grafana's dashboard JSON, Kubernetes ConfigMaps for
// Grafana's dashboard sidecar (ConfigMaps), or dashboards pushed through
// Grafana's HTTP API (Push). docs/dashboards.md shows them.
//
// It is the only package that imports the Grafana Foundation SDK; its
// house helpers hide the SDK's pointers and unions. The metrics the panels
// query are defined by the collectors, triggers and pipelines: this package
// only reads their names, and its tests check every query against
// driftwatch's real registry and a real Prometheus. Running Grafana is left
// to the platform.
package dashboards
