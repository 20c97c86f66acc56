// Package dashboards generates Grafana dashboards for the models driftwatch
// monitors.
//
// It owns the Grafana settings. The metrics the panels query are defined by
// the collectors, triggers and pipelines; this package only reads their
// names.
package dashboards
