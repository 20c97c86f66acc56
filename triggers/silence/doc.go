// Package silence creates and expires Alertmanager silences for models that
// are being retrained. It is the only package that talks to Alertmanager's
// API v2.
//
// When a pipeline run starts, the trigger engine calls SilenceModel. The
// silence matches the model's label exactly and its drift alert names by
// regular expression, and it lasts until the run's deadline. When the run
// ends, the engine calls Expire. Deciding when to silence, storing the
// silence ID with the run, and what to do when Alertmanager is down (log,
// count and carry on) are left to the engine.
//
// # A thin client over the API models
//
// Requests are plain net/http calls that encode and decode
// github.com/prometheus/alertmanager/api/v2/models, validated with the models'
// own Validate before they are sent. The generated client in api/v2/client
// was measured and rejected: it adds ten modules on top of the models
// (go-openapi/runtime, OpenTelemetry, logr, x/sync) and about 1.2 MB of
// binary, and it would still need a custom transport for the bearer token,
// the metrics and the per-call timeout. Its typed responses also hide the
// status and message of answers its spec does not list, such as the 422 that
// Alertmanager's request validation sends. Three endpoints do not justify
// that.
//
// The models are not free either: their Validate methods pull in
// go-openapi's validate, spec and loads, about twenty modules and 3 MB of
// driftwatch's binary. If that weight ever matters more than reusing
// Alertmanager's own schema, wire.go is the one file to replace with a few
// local structs; the tests against a real Alertmanager check the wire format
// either way.
//
// # Expire is idempotent
//
// Expire returns nil for a silence that has already expired and for one
// that Alertmanager does not know: either way no silence with that ID mutes
// anything, and retrying could not change the answer. Alertmanager forgets
// a silence when its retention period (five days by default) has passed
// since the silence ended, and forgets all of them when it loses its
// storage. Only the metric (result "not_found") and an info log tell these
// cases apart. Get, by contrast, returns an error wrapping ErrNotFound; behind
// a load balancer over an HA pair it may also do so right after
// SilenceModel, until gossip has reached the peer that answers.
//
// The tests run against Alertmanager 0.25; the models come from a newer
// release, and the silence API has not changed between them. An already
// expired silence answers 200 (prometheus/alertmanager#2817). An unknown
// one answers 404 since 0.26 (prometheus/alertmanager#3352) and 500 "silence
// not found" in 0.25; both mean ErrNotFound here.
package silence
