// Package server is driftwatch's HTTP front door: it serves /metrics, the
// health probes, the Alertmanager webhook and the API on one listener, and
// guards the webhook and API with the configured authentication.
//
// It owns the server configuration. The handlers themselves come from the
// components that own the behaviour.
package server
