// Package app wires driftwatch together and runs it: the HTTP server with
// /metrics and the probes, and for every configured model a monitor fed by
// its source (a replay file or a Kafka consumer group).
//
// New checks everything that can be checked without reading data: the
// options, secrets, TLS files, that data files exist, and that every
// component accepts its settings. Start serves HTTP and starts every model
// on its own goroutine: load or build the reference profile, restore the
// monitor's checkpoint, then read. Stop undoes Start in reverse order, and
// Run does Start, waits, and Stops. The work itself is done by
// collectors/monitor and collectors/source; this package owns the
// registry, the server, the clock and the lifetime of each part.
//
// # Models are independent
//
// A model that waits for its Kafka brokers, or builds a large reference
// profile, does not hold the others back: each is monitored as soon as its
// own reference is loaded and its source has started, and /readyz lists
// the models that are not there yet. A model that fails (an unreadable
// profile, a checkpoint it cannot load, rejected Kafka credentials) stops
// Run with its error, since driftwatch would otherwise watch it no longer
// while looking healthy.
//
// # Leader election
//
// With leader_election.enabled, several replicas share storage.dir and
// elect a leader with a Lease (internal/leader). Every replica runs the
// monitor half: the models, /metrics and the probes. Only the leader runs
// the control half: the store, the trigger engine, the pipelines, the
// webhook and the API, which standbys answer with 503. leader.go has the
// details.
//
// # Paths
//
// Relative data file paths of a model (source.file.path,
// source.file.labels_path, reference.profile, reference.data and the
// Kafka TLS files) are taken from Options.ConfigDir, the configuration
// file's directory; storage.dir is taken from the working directory.
//
// # Checkpoints
//
// Monitors of Kafka models keep their checkpoints in
// storage.checkpoint_dir (by default <storage.dir>/checkpoints), so that a restart neither loses nor counts
// twice the events around its committed offsets. Replays keep theirs in
// memory: a replay always starts again from the first line, and a saved
// checkpoint would make a second replay of the same file count every
// event as late.
package app
